/**
 * `npm run reindex` derives every board's catalog entry again from the stored documents (title, text, shape count,
 * size, assets), keeping what only the catalog knows (stars, trash, templates, thumbnails). Reads DATA_DIR or
 * DATABASE_URL like the server. LevelDB allows one process at a time: stop the server first. With DATABASE_URL it can
 * run while the instances serve.
 */
import { ConfigError, loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { LevelDbStore } from '../persistence/leveldb-store.ts';
import { PostgresStore } from '../persistence/postgres-store.ts';
import { catalogForStore } from '../workspace/catalog-for-store.ts';
import { CatalogIndexer } from '../workspace/catalog-indexer.ts';

try {
  const config = loadConfig();
  const store = config.databaseUrl ? new PostgresStore({ connectionString: config.databaseUrl }) : new LevelDbStore({ directory: config.dataDir });
  await store.open();
  try {
    const catalog = catalogForStore(store);
    await catalog.open();
    const started = performance.now();
    const boards = await new CatalogIndexer({ catalog, store, log: createLogger('warn') }).reindexAll();
    await catalog.close();
    console.log(`scrawl reindex: ${boards} boards indexed in ${((performance.now() - started) / 1000).toFixed(1)} s (${store.kind} store)`);
  } finally {
    await store.close();
  }
} catch (error) {
  const prefix = error instanceof ConfigError ? 'bad configuration: ' : '';
  console.error(`scrawl reindex: ${prefix}${(error as Error).message}`);
  process.exit(2);
}
