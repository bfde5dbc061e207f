import { Level } from 'level';
import { mergeInBackground } from './merge.ts';
import { type DocStore, type RoomStoreStats, StoreUnavailableError, type VersionInfo } from './doc-store.ts';
import { GroupCommit } from './group-commit.ts';
import { KeyedMutex } from './keyed-mutex.ts';

/** Options of {@link LevelDbStore}. */
export interface LevelDbStoreOptions {
  /** The database directory (DATA_DIR). Created when missing; one process at a time may hold it. */
  directory: string;
  /** How long appends gather before one batch is written after a quiet spell, default 4 ms (see GroupCommit). */
  commitWindowMs?: number;
  /**
   * How long they gather while the store is busy (a batch opening within this long of a write of several appends),
   * default 32 ms. Each LevelDB batch costs a hand-off to a libuv worker thread and back however few entries it
   * holds; at 32 ms a busy server writes ~30 batches a second instead of ~200 at 4 ms, and acknowledgements come up to
   * 32 ms later. Only the acknowledgement waits: updates are relayed at once (docs/benchmarks.md, "The commit
   * window").
   */
  busyCommitWindowMs?: number;
  /**
   * fsync every write batch, default false. Off, an acknowledged update survives a crash of the process (kill -9) but
   * not of the machine; on, it survives power loss too, at the cost of one fsync per group commit.
   */
  fsync?: boolean;
}


// Keys: `<room>/s` holds the snapshot, `<room>/l/<seq>` the log. Room ids never contain '/', and '0'..'9' sort the
// zero-padded sequence numbers in append order.
const snapshotKey = (room: string) => `${room}/s`;
const logPrefix = (room: string) => `${room}/l/`;
const logKey = (room: string, seq: number) => `${logPrefix(room)}${seq.toString().padStart(15, '0')}`;
const logRange = (room: string) => ({ gt: logPrefix(room), lt: `${room}/l0` });
// Versions: `<room>/vi/<id>` holds the JSON info, `<room>/vs/<id>` the state.
const versionInfoKey = (room: string, id: string) => `${room}/vi/${id}`;
const versionStateKey = (room: string, id: string) => `${room}/vs/${id}`;
const versionInfoRange = (room: string) => ({ gt: `${room}/vi/`, lt: `${room}/vi0` });
// The smallest character a room id may start with ('-'); sublevels' keys start with '!', below it.
const FIRST_ROOM_KEY = '-';

/**
 * One record of the database as a backup reads it and a restore writes it: the room's stored Yjs bytes (snapshot, log
 * entries by sequence number), its versions (info JSON and state), and side-table records, each exactly as stored.
 */
export type StoredRecord =
  | { kind: 'snapshot'; room: string; value: Uint8Array }
  | { kind: 'log'; room: string; seq: number; value: Uint8Array }
  | { kind: 'version-info'; room: string; id: string; value: Uint8Array }
  | { kind: 'version-state'; room: string; id: string; value: Uint8Array }
  | { kind: 'side'; table: string; key: string; value: Uint8Array };

/** Records kept beside the documents in the LevelDB database (see {@link LevelDbStore.sideTable}). */
export interface SideTable {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array): Promise<void>;
  del(key: string): Promise<void>;
  /** Every key and value, in key order. */
  entries(): AsyncIterable<[string, Uint8Array]>;
}

/**
 * The embedded default store on LevelDB (package `level`). Appends that arrive in the same tick go to disk as one
 * batch (group commit), and each append resolves once its batch is written.
 */
export class LevelDbStore implements DocStore {
  readonly kind = 'leveldb';
  private readonly db: Level<string, Uint8Array>;
  private readonly fsync: boolean;
  private readonly directory: string;
  /** The next sequence number per room, read from disk once, then kept here. */
  private readonly nextSeq = new Map<string, number>();
  private readonly seqLoading = new Map<string, Promise<number>>();
  /** Appends of one turn become one LevelDB batch. */
  private readonly appends: GroupCommit<{ key: string; value: Uint8Array }>;
  /** Serialises compaction with reads of the same room. */
  private readonly roomLocks = new KeyedMutex();

  constructor(options: LevelDbStoreOptions) {
    this.directory = options.directory;
    this.fsync = options.fsync ?? false;
    this.db = new Level<string, Uint8Array>(options.directory, { keyEncoding: 'utf8', valueEncoding: 'view' });
    this.appends = new GroupCommit(
      (batch) => this.db.batch(batch.map(({ key, value }) => ({ type: 'put' as const, key, value })), { sync: this.fsync }),
      options.commitWindowMs ?? 4,
      options.busyCommitWindowMs ?? 32,
    );
  }

  async open(): Promise<void> {
    try {
      await this.db.open();
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      const message =
        code === 'LEVEL_LOCKED'
          ? `the data directory ${this.directory} is in use by another process (LevelDB lock held); ` +
            'stop the other Scrawl server or point DATA_DIR elsewhere'
          : `cannot open the data directory ${this.directory}: ${(error as Error).cause ?? (error as Error).message}`;
      throw new StoreUnavailableError(message, { cause: error });
    }
  }

  load(room: string): Promise<Uint8Array[]> {
    // Under the room's lock: a compaction between the two reads would hide the entries it folded in.
    return this.roomLocks.run(room, async () => {
      const snapshot = await this.db.get(snapshotKey(room));
      const log = await this.db.values(logRange(room)).all();
      return snapshot === undefined ? log : [snapshot, ...log];
    });
  }

  append(room: string, update: Uint8Array): Promise<void> {
    const seq = this.nextSeq.get(room);
    // Not an async function: this runs for every update, and once the room's counter is known the batch's own
    // promise is all the caller needs.
    if (seq !== undefined) {
      this.nextSeq.set(room, seq + 1);
      return this.appends.add({ key: logKey(room, seq), value: update });
    }
    return this.loadNextSeq(room).then((next) => {
      // Concurrent first appends all waited for the same read; the first one back sets the counter.
      if (!this.nextSeq.has(room)) this.nextSeq.set(room, next);
      return this.append(room, update);
    });
  }

  async compact(room: string): Promise<void> {
    await this.roomLocks.run(room, async () => {
      const snapshot = await this.db.get(snapshotKey(room));
      const entries = await this.db.iterator(logRange(room)).all();
      if (entries.length === 0) return;
      const inputs = snapshot === undefined ? entries.map(([, v]) => v) : [snapshot, ...entries.map(([, v]) => v)];
      const merged = await mergeInBackground(inputs);
      // One atomic batch: the new snapshot and the removal of exactly the entries it contains.
      await this.db.batch(
        [
          { type: 'put', key: snapshotKey(room), value: merged.snapshot },
          ...entries.map(([key]) => ({ type: 'del' as const, key })),
        ],
        { sync: this.fsync },
      );
    });
  }

  stats(room: string): Promise<RoomStoreStats> {
    return this.roomLocks.run(room, async () => {
      const snapshot = await this.db.get(snapshotKey(room));
      let logEntries = 0;
      let logBytes = 0;
      for await (const value of this.db.values(logRange(room))) {
        logEntries += 1;
        logBytes += value.byteLength;
      }
      return { snapshotBytes: snapshot?.byteLength ?? 0, logEntries, logBytes };
    });
  }

  async saveVersion(room: string, info: VersionInfo, state: Uint8Array): Promise<void> {
    await this.db.batch(
      [
        { type: 'put', key: versionStateKey(room, info.id), value: state },
        { type: 'put', key: versionInfoKey(room, info.id), value: encodeJson(info) },
      ],
      { sync: this.fsync },
    );
  }

  async listVersions(room: string): Promise<VersionInfo[]> {
    const values = await this.db.values({ ...versionInfoRange(room), reverse: true }).all();
    return values.map((value) => decodeJson<VersionInfo>(value));
  }

  async loadVersion(room: string, id: string): Promise<Uint8Array | null> {
    return (await this.db.get(versionStateKey(room, id))) ?? null;
  }

  async labelVersion(room: string, id: string, label: string): Promise<VersionInfo | null> {
    const stored = await this.db.get(versionInfoKey(room, id));
    if (stored === undefined) return null;
    const info = { ...decodeJson<VersionInfo>(stored), label };
    await this.db.put(versionInfoKey(room, id), encodeJson(info), { sync: this.fsync });
    return info;
  }

  async deleteVersions(room: string, ids: string[]): Promise<void> {
    await this.db.batch(
      ids.flatMap((id) => [
        { type: 'del' as const, key: versionInfoKey(room, id) },
        { type: 'del' as const, key: versionStateKey(room, id) },
      ]),
      { sync: this.fsync },
    );
  }

  async compactTo(room: string, state: Uint8Array): Promise<boolean> {
    // Read now, before any wait: entries appended from here on get this number or later and are not in `state`. A room
    // with no append in this process yet has no number in memory, and reading it from disk would leave that window.
    const upTo = this.nextSeq.get(room);
    if (upTo === undefined) return false;
    await this.roomLocks.run(room, async () => {
      // Only keys on disk now; an append of an earlier number still in its commit window lands after this batch and
      // stays in the log, where applying it again on load changes nothing.
      const covered = await this.db.keys({ gte: logKey(room, 0), lt: logKey(room, upTo) }).all();
      await this.db.batch(
        [{ type: 'put', key: snapshotKey(room), value: state }, ...covered.map((key) => ({ type: 'del' as const, key }))],
        { sync: this.fsync },
      );
    });
    return true;
  }

  async *listRooms(): AsyncIterable<string> {
    // Every key of a room starts with `<room>/`; records kept beside the documents (sublevels) start with '!', which
    // sorts before every character a room id may hold. One seek past each room's keys instead of reading them all.
    const keys = this.db.keys({ gte: FIRST_ROOM_KEY });
    try {
      for (let key = await keys.next(); key !== undefined; key = await keys.next()) {
        const room = key.slice(0, key.indexOf('/'));
        yield room;
        keys.seek(`${room}0`);
      }
    } finally {
      await keys.close();
    }
  }

  async deleteRoom(room: string): Promise<void> {
    await this.appends.drain();
    await this.roomLocks.run(room, async () => {
      await this.db.clear({ gte: `${room}/`, lt: `${room}0` });
      this.nextSeq.delete(room);
    });
  }

  /**
   * A part of the same database for records kept beside the documents (the board catalog, thumbnails). Its keys
   * never mix with rooms' keys. Written without fsync: what lives there survives a crash of the process, and the
   * catalog can be derived again from the documents (`npm run reindex`). Usable once the store is open.
   */
  sideTable(name: string): SideTable {
    const table = this.db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' });
    return {
      get: (key) => table.get(key),
      put: (key, value) => table.put(key, value),
      del: (key) => table.del(key),
      entries: () => table.iterator(),
    };
  }

  /**
   * Every record of the database (side tables first, then rooms in id order), read through one iterator. classic-level
   * iterators read from an implicit snapshot taken when they are created, so the whole backup sees one consistent
   * state: every append resolved before the call (hence every acknowledged update) is in it, and nothing written
   * after. Values are the stored bytes themselves. Keys this layout does not know are skipped.
   */
  async *readConsistent(): AsyncIterable<StoredRecord> {
    const iterator = this.db.iterator();
    try {
      for (let item = await iterator.next(); item !== undefined; item = await iterator.next()) {
        const record = parseStoredKey(item[0], item[1]);
        if (record) yield record;
      }
    } finally {
      await iterator.close();
    }
  }

  /**
   * Writes restored records as one batch, under the keys this store reads them from. For an empty database (a
   * restore): log entries keep their numbers, and the counters of rooms written here are read again from disk.
   */
  async writeRecords(records: StoredRecord[], options: { sync?: boolean } = {}): Promise<void> {
    const sublevels = new Map<string, ReturnType<typeof this.db.sublevel<string, Uint8Array>>>();
    const sublevel = (table: string) => {
      let found = sublevels.get(table);
      if (!found) sublevels.set(table, (found = this.db.sublevel<string, Uint8Array>(table, { keyEncoding: 'utf8', valueEncoding: 'view' })));
      return found;
    };
    await this.db.batch(
      records.map((record) => {
        if (record.kind === 'side') return { type: 'put' as const, sublevel: sublevel(record.table), key: record.key, value: record.value };
        if (record.kind !== 'snapshot') this.nextSeq.delete(record.room);
        const key =
          record.kind === 'snapshot'
            ? snapshotKey(record.room)
            : record.kind === 'log'
              ? logKey(record.room, record.seq)
              : record.kind === 'version-info'
                ? versionInfoKey(record.room, record.id)
                : versionStateKey(record.room, record.id);
        return { type: 'put' as const, key, value: record.value };
      }),
      { sync: options.sync ?? this.fsync },
    );
  }

  async close(): Promise<void> {
    await this.appends.drain();
    await this.db.close();
  }

  private loadNextSeq(room: string): Promise<number> {
    let loading = this.seqLoading.get(room);
    if (!loading) {
      loading = (async () => {
        const [last] = await this.db.keys({ ...logRange(room), reverse: true, limit: 1 }).all();
        this.seqLoading.delete(room);
        return last === undefined ? 0 : Number(last.slice(logPrefix(room).length)) + 1;
      })();
      this.seqLoading.set(room, loading);
    }
    return loading;
  }
}

/** The record a raw key stands for, or null for keys of no known layout. */
function parseStoredKey(key: string, value: Uint8Array): StoredRecord | null {
  if (key.startsWith('!')) {
    // A sublevel's key: `!<name>!<key>` (abstract-level's default prefix).
    const end = key.indexOf('!', 1);
    return end < 0 ? null : { kind: 'side', table: key.slice(1, end), key: key.slice(end + 1), value };
  }
  const slash = key.indexOf('/');
  if (slash <= 0) return null;
  const room = key.slice(0, slash);
  const rest = key.slice(slash + 1);
  if (rest === 's') return { kind: 'snapshot', room, value };
  if (rest.startsWith('l/')) return { kind: 'log', room, seq: Number(rest.slice(2)), value };
  if (rest.startsWith('vi/')) return { kind: 'version-info', room, id: rest.slice(3), value };
  if (rest.startsWith('vs/')) return { kind: 'version-state', room, id: rest.slice(3), value };
  return null;
}

const encodeJson = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decodeJson = <T>(bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as T;
