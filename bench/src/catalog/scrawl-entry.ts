/**
 * Scrawl for the catalog scenario: server/src/main.ts's wiring (the same configuration variables, store, logger and
 * shipped templates), plus the two switches main.ts has no variable for:
 *
 * - `CATALOG=off` starts the server with `catalog: false`, so the relay can be compared with and without it;
 * - `DATABASE_SCHEMA` puts PostgresStore (and the catalog beside it) in a schema of the bench's own, which it drops
 *   afterwards, instead of `public`.
 *
 * Started by ServerProcess with the root `npm start` script's Node flags; drains on SIGTERM like main.ts.
 */
import { loadConfig } from '../../../server/src/config.ts';
import { createLogger } from '../../../server/src/log.ts';
import { LevelDbStore } from '../../../server/src/persistence/leveldb-store.ts';
import { PostgresStore } from '../../../server/src/persistence/postgres-store.ts';
import { createScrawlServer } from '../../../server/src/server.ts';
import { shippedTemplates } from '../../../server/src/workspace/templates.ts';

const config = loadConfig();
const log = createLogger(config.logLevel);
const store = config.databaseUrl
  ? new PostgresStore({ connectionString: config.databaseUrl, schema: process.env.DATABASE_SCHEMA || undefined })
  : new LevelDbStore({ directory: config.dataDir });
const server = createScrawlServer({
  store,
  logger: log,
  maxMessageBytes: config.maxMessageBytes,
  heartbeatMs: config.heartbeatMs,
  assetDir: config.dataDir,
  templates: shippedTemplates(),
  catalog: process.env.CATALOG === 'off' ? false : undefined,
});

const address = await server.listen(config.port, config.host);
log.info({ port: address.port, store: store.kind, catalog: process.env.CATALOG !== 'off' }, 'scrawl listening');

process.once('SIGTERM', () => {
  server.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      log.error({ err: error }, 'unclean stop');
      process.exit(1);
    },
  );
});
