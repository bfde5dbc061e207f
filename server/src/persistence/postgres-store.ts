import pg from 'pg';
import { mergeInBackground } from './merge.ts';
import { GroupCommit } from './group-commit.ts';
import { inTransaction } from './pg-transaction.ts';
import { type DocStore, type RoomStoreStats, StoreUnavailableError, type VersionInfo } from './doc-store.ts';

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /** A `postgres://` URL (DATABASE_URL). Its password never appears in errors or logs. */
  connectionString: string;
  /**
   * The schema holding the tables, default `public`. Created when missing. Several Scrawl deployments (or test runs)
   * can share one database by using different schemas.
   */
  schema?: string;
  /** Pool size, default 10. Appends use one connection per group commit; compactions and loads one each. */
  maxConnections?: number;
  /**
   * Called when an idle pooled connection fails (the database restarted). The pool replaces it; without a handler
   * such an error would end the process. Default: ignore, since the next query reports any lasting failure.
   */
  onIdleError?: (error: Error) => void;
}


const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

// Every DDL statement of every instance takes this lock, so instances starting together do not race on CREATE ... IF
// NOT EXISTS (which is not atomic in PostgreSQL and can fail with a unique violation on the catalog).
const DDL_LOCK_KEY = 0x5c4a_1001;

/**
 * The shared store for several instances, on PostgreSQL (package `pg`). Tables (created when missing):
 * `scrawl_snapshots(room, state, updated_at)` and `scrawl_log(room, seq, update)`.
 *
 * - Appends arriving in the same tick are written as one multi-row INSERT (group commit), and resolve once it
 *   committed; batches are written one after another so one caller's appends keep their order.
 * - Compaction runs in one transaction holding a per-room advisory lock, reads the snapshot and log, writes the merged
 *   snapshot and deletes exactly the log rows it read (by seq, never by range: a row another instance appended with a
 *   lower seq but committed later must survive). Concurrent compactions of one room, from any instance, queue on the
 *   lock, and the second sees the first's result, so nothing is lost or merged twice.
 * - Loads and stats read snapshot and log in one statement, hence one MVCC snapshot: a compaction committing
 *   meanwhile is seen entirely or not at all.
 */
export class PostgresStore implements DocStore {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private readonly schema: string;
  private readonly database: string;
  private readonly snapshots: string;
  private readonly log: string;
  private readonly versions: string;
  /** Appends of one commit window become one multi-row INSERT; batches commit in order, so seq follows append order. */
  private readonly appends = new GroupCommit<{ room: string; update: Uint8Array }>(async (batch) => {
    await this.pool.query(
      `INSERT INTO ${this.log} (room, update)
       SELECT room, update FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS batch(room, update, position)
       ORDER BY position`,
      [batch.map((a) => a.room), batch.map((a) => Buffer.from(a.update.buffer, a.update.byteOffset, a.update.byteLength))],
    );
  }, 4);

  constructor(options: PostgresStoreOptions) {
    this.schema = options.schema ?? 'public';
    if (!SCHEMA_NAME.test(this.schema)) {
      throw new StoreUnavailableError(`PostgreSQL schema name "${this.schema}" must match ${SCHEMA_NAME}`);
    }
    this.database = describeDatabase(options.connectionString);
    this.snapshots = `"${this.schema}".scrawl_snapshots`;
    this.log = `"${this.schema}".scrawl_log`;
    this.versions = `"${this.schema}".scrawl_versions`;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: 10_000,
    });
    const onIdleError = options.onIdleError ?? (() => {});
    this.pool.on('error', onIdleError);
  }

  async open(): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw new StoreUnavailableError(
        `cannot connect to the PostgreSQL database ${this.database} (DATABASE_URL): ${(error as Error).message}`,
        { cause: error },
      );
    }
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [DDL_LOCK_KEY]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.snapshots} (
           room text PRIMARY KEY,
           state bytea NOT NULL,
           updated_at timestamptz NOT NULL DEFAULT now())`,
      );
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.log} (
           room text NOT NULL,
           seq bigserial NOT NULL,
           update bytea NOT NULL,
           PRIMARY KEY (room, seq))`,
      );
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.versions} (
           room text NOT NULL,
           id text NOT NULL,
           label text NOT NULL,
           auto boolean NOT NULL,
           created_at timestamptz NOT NULL,
           state bytea NOT NULL,
           PRIMARY KEY (room, id))`,
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        // The connection is already broken; the original error is the one worth reporting.
      });
      throw new StoreUnavailableError(
        `cannot create Scrawl's tables in the PostgreSQL database ${this.database} (schema ${this.schema}): ` +
          (error as Error).message,
        { cause: error },
      );
    } finally {
      client.release();
    }
  }

  async load(room: string): Promise<Uint8Array[]> {
    const { rows } = await this.pool.query<{ data: Buffer }>(
      `SELECT data FROM (
         SELECT 0 AS part, 0::bigint AS seq, state AS data FROM ${this.snapshots} WHERE room = $1
         UNION ALL
         SELECT 1, seq, update FROM ${this.log} WHERE room = $1) stored
       ORDER BY part, seq`,
      [room],
    );
    return rows.map((row) => new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength));
  }

  append(room: string, update: Uint8Array): Promise<void> {
    // A copy: the caller's buffer may be a view into a network buffer that is reused before the batch is written.
    return this.appends.add({ room, update: update.slice() });
  }

  async compact(room: string): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      // Per room, across instances; released by COMMIT/ROLLBACK. hashtext collisions only serialise two rooms.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))`, [this.schema, room]);
      const snapshot = await client.query<{ state: Buffer }>(
        `SELECT state FROM ${this.snapshots} WHERE room = $1`,
        [room],
      );
      const entries = await client.query<{ seq: string; update: Buffer }>(
        `SELECT seq, update FROM ${this.log} WHERE room = $1 ORDER BY seq`,
        [room],
      );
      if (entries.rows.length === 0) return;
      const inputs = entries.rows.map((row) => row.update as Uint8Array);
      if (snapshot.rows.length > 0) inputs.unshift(snapshot.rows[0].state);
      const merged = await mergeInBackground(inputs);
      await client.query(
        `INSERT INTO ${this.snapshots} (room, state, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (room) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
        [room, Buffer.from(merged.snapshot.buffer, merged.snapshot.byteOffset, merged.snapshot.byteLength)],
      );
      await client.query(`DELETE FROM ${this.log} WHERE room = $1 AND seq = ANY($2::bigint[])`, [
        room,
        entries.rows.map((row) => row.seq),
      ]);
    });
  }

  async stats(room: string): Promise<RoomStoreStats> {
    const { rows } = await this.pool.query<{ snapshot_bytes: string; log_entries: string; log_bytes: string }>(
      `SELECT
         (SELECT coalesce(sum(octet_length(state)), 0) FROM ${this.snapshots} WHERE room = $1) AS snapshot_bytes,
         (SELECT count(*) FROM ${this.log} WHERE room = $1) AS log_entries,
         (SELECT coalesce(sum(octet_length(update)), 0) FROM ${this.log} WHERE room = $1) AS log_bytes`,
      [room],
    );
    return {
      snapshotBytes: Number(rows[0].snapshot_bytes),
      logEntries: Number(rows[0].log_entries),
      logBytes: Number(rows[0].log_bytes),
    };
  }

  async saveVersion(room: string, info: VersionInfo, state: Uint8Array): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.versions} (room, id, label, auto, created_at, state) VALUES ($1, $2, $3, $4, $5, $6)`,
      [room, info.id, info.label, info.auto, info.createdAt, Buffer.from(state.buffer, state.byteOffset, state.byteLength)],
    );
  }

  async listVersions(room: string): Promise<VersionInfo[]> {
    const { rows } = await this.pool.query(
      `SELECT id, label, auto, created_at, octet_length(state) AS bytes FROM ${this.versions} WHERE room = $1 ORDER BY id DESC`,
      [room],
    );
    return rows.map(toVersionInfo);
  }

  async loadVersion(room: string, id: string): Promise<Uint8Array | null> {
    const { rows } = await this.pool.query(`SELECT state FROM ${this.versions} WHERE room = $1 AND id = $2`, [room, id]);
    return rows.length === 0 ? null : new Uint8Array(rows[0].state.buffer, rows[0].state.byteOffset, rows[0].state.byteLength);
  }

  async labelVersion(room: string, id: string, label: string): Promise<VersionInfo | null> {
    const { rows } = await this.pool.query(
      `UPDATE ${this.versions} SET label = $3 WHERE room = $1 AND id = $2
       RETURNING id, label, auto, created_at, octet_length(state) AS bytes`,
      [room, id, label],
    );
    return rows.length === 0 ? null : toVersionInfo(rows[0]);
  }

  async deleteVersions(room: string, ids: string[]): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.versions} WHERE room = $1 AND id = ANY($2::text[])`, [room, ids]);
  }

  async *listRooms(): AsyncIterable<string> {
    const { rows } = await this.pool.query<{ room: string }>(
      `SELECT room FROM ${this.snapshots} UNION SELECT DISTINCT room FROM ${this.log} UNION SELECT DISTINCT room FROM ${this.versions}`,
    );
    for (const row of rows) yield row.room;
  }

  async deleteRoom(room: string): Promise<void> {
    await this.appends.drain();
    await inTransaction(this.pool, async (client) => {
      // The compaction lock: a compaction of this room on any instance finishes first or finds nothing.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))`, [this.schema, room]);
      for (const table of [this.snapshots, this.log, this.versions]) await client.query(`DELETE FROM ${table} WHERE room = $1`, [room]);
    });
  }

  /** The connection pool and schema, for records kept beside the documents in the same database (the board catalog). */
  get sharedDatabase(): { pool: pg.Pool; schema: string } {
    return { pool: this.pool, schema: this.schema };
  }

  async close(): Promise<void> {
    await this.appends.drain();
    await this.pool.end();
  }
}

/** `database "name" at host:port` from a connection URL, without the credentials. */
function describeDatabase(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    const name = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default)';
    return `"${name}" at ${url.hostname || 'localhost'}:${url.port || '5432'}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/** A row of scrawl_versions (without the state) as a VersionInfo. */
function toVersionInfo(row: { id: string; label: string; auto: boolean; created_at: Date; bytes: number | string }): VersionInfo {
  return { id: row.id, label: row.label, auto: row.auto, createdAt: row.created_at.toISOString(), bytes: Number(row.bytes) };
}
