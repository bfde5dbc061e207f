import type { LevelDbStore } from '../persistence/leveldb-store.ts';
import { type BackupRecord, decodeJson, encodeJson } from './archive-format.ts';

/**
 * Side tables of the LevelDB database a backup carries, and the record kind of each (leveldb-catalog.ts,
 * people/stores-for.ts). The `sessions` table is left out on purpose: a restored server must not resume sign-in
 * sessions (whoever held a cookie of the old server signs in again).
 */
const SIDE_TABLES: Record<string, 'catalog-entry' | 'tombstone' | 'thumbnail' | 'access' | 'profile'> = {
  catalog: 'catalog-entry',
  'catalog-tombstones': 'tombstone',
  thumbnails: 'thumbnail',
  access: 'access',
  profiles: 'profile',
};

/**
 * Every record of an open LevelDB store, through the store's one consistent iterator (`readConsistent`): the catalog
 * and documents of the same instant. Runs inside the server process that holds the database (LevelDB admits one
 * process), beside its live traffic: the iterator reads in the background on libuv's threads, one record at a time.
 */
export async function* levelDbRecords(store: LevelDbStore): AsyncIterable<BackupRecord> {
  let room = '';
  let index = 0;
  for await (const record of store.readConsistent()) {
    switch (record.kind) {
      case 'side': {
        const kind = SIDE_TABLES[record.table];
        if (kind === 'tombstone') {
          // Stored as a bare JSON time; the archive's tombstone is an object, so it can grow fields.
          yield { kind, id: record.key, bytes: encodeJson({ deletedAt: decodeJson<string>(record.value) }) };
        } else if (kind) {
          yield { kind, id: record.key, bytes: record.value };
        }
        break;
      }
      case 'log':
        // Keys sort a room's log in append order; the archive numbers entries from 0 within the room.
        if (record.room !== room) {
          room = record.room;
          index = 0;
        }
        yield { kind: 'log', room: record.room, index: index++, bytes: record.value };
        break;
      case 'snapshot':
        yield { kind: 'snapshot', room: record.room, bytes: record.value };
        break;
      case 'version-info':
      case 'version-state':
        yield { kind: record.kind, room: record.room, id: record.id, bytes: record.value };
        break;
    }
  }
}
