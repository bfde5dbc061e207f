/**
 * A room stored as one snapshot can be served before that snapshot is applied to its Y.Doc.
 *
 * Applying a 4.3 MB board decodes every item (~250 ms on a cold process), yet a joiner with an empty state vector
 * needs exactly the stored bytes, which are already a full-state update. So loading such a room only reads the
 * snapshot; the first joiners are answered with it (see `hocuspocus-patches.ts`), and the apply runs once their
 * answers have left, or at once when anything else needs the document's content. Everything that reads or changes a
 * document's content outside Hocuspocus's message handling calls {@link finishLoad} first; the message handling
 * itself does it in the patched `MessageReceiver.apply`.
 *
 * Single-threaded, so "at once" is exact: between a reader's `finishLoad` and its read, nothing else runs.
 */
import type * as Y from 'yjs';

interface PendingLoad {
  apply: () => void;
  /** Callbacks waiting for the apply, in the order they were registered. */
  waiters: (() => void)[];
}

const pending = new WeakMap<Y.Doc, PendingLoad>();

/** Marks `doc` as not yet holding its stored state; `apply` puts it there (synchronously) when first needed. */
export function deferLoad(doc: Y.Doc, apply: () => void): void {
  pending.set(doc, { apply, waiters: [] });
}

/** True while `doc`'s stored state has not been applied yet. */
export function isLoadDeferred(doc: Y.Doc): boolean {
  return pending.has(doc);
}

/** Applies `doc`'s stored state now if it is still deferred (otherwise does nothing), then runs the waiters. */
export function finishLoad(doc: Y.Doc): void {
  const load = pending.get(doc);
  if (!load) return;
  // Removed first: a waiter or the apply itself may read the document, which must not re-enter.
  pending.delete(doc);
  load.apply();
  for (const waiter of load.waiters) waiter();
}

/** Runs `callback` once `doc` holds its stored state: at once when it does, else right after the deferred apply. */
export function afterLoad(doc: Y.Doc, callback: () => void): void {
  const load = pending.get(doc);
  if (load) load.waiters.push(callback);
  else callback();
}
