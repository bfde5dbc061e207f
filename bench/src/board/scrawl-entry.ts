/**
 * Scrawl for the board scenario: server/src/main.ts's wiring for a LevelDB store (DATA_DIR, the same configuration
 * variables), serving the web app from WEB_ROOT instead of web/dist, which main.ts has no variable for. The scenario
 * serves its own build of the app (builds.ts), so that another build of web/dist during a run cannot pull files from
 * under a page load, and for the CPU profile an unminified build, with DATA_DIR the data of the server it measured.
 *
 * Started by ServerProcess with the root `npm start` script's Node flags; drains on SIGTERM like main.ts.
 */
import { loadConfig } from '../../../server/src/config.ts';
import { createLogger } from '../../../server/src/log.ts';
import { LevelDbStore } from '../../../server/src/persistence/leveldb-store.ts';
import { createScrawlServer } from '../../../server/src/server.ts';

const webRoot = process.env.WEB_ROOT;
if (!webRoot) throw new Error('WEB_ROOT must name a built web app');
const config = loadConfig();
const log = createLogger(config.logLevel);
const store = new LevelDbStore({ directory: config.dataDir });
const server = createScrawlServer({
  store,
  logger: log,
  maxMessageBytes: config.maxMessageBytes,
  heartbeatMs: config.heartbeatMs,
  assetDir: config.dataDir,
  webRoot,
});

const address = await server.listen(config.port, config.host);
log.info({ port: address.port, webRoot }, 'scrawl listening');

process.once('SIGTERM', () => {
  server.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      log.error({ err: error }, 'unclean stop');
      process.exit(1);
    },
  );
});
