import type { DocStore } from '../persistence/doc-store.ts';
import { LevelDbStore } from '../persistence/leveldb-store.ts';
import { PostgresStore } from '../persistence/postgres-store.ts';
import type { BoardCatalog } from './board-catalog.ts';
import { IndexedCatalog, memoryCatalogRecords } from './indexed-catalog.ts';
import { createLevelDbCatalog } from './leveldb-catalog.ts';
import { PostgresCatalog } from './postgres-catalog.ts';

/**
 * The catalog that lives beside a document store: in the same LevelDB database or PostgreSQL schema, so that it is
 * backed up, shared and moved with the documents. Any other store (the memory store, an embedding app's own) gets a
 * catalog in process memory, derived again at each start.
 */
export function catalogForStore(store: DocStore): BoardCatalog {
  if (store instanceof LevelDbStore) return createLevelDbCatalog(store);
  if (store instanceof PostgresStore) return new PostgresCatalog(store.sharedDatabase);
  return new IndexedCatalog('memory', memoryCatalogRecords());
}
