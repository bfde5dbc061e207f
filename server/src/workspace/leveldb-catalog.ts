import type { LevelDbStore, SideTable } from '../persistence/leveldb-store.ts';
import type { BoardEntry } from './board-catalog.ts';
import { type CatalogRecords, IndexedCatalog } from './indexed-catalog.ts';

/**
 * The catalog beside the embedded LevelDB store, in the same database (side tables `catalog`, `catalog-tombstones`,
 * `thumbnails`): entries as JSON by board id, tombstones by id, thumbnails as bytes by id. The store must be open.
 */
export function createLevelDbCatalog(store: LevelDbStore): IndexedCatalog {
  let entries: SideTable;
  let tombstones: SideTable;
  let thumbnails: SideTable;
  const records: CatalogRecords = {
    async *loadAll() {
      // Tables are taken here, not in the constructor: a side table needs the store open.
      entries = store.sideTable('catalog');
      tombstones = store.sideTable('catalog-tombstones');
      thumbnails = store.sideTable('thumbnails');
      for await (const [, value] of entries.entries()) yield { entry: decode<BoardEntry>(value) };
      for await (const [id] of tombstones.entries()) yield { tombstone: id };
    },
    saveEntry: (entry) => entries.put(entry.id, encode(entry)),
    async tombstone(id, time) {
      await tombstones.put(id, encode(time));
      await entries.del(id);
      await thumbnails.del(id);
    },
    saveThumbnail: (id, bytes) => thumbnails.put(id, bytes),
    loadThumbnail: (id) => thumbnails.get(id),
  };
  return new IndexedCatalog('leveldb', records);
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decode = <T>(bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as T;
