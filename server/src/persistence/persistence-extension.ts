import type {
  Extension,
  afterUnloadDocumentPayload,
  beforeSyncPayload,
  onLoadDocumentPayload,
  onStoreDocumentPayload,
} from '@hocuspocus/server';
import type { Logger } from '../log.ts';
import type { DocStore } from './doc-store.ts';
import { applyStoredUpdates } from './merge.ts';
import { SyncType } from '../sync/frames.ts';

/** Options of {@link PersistenceExtension}. */
export interface PersistenceOptions {
  /** The store rooms are loaded from and appended to. */
  store: DocStore;
  /** Logger for load, append and compaction failures. */
  log: Logger;
  /**
   * Compact a room's log into its snapshot once this many updates were appended since the last compaction, default
   * 500. Compaction also runs when Hocuspocus stores a document (debounced, and when its last client leaves).
   */
  compactAfterUpdates?: number;
}

/** Origin of the updates applied while loading, so nothing treats them as new changes. */
export const LOAD_ORIGIN = Symbol('scrawl-load');

// An empty update (no structs, empty delete set), as a client sends in its sync step 2 when it has nothing new.
const isEmptyUpdate = (update: Uint8Array) => update.byteLength === 2 && update[0] === 0 && update[1] === 0;

/**
 * Hocuspocus extension that keeps rooms in a {@link DocStore}:
 * - load: the stored snapshot and log are applied before the first client syncs, so the first sync holds the state;
 * - append: every update from a client is appended in `beforeSync`, which Hocuspocus awaits before applying the update
 *   and sending the SyncStatus acknowledgement, so an acknowledged update is always stored. The same path serves both
 *   endpoints because y-websocket clients go through Hocuspocus's connection handling too;
 * - compact: in the background, after many appends and when the document is stored (debounced, and on the last
 *   disconnect before unloading).
 */
export class PersistenceExtension implements Extension {
  /** Runs after extensions that may refuse a message (auth, limits) and before Hocuspocus's own handlers. */
  priority = 50;
  private readonly store: DocStore;
  private readonly log: Logger;
  private readonly compactAfterUpdates: number;
  /** Updates appended per loaded room since its last compaction. */
  private readonly appendsSinceCompaction = new Map<string, number>();
  private readonly compacting = new Map<string, Promise<void>>();

  constructor(options: PersistenceOptions) {
    this.store = options.store;
    this.log = options.log.child({ module: 'persistence' });
    this.compactAfterUpdates = options.compactAfterUpdates ?? 500;
  }

  async onLoadDocument({ document, documentName }: onLoadDocumentPayload): Promise<void> {
    const started = performance.now();
    const updates = await this.store.load(documentName);
    const rejected = applyStoredUpdates(document, updates, LOAD_ORIGIN);
    if (rejected > 0) {
      this.log.error({ room: documentName, rejected }, 'stored updates could not be applied and were skipped');
    }
    this.appendsSinceCompaction.set(documentName, updates.length > 1 ? updates.length - 1 : 0);
    this.log.debug({ room: documentName, entries: updates.length, ms: performance.now() - started }, 'room loaded');
  }

  async beforeSync({ documentName, connection, type, payload }: beforeSyncPayload): Promise<void> {
    if (type !== SyncType.step2 && type !== SyncType.update) return;
    // Read-only connections are refused by Hocuspocus right after this hook; their updates are never stored.
    if (connection.readOnly || isEmptyUpdate(payload)) return;
    await this.store.append(documentName, payload);
    const count = (this.appendsSinceCompaction.get(documentName) ?? 0) + 1;
    this.appendsSinceCompaction.set(documentName, count);
    if (count >= this.compactAfterUpdates) void this.compact(documentName);
  }

  async onStoreDocument({ documentName }: onStoreDocumentPayload): Promise<void> {
    if ((this.appendsSinceCompaction.get(documentName) ?? 0) > 0) await this.compact(documentName);
  }

  async afterUnloadDocument({ documentName }: afterUnloadDocumentPayload): Promise<void> {
    this.appendsSinceCompaction.delete(documentName);
  }

  /** Compacts one room, at most once at a time per room; failures are logged and retried by a later trigger. */
  private compact(room: string): Promise<void> {
    const running = this.compacting.get(room);
    if (running) return running;
    this.appendsSinceCompaction.set(room, 0);
    const task = this.store
      .compact(room)
      .catch((error: unknown) => {
        // The log still holds every update; the next trigger tries again.
        this.appendsSinceCompaction.set(room, this.compactAfterUpdates);
        this.log.error({ room, err: error }, 'compaction failed');
      })
      .finally(() => this.compacting.delete(room));
    this.compacting.set(room, task);
    return task;
  }
}
