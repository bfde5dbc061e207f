import type {
  Connection,
  Document,
  Extension,
  afterUnloadDocumentPayload,
  onLoadDocumentPayload,
  onStoreDocumentPayload,
} from '@hocuspocus/server';
import * as Y from 'yjs';
import type { Logger } from '../log.ts';
import type { DocStore } from './doc-store.ts';
import { applyStoredUpdates, withoutUpdateEvents } from './merge.ts';
import { deferLoad, finishLoad } from './deferred-load.ts';
import { forgetCachedAnswers, noClientMessageInProgress, seedFullState } from '../sync/hocuspocus-patches.ts';
import type { ConnectionContext } from '../sync/socket-server.ts';
import type { ClientUpdateObserver } from '../sync/direct-messages.ts';
import type { ScrawlMetrics } from '../metrics.ts';

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

/**
 * A room changed this recently (Hocuspocus's `lastChangeTime`) is still being edited; Hocuspocus's store debounce
 * fires 2 s after the last change.
 */
const BUSY_WITHIN_MS = 1_000;

/**
 * Rooms whose state (as last measured, plus the bytes appended since) is below this are compacted from the live
 * document on the main thread; larger ones are merged by the store on a worker thread. Encoding 256 KiB of state takes
 * ~1-3 ms.
 */
const LIVE_COMPACTION_MAX_BYTES = 256 * 1024;

/** Turns a compaction waits for a moment to compact from the live document before merging the store instead. */
const LIVE_COMPACTION_ATTEMPTS = 5;

/** What the persistence extension keeps per loaded room. */
interface LoadedRoom {
  /** The room's live document (Hocuspocus's). */
  document: Document;
  /** Updates appended since the last compaction. */
  appendsSinceCompaction: number;
  /** About how many bytes the room's state takes: measured at load and at each live compaction, plus appends since. */
  stateBytes: number;
}

/** A room's store writes not yet settled. */
interface RoomWrites {
  /** How many distinct writes (group-committed batches) are pending. */
  count: number;
  /** The write watched last; appends that join it need no watching of their own. */
  latest: Promise<void>;
  /** Called once every write has settled. */
  waiters: (() => void)[];
}

/** Origin of the updates applied while loading, so nothing treats them as new changes. */
export const LOAD_ORIGIN = Symbol('scrawl-load');

/** Origin of changes the server makes itself (see `applyServerChange`). */
export const SERVER_ORIGIN = Symbol('scrawl-server');

// An empty update (no structs, empty delete set), as a client sends in its sync step 2 when it has nothing new.
const isEmptyUpdate = (update: Uint8Array) => update.byteLength === 2 && update[0] === 0 && update[1] === 0;

/**
 * Hocuspocus extension that keeps rooms in a {@link DocStore}:
 * - load: the stored snapshot and log are read before the first client syncs, so the first sync holds the state; a
 *   single snapshot is sent to empty joiners as stored and applied to the document after (deferred-load.ts);
 * - append: every update from a client is appended before it is applied (`beforeClientUpdate`, called on both message
 *   paths, see sync/direct-messages.ts); the update is applied and relayed at once,
 *   and its SyncStatus acknowledgement is held by the client's socket until the append is durable, so an acknowledged
 *   update is always stored. The same path serves both endpoints, since y-websocket clients go through Hocuspocus's
 *   connection handling too;
 * - compact: in the background, after many appends and when the document is stored (debounced, and on the last
 *   disconnect before unloading); small rooms from the live document, the rest by merging the store (`compactRoom`).
 */
export class PersistenceExtension implements Extension, ClientUpdateObserver {
  /** Its load, store and unload hooks run after those of the scale-out relay (900) and the embedding app's extensions (100). */
  priority = 50;
  private readonly store: DocStore;
  private readonly log: Logger;
  private readonly compactAfterUpdates: number;
  /** What this extension keeps per loaded room. */
  private readonly rooms = new Map<string, LoadedRoom>();
  private readonly compacting = new Map<string, Promise<void>>();
  /**
   * Compactions run one after another. Rooms that got busy together reach their append count together, and 20
   * compactions at once (each merging its log on the main thread) stalled the relay for ~100 ms; in a row, each
   * merge gets a turn of its own.
   */
  private compactions: Promise<unknown> = Promise.resolve();
  private metrics: ScrawlMetrics | null = null;
  /** Store writes not yet settled, per room. */
  private readonly writesInFlight = new Map<string, RoomWrites>();

  constructor(options: PersistenceOptions) {
    this.store = options.store;
    this.log = options.log.child({ module: 'persistence' });
    this.compactAfterUpdates = options.compactAfterUpdates ?? 500;
  }

  /** Reports append and compaction latencies to `metrics`. */
  observe(metrics: ScrawlMetrics): void {
    this.metrics = metrics;
  }

  async onLoadDocument({ document, documentName }: onLoadDocumentPayload): Promise<void> {
    const started = performance.now();
    // A room unloaded with writes still in flight and loaded again at once must not miss them.
    await this.writesSettled(documentName);
    const updates = await this.store.load(documentName);
    const apply = () => {
      const rejected = withoutUpdateEvents(document, () => applyStoredUpdates(document, updates, LOAD_ORIGIN));
      if (rejected === 0) return;
      this.log.error({ room: documentName, rejected }, 'stored updates could not be applied and were skipped');
      forgetCachedAnswers(document);
    };
    if (updates.length === 1) {
      // A compacted room is one snapshot: exactly the state new clients need, already encoded. They are answered with
      // it while the (much slower) apply waits until their answers have left (see deferred-load.ts).
      seedFullState(document, updates[0]);
      deferLoad(document, apply);
    } else {
      apply();
    }
    this.rooms.set(documentName, {
      document,
      appendsSinceCompaction: updates.length > 1 ? updates.length - 1 : 0,
      stateBytes: updates.reduce((sum, update) => sum + update.byteLength, 0),
    });
    this.log.debug({ room: documentName, entries: updates.length, ms: performance.now() - started }, 'room loaded');
  }

  /** Appends a client's update (on either path, see sync/direct-messages.ts). */
  beforeClientUpdate(document: Document, connection: Connection, update: Uint8Array): void {
    if (isEmptyUpdate(update)) return;
    const documentName = document.name;
    // Not awaited: the update is applied and relayed at once, and only its acknowledgement waits for the write
    // (the socket's AckGate), so readers never wait for the disk and the writer is never told "saved" too early.
    const write = this.append(documentName, update);
    (connection.context as ConnectionContext).socket.acks.track(write);
    const room = this.rooms.get(documentName);
    if (!room) return;
    room.stateBytes += update.byteLength;
    room.appendsSinceCompaction += 1;
    if (room.appendsSinceCompaction >= this.compactAfterUpdates) void this.compact(documentName);
  }

  async onStoreDocument({ documentName, document }: onStoreDocumentPayload): Promise<void> {
    // Hocuspocus unloads the room after this hook: let its writes land first.
    await this.writesSettled(documentName);
    if ((this.rooms.get(documentName)?.appendsSinceCompaction ?? 0) === 0) return;
    // Compact a room that went quiet or is being unloaded. Hocuspocus also calls this hook every `maxDebounce` while
    // a room keeps changing, and rooms that got busy together then compact together: 20 busy rooms stalled the relay
    // for ~200 ms every 10 s. A busy room's log is compacted by its length instead (compactAfterUpdates).
    const busy = Date.now() - document.lastChangeTime < BUSY_WITHIN_MS;
    if (busy && document.getConnectionsCount() > 0) return;
    await this.compact(documentName);
  }

  /**
   * Starts an append and remembers it until it settles (so a reload or an unload can wait for the room's writes),
   * timing it for the metrics. Stores group-commit their appends and hand every append of one batch the same promise,
   * so a room's appends are counted and timed per write, not per update: this runs for every update, and most of them
   * join a write that is already being watched.
   */
  private append(room: string, update: Uint8Array): Promise<void> {
    const write = this.store.append(room, update);
    let inFlight = this.writesInFlight.get(room);
    if (inFlight?.latest === write) return write;
    if (!inFlight) {
      inFlight = { count: 0, latest: write, waiters: [] };
      this.writesInFlight.set(room, inFlight);
    }
    const entry = inFlight;
    entry.count += 1;
    entry.latest = write;
    const started = performance.now();
    const settled = (stored: boolean) => {
      if (stored) this.metrics?.appendSeconds.observe((performance.now() - started) / 1000);
      entry.count -= 1;
      if (entry.count > 0) return;
      if (this.writesInFlight.get(room) === entry) this.writesInFlight.delete(room);
      for (const wake of entry.waiters) wake();
    };
    // A failure is reported by the connection's AckGate (which closes it); here only completion matters.
    write.then(
      () => settled(true),
      () => settled(false),
    );
    return write;
  }

  /**
   * Applies a change made by the server itself (a version restore) to a loaded room's document as one transaction,
   * and resolves once it is stored. Client changes are appended in `beforeClientUpdate`; this is the one other way in.
   */
  async applyServerChange(room: string, document: Y.Doc, change: (doc: Y.Doc) => void): Promise<void> {
    const updates: Uint8Array[] = [];
    const capture = (update: Uint8Array, origin: unknown) => {
      if (origin === SERVER_ORIGIN) updates.push(update);
    };
    document.on('update', capture);
    try {
      document.transact(() => change(document), SERVER_ORIGIN);
    } finally {
      document.off('update', capture);
    }
    await Promise.all(
      updates.map((update) => {
        return this.append(room, update);
      }),
    );
  }

  /**
   * About how many bytes a loaded room's state takes (measured at load and at each live compaction, plus the bytes
   * appended since); undefined when the room is not loaded. Costs nothing, unlike reading the store's sizes.
   */
  stateBytes(room: string): number | undefined {
    return this.rooms.get(room)?.stateBytes;
  }

  /** Resolves once every write of `room` started so far has settled. */
  writesSettled(room: string): Promise<void> {
    const inFlight = this.writesInFlight.get(room);
    if (!inFlight) return Promise.resolve();
    return new Promise((resolve) => inFlight.waiters.push(resolve));
  }

  async afterUnloadDocument({ documentName }: afterUnloadDocumentPayload): Promise<void> {
    // A fast reconnect may have loaded the room again already, into a new document whose entry must stay.
    if (this.rooms.get(documentName)?.document.isDestroyed) this.rooms.delete(documentName);
  }

  /**
   * Compacts from the live document when that is safe and cheap: the store supports it (one writer), no client update
   * is between its append and its apply, and the state is small enough to encode on the main thread. Encoding the live
   * document is one pass over it, where merging the stored snapshot and log re-applies every logged update (500 small
   * updates: 5-60 ms under load). Otherwise the store merges what it holds (large rooms on a worker thread).
   */
  private async compactRoom(room: string): Promise<void> {
    const live = this.rooms.get(room);
    if (live && this.store.compactTo && live.stateBytes < LIVE_COMPACTION_MAX_BYTES) {
      // A compaction is usually triggered by an append, from inside that update's handling: let the turn end, then
      // look for a moment with no client update between append and apply (a hook doing I/O could hold one there).
      for (let attempt = 0; attempt < LIVE_COMPACTION_ATTEMPTS; attempt++) {
        await new Promise((resolve) => setImmediate(resolve));
        if (live.document.isDestroyed) break;
        if (!noClientMessageInProgress(live.document)) continue;
        finishLoad(live.document);
        const state = Y.encodeStateAsUpdate(live.document);
        live.stateBytes = state.byteLength;
        if (await this.store.compactTo(room, state)) return;
        break;
      }
    }
    await this.store.compact(room);
  }

  /** Compacts one room, at most once at a time per room; failures are logged and retried by a later trigger. */
  private compact(room: string): Promise<void> {
    const running = this.compacting.get(room);
    if (running) return running;
    const loaded = this.rooms.get(room);
    if (loaded) loaded.appendsSinceCompaction = 0;
    const done = this.metrics?.compactionSeconds.startTimer();
    const task = this.compactions
      .then(() => this.compactRoom(room))
      .then(() => void done?.())
      .catch((error: unknown) => {
        // The log still holds every update; the next trigger tries again.
        if (loaded) loaded.appendsSinceCompaction = this.compactAfterUpdates;
        this.log.error({ room, err: error }, 'compaction failed');
      })
      .finally(() => this.compacting.delete(room));
    this.compacting.set(room, task);
    this.compactions = task;
    return task;
  }
}
