/**
 * The `AccessStore` interface (one record per board, see access-record.ts) and its implementation over a key-value
 * table: a Map for the memory store, a LevelDB side table beside the documents for the embedded store. The PostgreSQL
 * implementation is postgres-access.ts. One contract suite (server/test/access-contract.ts) runs against all three.
 */
import { KeyedMutex } from '../persistence/keyed-mutex.ts';
import { type BoardAccess, newAccess, peopleWithAccess } from './access-record.ts';

/** Where boards' access records are kept. Every method is atomic per board; instances sharing a database see one truth. */
export interface AccessStore {
  /** 'memory', 'leveldb' or 'postgres'. */
  readonly kind: string;
  /** Creates tables or loads indexes; the document store must be open. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** The board's record, or null when nobody has claimed it yet. */
  get(room: string): Promise<BoardAccess | null>;
  /** Makes `email` the owner of a board nobody has claimed; resolves the record, someone else's when they were first. */
  claim(room: string, email: string): Promise<BoardAccess>;
  /**
   * Replaces the board's record with `change(record)` atomically (no other change of the same board in between);
   * resolves both records, or null when the board has none. Whatever `change` throws is rethrown and nothing changes.
   */
  update(room: string, change: (access: BoardAccess) => BoardAccess): Promise<{ before: BoardAccess; after: BoardAccess } | null>;
  /** Every board on which `email` is owner, member or link visitor (for the boards list). */
  roomsOf(email: string): Promise<string[]>;
  /** Forgets a board's record (the board was deleted for good). */
  remove(room: string): Promise<void>;
}

/** The few operations of a key-value table that {@link KeyValueAccessStore} needs (a LevelDB side table fits). */
export interface RecordTable {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array): Promise<void>;
  del(key: string): Promise<void>;
  entries(): AsyncIterable<[string, Uint8Array]>;
}

/** A {@link RecordTable} in process memory (the memory store's; tests). */
export function memoryTable(): RecordTable {
  const map = new Map<string, Uint8Array>();
  return {
    get: async (key) => map.get(key),
    put: async (key, value) => void map.set(key, value),
    del: async (key) => void map.delete(key),
    entries: async function* () {
      yield* [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    },
  };
}

/**
 * Access records as JSON in a key-value table, for stores with one process (memory, LevelDB): changes of one board are
 * serialised by a mutex in this process, and an index email -> boards, built at open, answers {@link roomsOf}.
 */
export class KeyValueAccessStore implements AccessStore {
  readonly kind: string;
  private readonly table: () => RecordTable;
  private records: RecordTable | null = null;
  private readonly locks = new KeyedMutex();
  private readonly byEmail = new Map<string, Set<string>>();

  /** `table` is called at open (a LevelDB side table needs its store open). */
  constructor(kind: string, table: () => RecordTable) {
    this.kind = kind;
    this.table = table;
  }

  async open(): Promise<void> {
    this.records = this.table();
    this.byEmail.clear();
    for await (const [, value] of this.records.entries()) this.index(null, decode(value));
  }

  async close(): Promise<void> {
    this.records = null;
  }

  async get(room: string): Promise<BoardAccess | null> {
    const value = await this.opened().get(room);
    return value === undefined ? null : decode(value);
  }

  claim(room: string, email: string): Promise<BoardAccess> {
    return this.locks.run(room, async () => {
      const existing = await this.get(room);
      if (existing) return existing;
      const access = newAccess(room, email);
      await this.opened().put(room, encode(access));
      this.index(null, access);
      return access;
    });
  }

  update(room: string, change: (access: BoardAccess) => BoardAccess): Promise<{ before: BoardAccess; after: BoardAccess } | null> {
    return this.locks.run(room, async () => {
      const before = await this.get(room);
      if (!before) return null;
      const after = change(before);
      await this.opened().put(room, encode(after));
      this.index(before, after);
      return { before, after };
    });
  }

  async roomsOf(email: string): Promise<string[]> {
    return [...(this.byEmail.get(email) ?? [])].sort();
  }

  remove(room: string): Promise<void> {
    return this.locks.run(room, async () => {
      const before = await this.get(room);
      await this.opened().del(room);
      if (before) this.index(before, null);
    });
  }

  private opened(): RecordTable {
    if (!this.records) throw new Error('access store is not open');
    return this.records;
  }

  private index(before: BoardAccess | null, after: BoardAccess | null): void {
    for (const email of before ? peopleWithAccess(before) : []) {
      const rooms = this.byEmail.get(email);
      rooms?.delete(before!.room);
      if (rooms?.size === 0) this.byEmail.delete(email);
    }
    for (const email of after ? peopleWithAccess(after) : []) {
      let rooms = this.byEmail.get(email);
      if (!rooms) this.byEmail.set(email, (rooms = new Set()));
      rooms.add(after!.room);
    }
  }
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decode = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as BoardAccess;
