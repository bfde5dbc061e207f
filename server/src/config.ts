/**
 * The only reader of `process.env`. Every variable is validated here and a bad one stops the process at start with a
 * message naming it, instead of surfacing later as a confusing failure. INTERFACE.md and `.env.example` list them.
 */

/** The validated configuration of one server process. */
export interface Config {
  /** PORT, default 1234: the one HTTP + WebSocket port. */
  port: number;
  /** HOST, default 0.0.0.0: the bind address. */
  host: string;
  /** DATA_DIR, default ./data: the LevelDB directory (the embedded default store). */
  dataDir: string;
  /** DATABASE_URL, unset by default: use PostgreSQL as the store instead of LevelDB. */
  databaseUrl: string | null;
  /** REDIS_URL, unset by default: relay updates and awareness between instances through Redis. */
  redisUrl: string | null;
  /** AUTH_SECRET, unset by default: when set, every connection and API call needs an HS256 token signed with it. */
  authSecret: string | null;
  /** ALLOWED_ORIGINS, unset = any: the Origin allow-list for WebSocket upgrades and the API. */
  allowedOrigins: string[] | null;
  /** MAX_MESSAGE_BYTES, default 16 MiB: the largest accepted WebSocket message; larger ones close with 1009. */
  maxMessageBytes: number;
  /** TLS_CERT_FILE and TLS_KEY_FILE, unset by default: serve https/wss directly. Both or neither. */
  tls: { certFile: string; keyFile: string } | null;
  /** TLDRAW_LICENSE_KEY, unset by default: handed to the canvas at runtime. */
  tldrawLicenseKey: string | null;
  /** LOG_LEVEL, default info: the pino level. */
  logLevel: string;
  /** HEARTBEAT_MS, default 15000: how often sockets are pinged; a peer silent for two periods is dropped. */
  heartbeatMs: number;
  /** TRUST_PROXY, default off: behind a reverse proxy, take client addresses (for per-address limits) from X-Forwarded-For. */
  trustProxy: boolean;
  /**
   * BOARD_LIST, default on: the boards page and `GET /api/boards` list the server's boards. `off` for public instances
   * where a board's id is its secret: the page lists only boards this browser opened, and the API lists only boards
   * the caller names.
   */
  boardList: boolean;
  /**
   * Scheduled backups: BACKUP_DIR, unset by default (no scheduled backups): the directory archives are written to.
   * BACKUP_INTERVAL, default 24h: how often (a duration such as 24h, 30m, 1d, 90s; at least 1m). BACKUP_KEEP,
   * default 14: how many archives to keep. Null without BACKUP_DIR (the other two are then refused, so a typo in the
   * directory's name does not silently turn backups off).
   */
  backup: { dir: string; intervalMs: number; keep: number } | null;
  /** PUBLIC_URL, unset by default: the origin people reach the server at (`https://board.example.com`), no path. */
  publicUrl: string | null;
  /** Sign-in mode (docs/authentication.md): set when OIDC_ISSUER_URL is; null keeps open or token mode. */
  signIn: SignInConfig | null;
}

/**
 * Sign-in with an OpenID Connect provider. OIDC_ISSUER_URL, OIDC_CLIENT_ID, SESSION_SECRET and PUBLIC_URL go together
 * (one of them alone is refused, naming the next missing one); unset, the server runs in open or token mode.
 */
export interface SignInConfig {
  /** OIDC_ISSUER_URL: the provider's issuer; its discovery document is read from `<issuer>/.well-known/openid-configuration`. */
  issuerUrl: string;
  /** OIDC_CLIENT_ID: this server's client id at the provider. */
  clientId: string;
  /** OIDC_CLIENT_SECRET, unset by default: the client secret of a confidential client; unset for a public client (PKCE only). */
  clientSecret: string | null;
  /** OIDC_SCOPES, default `openid profile email`: the scopes asked for; must include openid. */
  scopes: string;
  /** SESSION_SECRET, at least 32 characters: signs session and login cookies. Changing it signs everyone out. */
  sessionSecret: string;
  /** PUBLIC_URL (required here): the redirect URI is `<PUBLIC_URL>/auth/callback`, and the same origin is enforced against it. */
  publicUrl: string;
  /** ADMIN_EMAILS, unset by default: signed-in people who see and manage every board. */
  adminEmails: string[];
  /**
   * OIDC_ALLOW_HTTP_ISSUER, default false: accept a plain-http issuer that is not on loopback. Tokens and codes then
   * cross the network unencrypted: only for a provider on a trusted private network. A loopback issuer
   * (127.0.0.1, ::1, localhost) is always accepted, for tests and a provider on the same machine.
   */
  allowHttpIssuer: boolean;
}

/** Thrown for a missing or malformed variable; the message names it. */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and validates the configuration from `env` (defaults to `process.env`). Throws {@link ConfigError}. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const text = (name: string): string | null => {
    const value = env[name]?.trim();
    return value ? value : null;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === null) return fallback;
    if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
    const value = Number(raw);
    if (value < min || value > max) throw new ConfigError(name, `expected ${min}..${max}, got ${value}`);
    return value;
  };
  const url = (name: string, protocols: string[]): string | null => {
    const raw = text(name);
    if (raw === null) return null;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(name, 'not a valid URL');
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got ${parsed.protocol}`);
    }
    return raw;
  };

  const flag = (name: string): boolean => {
    const raw = text(name)?.toLowerCase() ?? 'false';
    if (['1', 'true', 'yes'].includes(raw)) return true;
    if (['0', 'false', 'no'].includes(raw)) return false;
    throw new ConfigError(name, `expected true or false, got "${raw}"`);
  };

  const onOff = (name: string, fallback: boolean): boolean => {
    const raw = text(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['on', '1', 'true', 'yes'].includes(raw)) return true;
    if (['off', '0', 'false', 'no'].includes(raw)) return false;
    throw new ConfigError(name, `expected on or off, got "${raw}"`);
  };

  const duration = (name: string, fallback: number, minMs: number): number => {
    const raw = text(name);
    if (raw === null) return fallback;
    const ms = parseDuration(raw);
    if (ms === null) throw new ConfigError(name, `expected a duration such as 24h, 30m, 1d or 90s, got "${raw}"`);
    if (ms < minMs) throw new ConfigError(name, `must be at least ${minMs / 1000} s, got "${raw}"`);
    return ms;
  };

  const backupDir = text('BACKUP_DIR');
  const backupInterval = duration('BACKUP_INTERVAL', 24 * 3600 * 1000, 60 * 1000);
  const backupKeep = integer('BACKUP_KEEP', 14, 1, 100_000);
  if (backupDir === null) {
    for (const name of ['BACKUP_INTERVAL', 'BACKUP_KEEP']) {
      if (text(name) !== null) throw new ConfigError(name, 'needs BACKUP_DIR (the directory scheduled backups are written to)');
    }
  }

  const logLevel = text('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}`);

  const certFile = text('TLS_CERT_FILE');
  const keyFile = text('TLS_KEY_FILE');
  if ((certFile === null) !== (keyFile === null)) {
    throw new ConfigError(certFile ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE', 'TLS_CERT_FILE and TLS_KEY_FILE go together');
  }

  const authSecret = text('AUTH_SECRET');
  if (authSecret !== null && authSecret.length < 32) {
    throw new ConfigError('AUTH_SECRET', 'must be at least 32 characters (256 bits for HS256)');
  }

  const origins = text('ALLOWED_ORIGINS');
  const allowedOrigins = origins === null ? null : origins.split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of allowedOrigins ?? []) {
    if (!/^https?:\/\/[^/]+$/.test(origin)) {
      throw new ConfigError('ALLOWED_ORIGINS', `"${origin}" is not an origin like https://example.com`);
    }
  }

  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);
  if (redisUrl !== null && databaseUrl === null) {
    throw new ConfigError(
      'REDIS_URL',
      'needs DATABASE_URL: several instances must share one PostgreSQL store; with the embedded LevelDB store each ' +
        "instance would keep only its own clients' updates in its own DATA_DIR, and rooms would silently miss the others' edits",
    );
  }

  const publicUrl = origin('PUBLIC_URL', text('PUBLIC_URL'));

  return {
    publicUrl,
    signIn: signInConfig(text, flag, publicUrl),
    port: integer('PORT', 1234, 0, 65535),
    host: text('HOST') ?? '0.0.0.0',
    dataDir: text('DATA_DIR') ?? './data',
    databaseUrl,
    redisUrl,
    authSecret,
    allowedOrigins,
    maxMessageBytes: integer('MAX_MESSAGE_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    tls: certFile && keyFile ? { certFile, keyFile } : null,
    tldrawLicenseKey: text('TLDRAW_LICENSE_KEY'),
    logLevel,
    heartbeatMs: integer('HEARTBEAT_MS', 15_000, 100, 3_600_000),
    trustProxy: flag('TRUST_PROXY'),
    boardList: onOff('BOARD_LIST', true),
    backup: backupDir === null ? null : { dir: backupDir, intervalMs: backupInterval, keep: backupKeep },
  };
}

/** A URL that must be an http(s) origin (a trailing slash is dropped); null for null. */
function origin(name: string, raw: string | null): string | null {
  if (raw === null) return null;
  const parsed = URL.parse(raw);
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) throw new ConfigError(name, `expected an http or https URL, got "${raw}"`);
  if (parsed.pathname !== '/' || parsed.search || parsed.hash) {
    throw new ConfigError(name, `expected an origin without a path, like https://board.example.com, got "${raw}"`);
  }
  return parsed.origin;
}

const SIGN_IN_REQUIRED = ['OIDC_ISSUER_URL', 'OIDC_CLIENT_ID', 'SESSION_SECRET', 'PUBLIC_URL'] as const;
const SIGN_IN_OPTIONAL = ['OIDC_CLIENT_SECRET', 'OIDC_SCOPES', 'ADMIN_EMAILS', 'OIDC_ALLOW_HTTP_ISSUER'] as const;
const LOOPBACK_HOSTS = ['127.0.0.1', '[::1]', 'localhost'];

/** The sign-in part of the configuration: all of it or none (see {@link SignInConfig}). */
function signInConfig(text: (name: string) => string | null, flag: (name: string) => boolean, publicUrl: string | null): SignInConfig | null {
  const given = [...SIGN_IN_REQUIRED, ...SIGN_IN_OPTIONAL].filter((name) => text(name) !== null);
  if (given.length === 0) return null;
  const missing = SIGN_IN_REQUIRED.find((name) => text(name) === null);
  if (missing) throw new ConfigError(missing, `sign-in mode (${given.join(', ')} set) needs ${SIGN_IN_REQUIRED.join(', ')} together`);

  const issuerUrl = text('OIDC_ISSUER_URL')!;
  const issuer = URL.parse(issuerUrl);
  if (!issuer || (issuer.protocol !== 'https:' && issuer.protocol !== 'http:')) throw new ConfigError('OIDC_ISSUER_URL', `expected an https URL, got "${issuerUrl}"`);
  const allowHttpIssuer = flag('OIDC_ALLOW_HTTP_ISSUER');
  if (issuer.protocol === 'http:' && !LOOPBACK_HOSTS.includes(issuer.hostname) && !allowHttpIssuer) {
    throw new ConfigError(
      'OIDC_ISSUER_URL',
      'a plain-http issuer sends codes and tokens unencrypted: use https, or set OIDC_ALLOW_HTTP_ISSUER=true for a provider on a trusted network',
    );
  }
  const sessionSecret = text('SESSION_SECRET')!;
  if (sessionSecret.length < 32) throw new ConfigError('SESSION_SECRET', 'must be at least 32 characters (e.g. openssl rand -base64 48)');
  const scopes = (text('OIDC_SCOPES') ?? 'openid profile email').split(/[\s,]+/).filter(Boolean);
  if (!scopes.includes('openid')) throw new ConfigError('OIDC_SCOPES', 'must include openid');
  const adminEmails = (text('ADMIN_EMAILS') ?? '').split(',').map((e) => e.trim().toLowerCase()).filter(Boolean);
  for (const email of adminEmails) {
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new ConfigError('ADMIN_EMAILS', `"${email}" is not an email address`);
  }
  return {
    issuerUrl,
    clientId: text('OIDC_CLIENT_ID')!,
    clientSecret: text('OIDC_CLIENT_SECRET'),
    scopes: scopes.join(' '),
    sessionSecret,
    publicUrl: publicUrl!,
    adminEmails,
    allowHttpIssuer,
  };
}

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration written as a number and a unit (s, m, h, d), or several such (`1h30m`); null if malformed. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim().toLowerCase();
  if (!/^(\d+(\.\d+)?[smhd])+$/.test(trimmed)) return null;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)([smhd])/g)) total += Number(amount) * DURATION_UNITS[unit];
  return Math.round(total);
}
