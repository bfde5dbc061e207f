import { mergeStoredUpdates } from './merge.ts';
import type { DocStore, RoomStoreStats } from './doc-store.ts';

interface StoredRoom {
  snapshot: Uint8Array | null;
  log: Uint8Array[];
}

/** A store in process memory, for tests and throwaway servers. Same contract as the others; nothing survives exit. */
export class MemoryStore implements DocStore {
  readonly kind = 'memory';
  private readonly rooms = new Map<string, StoredRoom>();

  async open(): Promise<void> {}

  async load(room: string): Promise<Uint8Array[]> {
    const stored = this.rooms.get(room);
    if (!stored) return [];
    return stored.snapshot ? [stored.snapshot, ...stored.log] : [...stored.log];
  }

  async append(room: string, update: Uint8Array): Promise<void> {
    const stored = this.rooms.get(room) ?? { snapshot: null, log: [] };
    this.rooms.set(room, stored);
    // A copy: the caller's buffer may be a view into a reused network buffer.
    stored.log.push(update.slice());
    // Resolve on a later turn like a real store, so callers cannot depend on synchronous completion.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  async compact(room: string): Promise<void> {
    const stored = this.rooms.get(room);
    if (!stored || stored.log.length === 0) return;
    const entries = stored.log.length;
    const inputs = stored.snapshot ? [stored.snapshot, ...stored.log.slice(0, entries)] : stored.log.slice(0, entries);
    stored.snapshot = mergeStoredUpdates(inputs).snapshot;
    stored.log.splice(0, entries);
  }

  async stats(room: string): Promise<RoomStoreStats> {
    const stored = this.rooms.get(room);
    return {
      snapshotBytes: stored?.snapshot?.byteLength ?? 0,
      logEntries: stored?.log.length ?? 0,
      logBytes: stored?.log.reduce((sum, u) => sum + u.byteLength, 0) ?? 0,
    };
  }

  async close(): Promise<void> {}
}
