import { Hocuspocus, type Document, type Extension } from '@hocuspocus/server';
import { finishLoad } from '../persistence/deferred-load.ts';
import { installHocuspocusPatches } from './hocuspocus-patches.ts';
import { createLazyDebouncer } from './lazy-debouncer.ts';
import type { Limits } from './limits.ts';

/** Options of {@link createHocuspocus}. */
export interface HocuspocusOptions {
  /** Extensions in the order Hocuspocus should consult them (persistence, auth, scale-out). */
  extensions: Extension[];
  /** The pre-authentication limits Hocuspocus enforces itself. */
  limits: Pick<Limits, 'maxPendingDocuments' | 'maxUnauthenticatedBytes'>;
}

// The largest delay a Node timer takes. Liveness is the socket layer's heartbeat (ws pings, answered by browsers and
// providers alike), so Hocuspocus's own idle timeout, which a quiet but healthy client would trip, is pushed out.
const NEVER_MS = 2 ** 31 - 1;

/**
 * The Hocuspocus instance that owns every live document. It is used without its own HTTP server: the socket layer
 * hands it connections from both endpoints.
 */
export function createHocuspocus(options: HocuspocusOptions): Hocuspocus {
  installHocuspocusPatches();
  const hocuspocus = new Hocuspocus({
    name: 'scrawl',
    quiet: true,
    timeout: NEVER_MS,
    // onStoreDocument triggers compaction only; durability comes from appends, so a relaxed debounce is fine.
    debounce: 2_000,
    maxDebounce: 10_000,
    unloadImmediately: true,
    // Each update and awareness change goes out as it comes. Hocuspocus's default (0) holds a turn's changes for one
    // setImmediate and merges them (Y.mergeUpdates decodes and re-encodes every one): a hop and an allocation per
    // update on the relay path, and in a flood of 64 KiB updates ~5 % of the server's time spent re-encoding.
    flushDelay: false,
    maxPendingDocuments: options.limits.maxPendingDocuments,
    maxUnauthenticatedQueueSize: options.limits.maxUnauthenticatedBytes,
    maxUnauthenticatedQueueMessages: 100,
    extensions: options.extensions,
  });
  // Hocuspocus debounces onStoreDocument on every update; its own debouncer re-arms a timer each time.
  hocuspocus.debouncer = createLazyDebouncer();
  return hocuspocus;
}

/**
 * Runs `task` with a room's live document: the one clients are editing, or loaded from the store through Hocuspocus
 * (with every hook) when no one is connected, and let unload again afterwards.
 */
export async function withRoomDocument<T>(hocuspocus: Hocuspocus, room: string, task: (doc: Document) => T | Promise<T>): Promise<T> {
  const connection = await hocuspocus.openDirectConnection(room, {});
  try {
    // The task reads or changes the content: a room just loaded from its snapshot must hold it first.
    finishLoad(connection.document!);
    return await task(connection.document!);
  } finally {
    await connection.disconnect();
  }
}
