import type pg from 'pg';
import { type BoardAccess, peopleWithAccess } from '../people/access-record.ts';
import { PostgresAccessStore, PostgresSessionStore } from '../people/postgres-people.ts';
import type { Profile } from '../people/session-store.ts';
import type { VersionInfo } from '../persistence/doc-store.ts';
import type { BoardEntry } from '../workspace/board-catalog.ts';
import { type BackupRecord, decodeJson } from './archive-format.ts';
import type { RestoreTarget } from './restore-target.ts';

/** Log rows per multi-row INSERT, and bytes. */
const LOG_ROWS = 500;
const LOG_BYTES = 8 * 1024 * 1024;

/**
 * Restores into a PostgreSQL store whose tables exist (the store's and the catalog's `open()` create them; the
 * sign-in tables are created here), in one
 * transaction: a failure or an interrupted restore leaves the database exactly as it was. Log entries get new
 * sequence numbers in archive order, which is each room's append order. Instances may keep running during a merge:
 * what they append meanwhile commits beside the restore's rows (a room loaded in an instance shows the merged
 * content once it is loaded again).
 */
export class PostgresRestoreTarget implements RestoreTarget {
  readonly description: string;
  private readonly pool: pg.Pool;
  private readonly schema: string;
  private readonly merge: boolean;
  private client: pg.PoolClient | null = null;
  private logRows: { room: string; bytes: Uint8Array }[] = [];
  private logBytes = 0;
  /** A version's info or state, whichever of the pair came first. */
  private readonly pendingVersions = new Map<string, { info?: VersionInfo; state?: Uint8Array }>();

  constructor(database: { pool: pg.Pool; schema: string }, description: string, merge: boolean) {
    this.pool = database.pool;
    this.schema = database.schema;
    this.merge = merge;
    this.description = `the PostgreSQL database ${description} (schema ${database.schema})`;
  }

  async firstContent(): Promise<string | null> {
    // [table, key column, what a row is]. Sessions need no check: whoever has one has a profile.
    const checks: [string, string, string][] = [
      ['scrawl_snapshots', 'room', 'room'],
      ['scrawl_log', 'room', 'room'],
      ['scrawl_versions', 'room', 'room'],
      ['scrawl_boards', 'id', 'board'],
      ['scrawl_board_tombstones', 'id', 'board'],
      ['scrawl_board_access', 'room', 'board'],
      ['scrawl_profiles', 'email', 'person'],
    ];
    for (const [table, column, what] of checks) {
      // The sign-in tables exist only once a server ran in sign-in mode (or a restore created them).
      const { rows: exists } = await this.pool.query('SELECT to_regclass($1) AS found', [this.table(table)]);
      if (exists[0].found === null) continue;
      const { rows } = await this.pool.query(`SELECT ${column} AS id FROM ${this.table(table)} LIMIT 1`);
      if (rows.length > 0) return `${what} ${rows[0].id} in ${table}`;
    }
    return null;
  }

  async write(record: BackupRecord): Promise<void> {
    const client = await this.transaction();
    switch (record.kind) {
      case 'snapshot':
        if (!this.merge) {
          await client.query(`INSERT INTO ${this.table('scrawl_snapshots')} (room, state) VALUES ($1, $2)`, [record.room, buffer(record.bytes)]);
          return;
        }
        // Merging: the archive's snapshot becomes one more update of the room's log.
        return this.addLogRow(record.room, record.bytes);
      case 'log':
        return this.addLogRow(record.room, record.bytes);
      case 'version-info':
      case 'version-state': {
        const key = `${record.room}/${record.id}`;
        const pending = this.pendingVersions.get(key) ?? {};
        if (record.kind === 'version-info') pending.info = decodeJson<VersionInfo>(record.bytes);
        else pending.state = record.bytes;
        if (!pending.info || !pending.state) {
          this.pendingVersions.set(key, pending);
          return;
        }
        this.pendingVersions.delete(key);
        const { info, state } = pending;
        await client.query(
          `INSERT INTO ${this.table('scrawl_versions')} (room, id, label, auto, created_at, state) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (room, id) DO NOTHING`,
          [record.room, info.id, info.label, info.auto, info.createdAt, buffer(state)],
        );
        return;
      }
      case 'catalog-entry': {
        const e = decodeJson<BoardEntry>(record.bytes);
        await client.query(
          `INSERT INTO ${this.table('scrawl_boards')} AS b (id, title, created_at, updated_at, shape_count, bytes, last_editors, excerpt,
             search_text, assets, thumbnail_version, thumbnail_type, deleted_at, template, starred)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
           ON CONFLICT (id) DO UPDATE SET title = excluded.title, created_at = excluded.created_at, updated_at = excluded.updated_at,
             shape_count = excluded.shape_count, bytes = excluded.bytes, last_editors = excluded.last_editors, excerpt = excluded.excerpt,
             search_text = excluded.search_text, assets = excluded.assets, thumbnail_version = excluded.thumbnail_version,
             thumbnail_type = excluded.thumbnail_type, deleted_at = excluded.deleted_at, template = excluded.template, starred = excluded.starred
           WHERE b.updated_at < excluded.updated_at`,
          [e.id, e.title, e.createdAt, e.updatedAt, e.shapeCount, e.bytes, e.lastEditors, e.excerpt, e.searchText, e.assets,
            e.thumbnail?.version ?? null, e.thumbnail?.type ?? null, e.deletedAt, e.template, e.starred],
        );
        return;
      }
      case 'thumbnail':
        await client.query(`INSERT INTO ${this.table('scrawl_board_thumbnails')} (id, image) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [
          record.id,
          buffer(record.bytes),
        ]);
        return;
      case 'tombstone':
        await client.query(`INSERT INTO ${this.table('scrawl_board_tombstones')} (id, deleted_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [
          record.id,
          decodeJson<{ deletedAt: string }>(record.bytes).deletedAt,
        ]);
        return;
      case 'access': {
        // `people`, the indexed column of who has access, is derived by the people module's own rule. When merging,
        // the target's record of a board wins: it may hold a revocation made since the backup, which must stand.
        const access = decodeJson<BoardAccess>(record.bytes);
        await client.query(`INSERT INTO ${this.table('scrawl_board_access')} (room, record, people) VALUES ($1, $2, $3) ON CONFLICT (room) DO NOTHING`, [
          record.id,
          access,
          peopleWithAccess(access),
        ]);
        return;
      }
      case 'profile': {
        // The target's profile wins too: it is as recent as its holder's last sign-in there.
        const profile = decodeJson<Profile>(record.bytes);
        await client.query(`INSERT INTO ${this.table('scrawl_profiles')} (email, name, picture) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING`, [
          record.id,
          profile.name,
          profile.picture ?? null,
        ]);
        return;
      }
      case 'asset':
        throw new Error('assets are files, written by the restore itself');
    }
  }

  async finish(): Promise<void> {
    const client = await this.transaction();
    await this.flushLog();
    await client.query('COMMIT');
    client.release();
    this.client = null;
  }

  async abort(): Promise<void> {
    if (!this.client) return;
    const ok = await this.client.query('ROLLBACK').then(() => true, () => false);
    this.client.release(ok ? undefined : true);
    this.client = null;
  }

  private async transaction(): Promise<pg.PoolClient> {
    if (!this.client) {
      // The sign-in tables, created as a server in sign-in mode creates them (the people module's own DDL), since
      // any archive may carry access records. Outside the restore's transaction: empty tables are harmless.
      const database = { pool: this.pool, schema: this.schema };
      await new PostgresAccessStore(database).open();
      await new PostgresSessionStore(database).open();
      this.client = await this.pool.connect();
      await this.client.query('BEGIN');
    }
    return this.client;
  }

  private async addLogRow(room: string, bytes: Uint8Array): Promise<void> {
    this.logRows.push({ room, bytes });
    this.logBytes += bytes.byteLength;
    if (this.logRows.length >= LOG_ROWS || this.logBytes >= LOG_BYTES) await this.flushLog();
  }

  /** One multi-row INSERT in archive order, so the rows' seq follow each room's append order. */
  private async flushLog(): Promise<void> {
    if (this.logRows.length === 0) return;
    const rows = this.logRows;
    this.logRows = [];
    this.logBytes = 0;
    await this.client!.query(
      `INSERT INTO ${this.table('scrawl_log')} (room, update)
       SELECT room, update FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS batch(room, update, position) ORDER BY position`,
      [rows.map((row) => row.room), rows.map((row) => buffer(row.bytes))],
    );
  }

  private table(name: string): string {
    return `"${this.schema}".${name}`;
  }
}

const buffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
