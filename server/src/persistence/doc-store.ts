/**
 * Where rooms live when no one is connected. A room is stored as a snapshot (its merged state) plus an append-only log
 * of the updates that arrived after it. The server appends every update before acknowledging it, and compacts the log
 * into the snapshot in the background. Implementations: LevelDB (the embedded default), PostgreSQL (shared by several
 * instances) and memory (tests). One contract suite (server/test/store-contract.ts) runs against each.
 */
export interface DocStore {
  /** A short name for logs and metrics: `leveldb`, `postgres`, `memory`. */
  readonly kind: string;

  /** Opens the store. Rejects with an error naming the resource when it cannot be used (locked directory, bad URL). */
  open(): Promise<void>;

  /**
   * The room's stored updates in the order to apply them: the snapshot first (if any), then the log. An empty array
   * when nothing is stored. Applying them all to an empty Y.Doc gives the room's state.
   */
  load(room: string): Promise<Uint8Array[]>;

  /**
   * Appends one update to the room's log. Resolves only once the update is durable (survives a crash of this
   * process). Appends made in the same tick are written together (group commit); appends of one caller keep their
   * order.
   */
  append(room: string, update: Uint8Array): Promise<void>;

  /**
   * Merges the room's snapshot and the log entries present when the call starts into a new snapshot, atomically:
   * a crash leaves either the old snapshot and log or the new snapshot and the shorter log, never a mix that loses or
   * doubles an update. Updates appended meanwhile stay in the log. Safe to call concurrently.
   */
  compact(room: string): Promise<void>;

  /**
   * Makes `state` the room's snapshot and deletes the log entries appended before this call, atomically (a crash
   * leaves the old snapshot and log or the new ones). The caller guarantees that `state` holds the snapshot and every
   * one of those entries: it is the encoded live document, taken while no client update was between its append and
   * its apply. No merge, so far cheaper than {@link compact}. Only stores with a single writer offer it: with several
   * instances appending to one room, a live document may not have another instance's latest entries yet. Resolves
   * false, changing nothing, when the store cannot tell which entries came before the call (then use `compact`).
   */
  compactTo?(room: string, state: Uint8Array): Promise<boolean>;

  /** Figures about the room's stored form, for compaction decisions and the inspector. */
  stats(room: string): Promise<RoomStoreStats>;

  /** Saves a version: a whole state of the room, kept apart from the snapshot and log. */
  saveVersion(room: string, version: VersionInfo, state: Uint8Array): Promise<void>;

  /** The room's versions, newest first, without their states. */
  listVersions(room: string): Promise<VersionInfo[]>;

  /** The state of one version, or null when there is no such version. */
  loadVersion(room: string, id: string): Promise<Uint8Array | null>;

  /** Changes a version's label; resolves with the updated version, or null when there is no such version. */
  labelVersion(room: string, id: string, label: string): Promise<VersionInfo | null>;

  /** Deletes versions (retention); unknown ids are ignored. */
  deleteVersions(room: string, ids: string[]): Promise<void>;

  /**
   * Every room the store holds anything of (snapshot, log or versions), each once, in no particular order. Used to
   * build the board catalog of a store written before the catalog existed, and by `npm run reindex`.
   */
  listRooms(): AsyncIterable<string>;

  /**
   * Deletes everything the store holds of the room: snapshot, log and versions ("delete forever"). The caller makes
   * sure the room is not loaded and has no write in flight; an append racing the delete may survive it.
   */
  deleteRoom(room: string): Promise<void>;

  /** Finishes pending writes and releases the store. */
  close(): Promise<void>;
}

/** The stored form of one room. */
export interface RoomStoreStats {
  /** Bytes in the snapshot (0 when there is none). */
  snapshotBytes: number;
  /** Updates in the log, not yet compacted. */
  logEntries: number;
  /** Bytes in the log. */
  logBytes: number;
}

/** A saved version of a room (the state itself is loaded separately). */
export interface VersionInfo {
  /** Unique within the room; sorts by creation time. */
  id: string;
  /** Shown in the version panel; empty for unlabelled automatic versions. */
  label: string;
  /** ISO 8601 time of saving. */
  createdAt: string;
  /** Size of the saved state in bytes. */
  bytes: number;
  /** True for versions saved automatically (subject to retention), false for ones saved by a person. */
  auto: boolean;
}

/** Thrown by `open()` when the store cannot be used; the message says what to do. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** Orders versions newest first (ids sort by creation time). */
export function newestFirst(a: VersionInfo, b: VersionInfo): number {
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
