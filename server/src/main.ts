/** The `npm start` entry point: reads the configuration, wires logger -> store -> server, drains on SIGTERM. */
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { LevelDbStore } from './persistence/leveldb-store.ts';
import { createScrawlServer } from './server.ts';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`scrawl: bad configuration: ${error.message}`);
  process.exit(2);
}

const log = createLogger(config.logLevel);
const store = new LevelDbStore({ directory: config.dataDir });
const server = createScrawlServer({
  store,
  logger: log,
  maxMessageBytes: config.maxMessageBytes,
  heartbeatMs: config.heartbeatMs,
  webRoot: fileURLToPath(new URL('../../web/dist', import.meta.url)),
  tldrawLicenseKey: config.tldrawLicenseKey,
  authSecret: config.authSecret,
  assetDir: config.dataDir,
});

try {
  const address = await server.listen(config.port, config.host);
  log.info({ port: address.port, host: address.address, dataDir: config.dataDir }, 'scrawl listening');
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
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'unclean stop');
        process.exit(1);
      },
    );
  });
}
