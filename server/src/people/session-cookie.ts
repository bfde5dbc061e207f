/**
 * The cookies of sign-in mode. The session cookie carries a random session id and its HMAC-SHA256 (node:crypto) under
 * a key derived from SESSION_SECRET; the store knows the session only by the SHA-256 of its id, so neither a copy of
 * the database nor a forged cookie opens a session. The login cookie carries the PKCE verifier, state, nonce and
 * return path between /auth/login and /auth/callback as an encrypted JWT (jose, A256GCM), valid for 10 minutes.
 */
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { EncryptJWT, jwtDecrypt } from 'jose';

/** Name of the session cookie. `__Host-` (under https) pins it to this origin, path / and Secure. */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-scrawl_session' : 'scrawl_session';
}

/** Name of the short-lived cookie of a sign-in in progress. */
export const LOGIN_COOKIE = 'scrawl_login';

/** How long a sign-in may take between /auth/login and /auth/callback. */
export const LOGIN_TTL_SECONDS = 600;

/** What /auth/login remembers for /auth/callback. */
export interface LoginState {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The same-origin path to return to. */
  next: string;
}

/** Signs and checks session ids and login states with keys derived from SESSION_SECRET (one key per purpose). */
export class CookieKeys {
  private readonly sessionKey: Buffer;
  private readonly loginKey: Uint8Array;

  constructor(sessionSecret: string) {
    const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', sessionSecret, 'scrawl', purpose, 32));
    this.sessionKey = derive('session cookie');
    this.loginKey = new Uint8Array(derive('login state'));
  }

  /** A new session: its cookie value (`id.mac`) and its store key (the SHA-256 of the id). */
  newSession(): { cookie: string; key: string } {
    const id = randomBytes(32).toString('base64url');
    return { cookie: `${id}.${this.mac(id)}`, key: storeKey(id) };
  }

  /** The store key of a session cookie's value, or null when the value is malformed or its MAC does not match. */
  keyOf(cookie: string | undefined): string | null {
    if (!cookie) return null;
    const [id, mac, extra] = cookie.split('.');
    if (extra !== undefined || !id || !mac || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const expected = Buffer.from(this.mac(id));
    const given = Buffer.from(mac);
    return given.length === expected.length && timingSafeEqual(given, expected) ? storeKey(id) : null;
  }

  /** The login cookie's value for `state`. */
  sealLogin(state: LoginState): Promise<string> {
    return new EncryptJWT({ ...state })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setIssuedAt()
      .setExpirationTime(`${LOGIN_TTL_SECONDS}s`)
      .encrypt(this.loginKey);
  }

  /** The login state in a login cookie, or null when it is missing, expired or not ours. */
  async openLogin(cookie: string | undefined): Promise<LoginState | null> {
    if (!cookie) return null;
    try {
      const { payload } = await jwtDecrypt(cookie, this.loginKey);
      const { state, nonce, codeVerifier, next } = payload;
      if ([state, nonce, codeVerifier, next].every((v) => typeof v === 'string')) return { state, nonce, codeVerifier, next } as LoginState;
    } catch {
      // Expired, tampered with or sealed under another SESSION_SECRET: the same as no sign-in in progress.
    }
    return null;
  }

  private mac(id: string): string {
    return createHmac('sha256', this.sessionKey).update(id).digest('base64url');
  }
}

function storeKey(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** The cookies of a request by name (the first of each name). */
export function readCookies(req: IncomingMessage): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

/** Options of {@link serializeCookie}. */
export interface CookieOptions {
  /** Seconds until it expires; 0 deletes it. */
  maxAgeSeconds: number;
  /** Under https: Secure. */
  secure: boolean;
  /** Default `/`. */
  path?: string;
}

/** A Set-Cookie value: always HttpOnly and SameSite=Lax (sent on top-level navigations back from the provider, never on cross-site requests). */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${options.path ?? '/'}`, `Max-Age=${options.maxAgeSeconds}`, 'HttpOnly', 'SameSite=Lax'];
  if (options.maxAgeSeconds === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}
