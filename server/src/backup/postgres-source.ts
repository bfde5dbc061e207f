import type pg from 'pg';
import type { Profile } from '../people/session-store.ts';
import type { VersionInfo } from '../persistence/doc-store.ts';
import { type BoardRow, COLUMNS, boardEntryFromRow } from '../workspace/postgres-catalog.ts';
import { type BackupRecord, encodeJson } from './archive-format.ts';

/** Rows per FETCH: few for tables of whole states (a snapshot may be megabytes), more for the small log entries. */
const LARGE_ROWS = 16;
const SMALL_ROWS = 500;

/**
 * Every record of a PostgreSQL store and its catalog, read in one REPEATABLE READ, READ ONLY transaction: one MVCC
 * snapshot, taken at the transaction's first query, for documents, versions and catalog alike, while the instances
 * keep writing (readers never block writers in PostgreSQL). Every append acknowledged before the call committed
 * before it, so it is in. Rows come through server-side cursors, a few at a time, so memory stays bounded whatever
 * the database's size. Catalog and sign-in tables that do not exist (a store used without them) are skipped.
 */
export async function* postgresRecords(database: { pool: pg.Pool; schema: string }): AsyncIterable<BackupRecord> {
  const client = await database.pool.connect();
  const table = (name: string) => `"${database.schema}".${name}`;
  let committed = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows: present } = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
      [database.schema],
    );
    const has = new Set(present.map((row) => row.name));
    const rows = <R>(sql: string, batch: number) => fetchRows<R>(client, sql, batch);

    if (has.has('scrawl_boards')) {
      for await (const row of rows<BoardRow>(`SELECT ${COLUMNS} FROM ${table('scrawl_boards')} ORDER BY id`, SMALL_ROWS)) {
        yield { kind: 'catalog-entry', id: row.id, bytes: encodeJson(boardEntryFromRow(row)) };
      }
    }
    if (has.has('scrawl_board_tombstones')) {
      for await (const row of rows<{ id: string; deleted_at: Date }>(`SELECT id, deleted_at FROM ${table('scrawl_board_tombstones')} ORDER BY id`, SMALL_ROWS)) {
        yield { kind: 'tombstone', id: row.id, bytes: encodeJson({ deletedAt: row.deleted_at.toISOString() }) };
      }
    }
    if (has.has('scrawl_board_thumbnails')) {
      for await (const row of rows<{ id: string; image: Buffer }>(`SELECT id, image FROM ${table('scrawl_board_thumbnails')} ORDER BY id`, LARGE_ROWS)) {
        yield { kind: 'thumbnail', id: row.id, bytes: row.image };
      }
    }
    // Sign-in mode's records (people/postgres-people.ts); `scrawl_sessions` is left out on purpose, so that a restored
    // server resumes no session. The access record's `people` column is derived from the record: the target derives it.
    if (has.has('scrawl_board_access')) {
      for await (const row of rows<{ room: string; record: unknown }>(`SELECT room, record FROM ${table('scrawl_board_access')} ORDER BY room`, SMALL_ROWS)) {
        yield { kind: 'access', id: row.room, bytes: encodeJson(row.record) };
      }
    }
    if (has.has('scrawl_profiles')) {
      type ProfileRow = { email: string; name: string; picture: string | null };
      for await (const row of rows<ProfileRow>(`SELECT email, name, picture FROM ${table('scrawl_profiles')} ORDER BY email`, SMALL_ROWS)) {
        const profile: Profile = { name: row.name, picture: row.picture };
        yield { kind: 'profile', id: row.email, bytes: encodeJson(profile) };
      }
    }
    if (has.has('scrawl_snapshots')) {
      for await (const row of rows<{ room: string; state: Buffer }>(`SELECT room, state FROM ${table('scrawl_snapshots')} ORDER BY room`, LARGE_ROWS)) {
        yield { kind: 'snapshot', room: row.room, bytes: row.state };
      }
    }
    if (has.has('scrawl_log')) {
      // By (room, seq), the primary key's order: each room's entries in append order, numbered from 0.
      let room = '';
      let index = 0;
      for await (const row of rows<{ room: string; update: Buffer }>(`SELECT room, update FROM ${table('scrawl_log')} ORDER BY room, seq`, SMALL_ROWS)) {
        if (row.room !== room) {
          room = row.room;
          index = 0;
        }
        yield { kind: 'log', room: row.room, index: index++, bytes: row.update };
      }
    }
    if (has.has('scrawl_versions')) {
      type VersionRow = { room: string; id: string; label: string; auto: boolean; created_at: Date; state: Buffer };
      for await (const row of rows<VersionRow>(`SELECT room, id, label, auto, created_at, state FROM ${table('scrawl_versions')} ORDER BY room, id`, LARGE_ROWS)) {
        const info: VersionInfo = { id: row.id, label: row.label, createdAt: row.created_at.toISOString(), bytes: row.state.byteLength, auto: row.auto };
        yield { kind: 'version-info', room: row.room, id: row.id, bytes: encodeJson(info) };
        yield { kind: 'version-state', room: row.room, id: row.id, bytes: row.state };
      }
    }
    await client.query('COMMIT');
    committed = true;
  } finally {
    // A failure, or a consumer that stopped early (a client went away), leaves the transaction open: end it before
    // the connection returns to the pool. A broken connection is dropped from the pool instead.
    const ok = committed || (await client.query('ROLLBACK').then(() => true, () => false));
    client.release(ok ? undefined : true);
  }
}

/** The rows of `sql` through a cursor of this transaction, `batch` rows per FETCH. */
async function* fetchRows<R>(client: pg.PoolClient, sql: string, batch: number): AsyncIterable<R> {
  await client.query(`DECLARE backup_cursor NO SCROLL CURSOR FOR ${sql}`);
  try {
    for (;;) {
      const { rows } = await client.query(`FETCH ${batch} FROM backup_cursor`);
      for (const row of rows) yield row as R;
      if (rows.length < batch) break;
    }
  } finally {
    await client.query('CLOSE backup_cursor').catch(() => {});
  }
}
