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
  let rejected = 0;
  doc.transact(() => {
    for (const update of updates) {
      try {
        Y.applyUpdate(doc, update, origin);
      } catch {
        // Counted and reported by the caller; the remaining updates are still worth applying.
        rejected += 1;
      }
    }
  }, origin);
  return rejected;
}
