/** The `npm start` entry point: reads the configuration, wires logger -> store -> server, drains on SIGTERM. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { LevelDbStore } from './persistence/leveldb-store.ts';
import { PostgresStore } from './persistence/postgres-store.ts';
import { RedisRelay } from './scaleout/redis-relay.ts';
import { createScrawlServer } from './server.ts';
import { shippedTemplates } from './workspace/templates.ts';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`scrawl: bad configuration: ${error.message}`);
  process.exit(2);
}

const log = createLogger(config.logLevel);

let tls: { cert: Buffer; key: Buffer } | null = null;
if (config.tls) {
  try {
    tls = { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) };
  } catch (error) {
    const variable = (error as { path?: string }).path === config.tls.keyFile ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE';
    console.error(`scrawl: bad configuration: ${variable}: cannot read ${(error as Error).message}`);
    process.exit(2);
  }
}
const loopback = ['127.0.0.1', '::1', 'localhost'].includes(config.host);
if (tls && !loopback && !config.tldrawLicenseKey) {
  log.warn(
    'serving https without TLDRAW_LICENSE_KEY: tldraw needs a licence key in production; without one the canvas ' +
      'goes blank after a few seconds on a non-localhost origin. See the README (tldraw licence).',
  );
}
const store = config.databaseUrl
  ? new PostgresStore({
      connectionString: config.databaseUrl,
      onIdleError: (error) => log.warn({ err: error.message }, 'idle database connection failed'),
    })
  : new LevelDbStore({ directory: config.dataDir });
const relay = config.redisUrl ? new RedisRelay({ url: config.redisUrl, logger: log }) : null;
const server = createScrawlServer({
  store,
  extensions: relay ? [relay] : [],
  logger: log,
  maxMessageBytes: config.maxMessageBytes,
  heartbeatMs: config.heartbeatMs,
  webRoot: fileURLToPath(new URL('../../web/dist', import.meta.url)),
  tldrawLicenseKey: config.tldrawLicenseKey,
  authSecret: config.authSecret,
  assetDir: config.dataDir,
  allowedOrigins: config.allowedOrigins,
  trustProxy: config.trustProxy,
  boardList: config.boardList,
  templates: shippedTemplates(),
  backup: config.backup,
  signIn: config.signIn,
  tls,
});

try {
  await relay?.open();
  const address = await server.listen(config.port, config.host);
  // Tests find the port in this line: keep `"port":N` and the message.
  log.info({ port: address.port, host: address.address, store: store.kind, relay: relay !== null }, 'scrawl listening');
} catch (error) {
  log.fatal({ err: error }, `cannot start: ${(error as Error).message}`);
  process.exit(1);
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    server
      .stop()
      .then(() => relay?.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'unclean stop');
          process.exit(1);
        },
      );
  });
}
