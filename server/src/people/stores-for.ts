import type { DocStore } from '../persistence/doc-store.ts';
import { LevelDbStore } from '../persistence/leveldb-store.ts';
import { PostgresStore } from '../persistence/postgres-store.ts';
import { type AccessStore, KeyValueAccessStore, memoryTable } from './access-store.ts';
import { PostgresAccessStore, PostgresSessionStore } from './postgres-people.ts';
import { KeyValueSessionStore, type SessionStore } from './session-store.ts';

/**
 * The access and session stores that live beside a document store, like the board catalog: LevelDB side tables
 * (`access`, `sessions`, `profiles`) in the same database, tables in the same PostgreSQL schema, or process memory for
 * any other store. So they are backed up, shared and moved with the documents.
 */
export function peopleStoresFor(store: DocStore): { access: AccessStore; sessions: SessionStore } {
  if (store instanceof LevelDbStore) {
    return {
      access: new KeyValueAccessStore('leveldb', () => store.sideTable('access')),
      sessions: new KeyValueSessionStore('leveldb', () => ({ sessions: store.sideTable('sessions'), profiles: store.sideTable('profiles') })),
    };
  }
  if (store instanceof PostgresStore) {
    return { access: new PostgresAccessStore(store.sharedDatabase), sessions: new PostgresSessionStore(store.sharedDatabase) };
  }
  const sessions = memoryTable();
  const profiles = memoryTable();
  const access = memoryTable();
  return {
    access: new KeyValueAccessStore('memory', () => access),
    sessions: new KeyValueSessionStore('memory', () => ({ sessions, profiles })),
  };
}
