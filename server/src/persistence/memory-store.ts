import { KeyedMutex } from './keyed-mutex.ts';
import { mergeInBackground } from './merge.ts';
import { newestFirst, type DocStore, type RoomStoreStats, type VersionInfo } from './doc-store.ts';

interface StoredRoom {
  snapshot: Uint8Array | null;
  log: Uint8Array[];
  /** How many entries were ever removed from the front of the log, so positions stay valid across compactions. */
  removed: number;
}

interface StoredVersion {
  info: VersionInfo;
  state: Uint8Array;
}

/** A store in process memory, for tests and throwaway servers. Same contract as the others; nothing survives exit. */
export class MemoryStore implements DocStore {
  readonly kind = 'memory';
  private readonly rooms = new Map<string, StoredRoom>();
  private readonly compactions = new KeyedMutex();
  private readonly versions = new Map<string, Map<string, StoredVersion>>();

  async open(): Promise<void> {}

  async load(room: string): Promise<Uint8Array[]> {
    const stored = this.rooms.get(room);
    if (!stored) return [];
    return stored.snapshot ? [stored.snapshot, ...stored.log] : [...stored.log];
  }

  async append(room: string, update: Uint8Array): Promise<void> {
    const stored = this.rooms.get(room) ?? { snapshot: null, log: [], removed: 0 };
    this.rooms.set(room, stored);
    // A copy: the caller's buffer may be a view into a reused network buffer.
    stored.log.push(update.slice());
    // Resolve on a later turn like a real store, so callers cannot depend on synchronous completion.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  compact(room: string): Promise<void> {
    // One compaction per room at a time: each removes exactly the entries it merged.
    return this.compactions.run(room, async () => {
      const stored = this.rooms.get(room);
      if (!stored || stored.log.length === 0) return;
      const entries = stored.log.length;
      const inputs = stored.snapshot ? [stored.snapshot, ...stored.log.slice(0, entries)] : stored.log.slice(0, entries);
      const merged = await mergeInBackground(inputs);
      stored.snapshot = merged.snapshot;
      stored.log.splice(0, entries);
      stored.removed += entries;
    });
  }

  compactTo(room: string, state: Uint8Array): Promise<boolean> {
    // Read now, before waiting for the room: entries appended from here on are not in `state`.
    const stored = this.rooms.get(room);
    if (!stored) return Promise.resolve(false);
    const appendedBefore = stored.removed + stored.log.length;
    return this.compactions.run(room, async () => {
      const covered = appendedBefore - stored.removed;
      stored.snapshot = state.slice();
      stored.log.splice(0, covered);
      stored.removed += covered;
      return true;
    });
  }

  async stats(room: string): Promise<RoomStoreStats> {
    const stored = this.rooms.get(room);
    return {
      snapshotBytes: stored?.snapshot?.byteLength ?? 0,
      logEntries: stored?.log.length ?? 0,
      logBytes: stored?.log.reduce((sum, u) => sum + u.byteLength, 0) ?? 0,
    };
  }

  async saveVersion(room: string, info: VersionInfo, state: Uint8Array): Promise<void> {
    const versions = this.versions.get(room) ?? new Map<string, StoredVersion>();
    this.versions.set(room, versions);
    versions.set(info.id, { info: { ...info }, state: state.slice() });
  }

  async listVersions(room: string): Promise<VersionInfo[]> {
    return [...(this.versions.get(room)?.values() ?? [])].map((v) => ({ ...v.info })).sort(newestFirst);
  }

  async loadVersion(room: string, id: string): Promise<Uint8Array | null> {
    return this.versions.get(room)?.get(id)?.state ?? null;
  }

  async labelVersion(room: string, id: string, label: string): Promise<VersionInfo | null> {
    const version = this.versions.get(room)?.get(id);
    if (!version) return null;
    version.info.label = label;
    return { ...version.info };
  }

  async deleteVersions(room: string, ids: string[]): Promise<void> {
    for (const id of ids) this.versions.get(room)?.delete(id);
  }

  async *listRooms(): AsyncIterable<string> {
    const rooms = new Set([...this.rooms.keys(), ...this.versions.keys()]);
    yield* rooms;
  }

  async deleteRoom(room: string): Promise<void> {
    this.rooms.delete(room);
    this.versions.delete(room);
  }

  async close(): Promise<void> {}
}
