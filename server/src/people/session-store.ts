/**
 * The `SessionStore` interface: sign-in sessions and the profiles of people who signed in, kept in the store so that
 * every instance sees them and signing out is real. Implemented over key-value tables here (memory, LevelDB side
 * tables) and in PostgreSQL (postgres-sessions.ts); one contract suite (server/test/session-contract.ts) runs on all.
 */
import type { RecordTable } from './access-store.ts';

/** What a session holds. Stored under a hash of its id: the id itself lives only in the person's cookie. */
export interface StoredSession {
  email: string;
  name: string;
  picture: string | null;
  /** The ID token from sign-in, handed back to the provider as `id_token_hint` at logout; null when none. */
  idToken: string | null;
  /** ISO times. */
  createdAt: string;
  expiresAt: string;
}

/** Name and picture of someone who signed in at least once (shown in member lists and the no-access page). */
export interface Profile {
  name: string;
  picture: string | null;
}

/** Sessions and profiles. `key` is always the SHA-256 of a session id (see session-cookie.ts), never the id. */
export interface SessionStore {
  readonly kind: string;
  open(): Promise<void>;
  close(): Promise<void>;
  /** Stores a new session. */
  create(key: string, session: StoredSession): Promise<void>;
  /** The session, or null when it is unknown or expired at `now`. */
  get(key: string, now?: Date): Promise<StoredSession | null>;
  /** Ends a session (logout). Unknown keys are ignored. */
  delete(key: string): Promise<void>;
  /** Deletes every session expired at `now`; resolves how many. */
  deleteExpired(now?: Date): Promise<number>;
  /** Records the name and picture of someone who signed in. */
  saveProfile(email: string, profile: Profile): Promise<void>;
  /** The profiles known for `emails` (people who never signed in are left out). */
  profiles(emails: string[]): Promise<Record<string, Profile>>;
}

/** Sessions and profiles in two key-value tables (memory, LevelDB side tables `sessions` and `profiles`). */
export class KeyValueSessionStore implements SessionStore {
  readonly kind: string;
  private readonly tables: () => { sessions: RecordTable; profiles: RecordTable };
  private sessions: RecordTable | null = null;
  private profileTable: RecordTable | null = null;

  /** `tables` is called at open (a LevelDB side table needs its store open). */
  constructor(kind: string, tables: () => { sessions: RecordTable; profiles: RecordTable }) {
    this.kind = kind;
    this.tables = tables;
  }

  async open(): Promise<void> {
    ({ sessions: this.sessions, profiles: this.profileTable } = this.tables());
  }

  async close(): Promise<void> {
    this.sessions = this.profileTable = null;
  }

  async create(key: string, session: StoredSession): Promise<void> {
    await this.opened().sessions.put(key, encode(session));
  }

  async get(key: string, now = new Date()): Promise<StoredSession | null> {
    const value = await this.opened().sessions.get(key);
    if (value === undefined) return null;
    const session = decode<StoredSession>(value);
    return Date.parse(session.expiresAt) > now.getTime() ? session : null;
  }

  async delete(key: string): Promise<void> {
    await this.opened().sessions.del(key);
  }

  async deleteExpired(now = new Date()): Promise<number> {
    const { sessions } = this.opened();
    const expired: string[] = [];
    for await (const [key, value] of sessions.entries()) {
      if (Date.parse(decode<StoredSession>(value).expiresAt) <= now.getTime()) expired.push(key);
    }
    for (const key of expired) await sessions.del(key);
    return expired.length;
  }

  async saveProfile(email: string, profile: Profile): Promise<void> {
    await this.opened().profiles.put(email, encode(profile));
  }

  async profiles(emails: string[]): Promise<Record<string, Profile>> {
    const found: Record<string, Profile> = {};
    for (const email of new Set(emails)) {
      const value = await this.opened().profiles.get(email);
      if (value !== undefined) found[email] = decode<Profile>(value);
    }
    return found;
  }

  private opened(): { sessions: RecordTable; profiles: RecordTable } {
    if (!this.sessions || !this.profileTable) throw new Error('session store is not open');
    return { sessions: this.sessions, profiles: this.profileTable };
  }
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decode = <T>(bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as T;
