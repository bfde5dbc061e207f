import { Worker } from 'node:worker_threads';
import * as Y from 'yjs';

/** The result of merging stored updates. */
export interface MergeResult {
  /** The merged state as one update, garbage-collected (deleted content dropped). */
  snapshot: Uint8Array;
  /** How many inputs could not be applied and were left out. */
  rejected: number;
}

/**
 * Merges stored updates (snapshot first, then log) into one garbage-collected snapshot by applying them to a scratch
 * document. Applying, rather than `Y.mergeUpdates`, drops the content of deleted items, so snapshots do not grow with
 * everything ever drawn and erased. An input that cannot be applied is left out and counted, so one damaged entry
 * never makes a whole room unreadable (the server validates updates before storing them, so this is a last line).
 */
export function mergeStoredUpdates(updates: Uint8Array[]): MergeResult {
  const doc = new Y.Doc({ gc: true });
  const rejected = applyStoredUpdates(doc, updates);
  const snapshot = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return { snapshot, rejected };
}

/**
 * Applies stored updates to `doc` in one transaction, one by one so a damaged entry is skipped rather than aborting
 * the rest. Returns how many were skipped.
 */
export function applyStoredUpdates(doc: Y.Doc, updates: Uint8Array[], origin: unknown = null): number {
  return applyRun(doc, updates, 0, origin, () => true).rejected;
}

/**
 * Applies `updates` from index `start` in one transaction, at least one, for as long as `more()` says so. Returns the
 * index to continue from and how many were skipped because they could not be applied.
 */
function applyRun(doc: Y.Doc, updates: Uint8Array[], start: number, origin: unknown, more: () => boolean): { next: number; rejected: number } {
  let next = start;
  let rejected = 0;
  doc.transact(() => {
    while (next < updates.length) {
      try {
        Y.applyUpdate(doc, updates[next], origin);
      } catch {
        // Counted and reported by the caller; the remaining updates are still worth applying.
        rejected += 1;
      }
      next += 1;
      if (!more()) break;
    }
  }, origin);
  return { next, rejected };
}

/** The part of lib0's Observable (Y.Doc's base class) that lists a document's listeners by event name. */
type ObservedDoc = Y.Doc & { _observers: Map<string, Set<(...args: never[]) => void>> };

/**
 * Runs `apply` with the document's 'update' listeners detached (and attaches them again after). Yjs encodes every
 * transaction as an update message whenever the document has an 'update' listener, and Hocuspocus's document always
 * has one: loading a 4.3 MB board spent 133 ms encoding it, and Hocuspocus queued the result for broadcast to the
 * first joiners, who get the same state from their sync anyway. Loading a room is not a change, so nothing listening
 * for changes needs to hear of it.
 */
export function withoutUpdateEvents<T>(doc: Y.Doc, apply: () => T): T {
  const listeners = [...((doc as ObservedDoc)._observers.get('update') ?? [])];
  for (const listener of listeners) doc.off('update', listener);
  try {
    return apply();
  } finally {
    for (const listener of listeners) doc.on('update', listener);
  }
}

/** Inputs smaller than this are merged inline: handing them to the worker would cost more than merging. */
const WORKER_THRESHOLD_BYTES = 256 * 1024;

let worker: Worker | null = null;
let nextRequest = 0;
const waiting = new Map<number, { resolve: (r: MergeResult) => void; reject: (e: Error) => void }>();

function mergeWorker(): Worker {
  if (!worker) {
    const created = new Worker(new URL('./merge-worker.ts', import.meta.url));
    created.on('message', ({ id, result, error }: { id: number; result?: MergeResult; error?: string }) => {
      const request = waiting.get(id);
      waiting.delete(id);
      if (waiting.size === 0) created.unref();
      if (error !== undefined) request?.reject(new Error(`merge failed: ${error}`));
      else request?.resolve(result!);
    });
    created.on('error', (error) => {
      for (const request of waiting.values()) request.reject(error);
      waiting.clear();
      worker = null;
    });
    worker = created;
  }
  return worker;
}

/** The longest stretch an inline merge works before letting the event loop run (see {@link mergeInSlices}). */
const SLICE_MS = 2;

/**
 * {@link mergeStoredUpdates} on the main thread, in slices of at most ~{@link SLICE_MS} of applying, with the event
 * loop let through between slices. A busy room reaches its compaction point every few seconds, and merging its 500
 * small updates in one go took 5-60 ms under load: every room's relay waited that long, and those waits were the
 * relay's latency tail. Exported for tests.
 */
export async function mergeInSlices(updates: Uint8Array[]): Promise<MergeResult> {
  const doc = new Y.Doc({ gc: true });
  let rejected = 0;
  let next = 0;
  while (next < updates.length) {
    const sliceStart = performance.now();
    const slice = applyRun(doc, updates, next, null, () => performance.now() - sliceStart < SLICE_MS);
    next = slice.next;
    rejected += slice.rejected;
    if (next < updates.length) await new Promise((resolve) => setImmediate(resolve));
  }
  const snapshot = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return { snapshot, rejected };
}

/**
 * {@link mergeStoredUpdates}, off the critical path: on a worker thread when the inputs are large (compacting a
 * multi-megabyte room applies and re-encodes the whole document, hundreds of milliseconds, and a single large
 * snapshot cannot be sliced), else in slices on the main thread. The worker is started on first use and does not
 * keep the process alive while idle.
 */
export function mergeInBackground(updates: Uint8Array[]): Promise<MergeResult> {
  const bytes = updates.reduce((sum, update) => sum + update.byteLength, 0);
  if (bytes < WORKER_THRESHOLD_BYTES) return mergeInSlices(updates);
  const id = nextRequest++;
  // Copies: the inputs may be views into buffers the store still uses.
  const copies = updates.map((update) => update.slice());
  const target = mergeWorker();
  target.ref();
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    target.postMessage({ id, updates: copies }, copies.map((copy) => copy.buffer as ArrayBuffer));
  });
}
