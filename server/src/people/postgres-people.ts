/**
 * Access records, sessions and profiles in PostgreSQL, beside the documents in the store's schema (tables
 * `scrawl_board_access`, `scrawl_sessions`, `scrawl_profiles`), so that every instance on one DATABASE_URL shares them:
 * a revocation or a logout on one instance holds on all of them at once.
 */
import type pg from 'pg';
import { inTransaction } from '../persistence/pg-transaction.ts';
import { type BoardAccess, newAccess, peopleWithAccess } from './access-record.ts';
import type { AccessStore } from './access-store.ts';
import type { Profile, SessionStore, StoredSession } from './session-store.ts';

// Every instance's DDL takes this lock (like the store's and the catalog's), so instances starting together do not
// race on CREATE ... IF NOT EXISTS.
const DDL_LOCK_KEY = 0x5c4a_1003;

/** The document store's pool and schema (PostgresStore.sharedDatabase). */
export interface SharedDatabase {
  pool: pg.Pool;
  schema: string;
}

async function createTables(database: SharedDatabase, statements: string[]): Promise<void> {
  try {
    await inTransaction(database.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [DDL_LOCK_KEY]);
      for (const statement of statements) await client.query(statement);
    });
  } catch (error) {
    throw new Error(`cannot create the sign-in tables in PostgreSQL (schema ${database.schema}): ${(error as Error).message}`, { cause: error });
  }
}

/**
 * One row per board: the record as JSON, and the emails with any access in an indexed array column, so a person's
 * boards list is one index lookup. Changes lock the row (SELECT ... FOR UPDATE), so two instances changing one board
 * apply their changes one after the other.
 */
export class PostgresAccessStore implements AccessStore {
  readonly kind = 'postgres';
  private readonly database: SharedDatabase;
  private readonly table: string;

  constructor(database: SharedDatabase) {
    this.database = database;
    this.table = `"${database.schema}".scrawl_board_access`;
  }

  open(): Promise<void> {
    return createTables(this.database, [
      `CREATE TABLE IF NOT EXISTS ${this.table} (room text PRIMARY KEY, record jsonb NOT NULL, people text[] NOT NULL)`,
      `CREATE INDEX IF NOT EXISTS scrawl_board_access_people ON ${this.table} USING gin (people)`,
    ]);
  }

  async close(): Promise<void> {
    // The pool belongs to the document store, which closes it.
  }

  async get(room: string): Promise<BoardAccess | null> {
    const { rows } = await this.database.pool.query<{ record: BoardAccess }>(`SELECT record FROM ${this.table} WHERE room = $1`, [room]);
    return rows[0]?.record ?? null;
  }

  async claim(room: string, email: string): Promise<BoardAccess> {
    const access = newAccess(room, email);
    // The first INSERT wins; everyone else reads the winner's record.
    await this.database.pool.query(`INSERT INTO ${this.table} (room, record, people) VALUES ($1, $2, $3) ON CONFLICT (room) DO NOTHING`, [
      room,
      access,
      peopleWithAccess(access),
    ]);
    return (await this.get(room))!;
  }

  update(room: string, change: (access: BoardAccess) => BoardAccess): Promise<{ before: BoardAccess; after: BoardAccess } | null> {
    return inTransaction(this.database.pool, async (client) => {
      const { rows } = await client.query<{ record: BoardAccess }>(`SELECT record FROM ${this.table} WHERE room = $1 FOR UPDATE`, [room]);
      if (rows.length === 0) return null;
      const before = rows[0].record;
      const after = change(before);
      await client.query(`UPDATE ${this.table} SET record = $2, people = $3 WHERE room = $1`, [room, after, peopleWithAccess(after)]);
      return { before, after };
    });
  }

  async roomsOf(email: string): Promise<string[]> {
    const { rows } = await this.database.pool.query<{ room: string }>(
      `SELECT room FROM ${this.table} WHERE people @> ARRAY[$1]::text[] ORDER BY room`,
      [email],
    );
    return rows.map((row) => row.room);
  }

  async remove(room: string): Promise<void> {
    await this.database.pool.query(`DELETE FROM ${this.table} WHERE room = $1`, [room]);
  }
}

/** Sessions (by the hash of their id, with an indexed expiry) and profiles (by email). */
export class PostgresSessionStore implements SessionStore {
  readonly kind = 'postgres';
  private readonly database: SharedDatabase;
  private readonly sessions: string;
  private readonly profileTable: string;

  constructor(database: SharedDatabase) {
    this.database = database;
    this.sessions = `"${database.schema}".scrawl_sessions`;
    this.profileTable = `"${database.schema}".scrawl_profiles`;
  }

  open(): Promise<void> {
    return createTables(this.database, [
      `CREATE TABLE IF NOT EXISTS ${this.sessions} (key text PRIMARY KEY, record jsonb NOT NULL, expires_at timestamptz NOT NULL)`,
      `CREATE INDEX IF NOT EXISTS scrawl_sessions_by_expiry ON ${this.sessions} (expires_at)`,
      `CREATE TABLE IF NOT EXISTS ${this.profileTable} (email text PRIMARY KEY, name text NOT NULL, picture text)`,
    ]);
  }

  async close(): Promise<void> {
    // The pool belongs to the document store, which closes it.
  }

  async create(key: string, session: StoredSession): Promise<void> {
    await this.database.pool.query(`INSERT INTO ${this.sessions} (key, record, expires_at) VALUES ($1, $2, $3)`, [key, session, session.expiresAt]);
  }

  async get(key: string, now = new Date()): Promise<StoredSession | null> {
    const { rows } = await this.database.pool.query<{ record: StoredSession }>(
      `SELECT record FROM ${this.sessions} WHERE key = $1 AND expires_at > $2`,
      [key, now],
    );
    return rows[0]?.record ?? null;
  }

  async delete(key: string): Promise<void> {
    await this.database.pool.query(`DELETE FROM ${this.sessions} WHERE key = $1`, [key]);
  }

  async deleteExpired(now = new Date()): Promise<number> {
    const { rowCount } = await this.database.pool.query(`DELETE FROM ${this.sessions} WHERE expires_at <= $1`, [now]);
    return rowCount ?? 0;
  }

  async saveProfile(email: string, profile: Profile): Promise<void> {
    await this.database.pool.query(
      `INSERT INTO ${this.profileTable} (email, name, picture) VALUES ($1, $2, $3)
       ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name, picture = EXCLUDED.picture`,
      [email, profile.name, profile.picture],
    );
  }

  async profiles(emails: string[]): Promise<Record<string, Profile>> {
    const { rows } = await this.database.pool.query<{ email: string; name: string; picture: string | null }>(
      `SELECT email, name, picture FROM ${this.profileTable} WHERE email = ANY($1::text[])`,
      [emails],
    );
    return Object.fromEntries(rows.map((row) => [row.email, { name: row.name, picture: row.picture }]));
  }
}
