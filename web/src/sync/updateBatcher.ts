import type { HocuspocusProvider } from '@hocuspocus/provider'
import type * as Y from 'yjs'

/**
 * Sends a client's local document updates to the server merged, at most one update message per
 * {@link DEFAULT_INTERVAL_MS} (two frames; `intervalMs`), instead of one message per Yjs transaction.
 *
 * Why: the server's cost follows the number of messages its clients send (each is parsed,
 * validated, appended to the store, acknowledged and relayed to every reader, and every reader
 * applies it), not the number of changes in them (docs/benchmarks.md, "Crowd").
 *
 * How, with as little of the provider's inside as possible: HocuspocusProvider 4.7 batches by
 * itself when its `flushDelay` option is a number. Its `documentUpdateHandler` then keeps local
 * updates (never its own, remote ones) in a buffer, counts one unsynced change for the whole
 * buffer as soon as the first update enters it (so the "saved" state cannot read 0 while updates
 * wait; the server acknowledges the merged message once), and `flushPendingUpdates()` (public)
 * sends the buffer as one `Y.mergeUpdates` message. On a lost connection the provider drops the
 * buffer, and the sync step it runs on reconnect sends whatever the server lacks from the
 * document itself; `destroy()` flushes the buffer before the socket goes. Here the provider's own
 * fixed timer is only a backstop ({@link BACKSTOP_MS}); this module decides when to flush: at the
 * end of the current task when nothing was sent within the interval (so a lone update waits for
 * nothing and a burst of transactions in one task leaves as one message), otherwise on the
 * animation frame at which the interval is up in a visible page, by a timer where there are no
 * frames (Node), and at once when the page is hidden (hidden tabs get no frames and their timers
 * are throttled to ~1 s).
 *
 * The same option makes the provider hold awareness (cursor) updates too; awareness is meant to
 * stay as it was, so any local awareness change flushes everything at the end of the current task
 * (the provider's listener has buffered it by then whatever the listeners' order).
 *
 * Internals relied on (HocuspocusProvider 4.7.0; pinned by web/test/updateBatcher.test.ts):
 * `configuration.flushDelay` is read on every update, so setting it after construction enables
 * batching; the buffering, counting, close and destroy behaviour described above.
 *
 * Only the wire is batched: other `update` listeners on the document (y-indexeddb's offline copy,
 * the thumbnailer) still see every update as it happens.
 */

/** One frame at 60 Hz. */
export const FRAME_MS = 1000 / 60

/**
 * The default least interval between two update messages: two frames, 30 messages a second at
 * most, as TLSyncClient pushes. One frame saves next to nothing while drawing, because the binding
 * (board/binding.ts) already writes one transaction per frame: in the crowd bench (15 clients
 * keeping up, docs/benchmarks.md "Crowd") one frame sent 1.29 messages per stroke point against
 * 1.33 without batching, two frames 0.95 (cursors included), for ~10 ms more p50 latency.
 */
export const DEFAULT_INTERVAL_MS = 2 * FRAME_MS

/**
 * The provider's own flush timer, armed by the first update of a batch: a safety net only (a
 * frame that never comes); this module normally flushes well before it.
 */
export const BACKSTOP_MS = 100

/** Options of {@link batchUpdates}. */
export interface UpdateBatcherOptions {
  /**
   * Least time between two update messages while updates keep coming, in ms. Default
   * {@link DEFAULT_INTERVAL_MS}.
   * An update after a quiet spell (nothing sent within this) leaves at the end of its task; one
   * made sooner waits for the frame on which the interval is up (or, without frames, a timer).
   */
  intervalMs?: number
  /**
   * Runs a callback on the next frame. Default `requestAnimationFrame` when there is one, else none
   * (a timer is used). Tests pass a manual one.
   */
  requestFrame?: ((callback: () => void) => unknown) | null
  /** Whether the page is hidden (then updates are sent at once). Default: `document.hidden`, false without a DOM. */
  isHidden?: () => boolean
  /** The clock, in ms. Default `performance.now`. */
  now?: () => number
}

/** What {@link batchUpdates} returns. */
export interface UpdateBatcher {
  /** Sends what is waiting now (e.g. before measuring, or when the page goes away). */
  flush(): void
  /** Update messages sent by this batcher so far: merged batches, not single updates (tests, bench). */
  readonly batches: number
  /** Local updates that went into them so far. */
  readonly updates: number
  /** Sends what is waiting and stops batching (the provider then sends every update at once again). */
  dispose(): void
}

/** Makes `provider` send the local updates of `doc` merged per frame (see the module comment). */
export function batchUpdates(doc: Y.Doc, provider: HocuspocusProvider, options: UpdateBatcherOptions = {}): UpdateBatcher {
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS
  const requestFrame = options.requestFrame !== undefined ? options.requestFrame : defaultRequestFrame()
  const isHidden = options.isHidden ?? defaultIsHidden
  const now = options.now ?? (() => performance.now())

  const previousFlushDelay = provider.configuration.flushDelay
  provider.configuration.flushDelay = BACKSTOP_MS

  /** Whether a frame callback or timer is on its way; extra updates just join the batch. */
  let scheduled = false
  /** Bumped to make an outstanding frame callback or timer a no-op after a flush by other means. */
  let generation = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let lastFlushAt = -Infinity
  /** Local updates the provider holds right now (it counts nothing when it holds nothing). */
  let waiting = 0
  let batches = 0
  let updates = 0
  let disposed = false

  /** Makes an outstanding frame callback or timer a no-op. */
  const cancelScheduled = () => {
    generation++
    scheduled = false
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }

  /** Whether the interval since the last message is up (half a frame of slack: frames do not land exactly on time). */
  const intervalUp = () => now() - lastFlushAt >= intervalMs - FRAME_MS / 2

  const flush = () => {
    cancelScheduled()
    if (waiting > 0) {
      batches++
      lastFlushAt = now()
    }
    waiting = 0
    provider.flushPendingUpdates()
  }

  const onFrame = (forGeneration: number) => {
    if (forGeneration !== generation || !scheduled) return
    if (!intervalUp()) {
      requestFrame!(() => onFrame(forGeneration))
      return
    }
    flush()
  }

  const schedule = () => {
    if (scheduled) return
    scheduled = true
    const forGeneration = generation
    // Quiet (nothing sent within the interval) or hidden: send at the end of the current task,
    // after the transaction's other listeners (the provider's buffers the update). Every update of
    // the task joins, and a lone update waits for nothing: the binding already writes once per
    // frame, so waiting for the next frame would only add a frame of latency to each stroke point.
    if (isHidden() || intervalUp()) {
      queueMicrotask(() => forGeneration === generation && flush())
    } else if (requestFrame) {
      // Busy: everything until the next frame (or the one after, for a longer interval) joins.
      requestFrame(() => onFrame(forGeneration))
    } else {
      timer = setTimeout(() => forGeneration === generation && flush(), Math.max(0, lastFlushAt + intervalMs - now()))
    }
  }

  const onUpdate = (_update: Uint8Array, origin: unknown) => {
    // The provider's own transactions apply remote updates; it never sends those back.
    if (origin === provider || disposed) return
    waiting++
    updates++
    schedule()
  }

  const onAwareness = (_changes: unknown, origin: unknown) => {
    if (origin === provider || disposed) return
    queueMicrotask(() => !disposed && flush())
  }

  const onHidden = () => {
    if (isHidden()) flush()
  }

  doc.on('update', onUpdate)
  provider.awareness?.on('update', onAwareness)
  const hasDocument = typeof document !== 'undefined' && typeof window !== 'undefined'
  if (hasDocument) {
    document.addEventListener('visibilitychange', onHidden)
    window.addEventListener('pagehide', flush)
  }
  // A lost connection: the provider has dropped its buffer (the sync step on reconnect sends what
  // the server lacks), so nothing waits here either.
  const onClose = () => {
    cancelScheduled()
    waiting = 0
  }
  provider.on('close', onClose)
  // Emitted first thing in the provider's destroy(), while it can still send: flush, then stop.
  const onDestroy = () => dispose()
  provider.on('destroy', onDestroy)

  function dispose() {
    if (disposed) return
    flush()
    disposed = true
    doc.off('update', onUpdate)
    provider.awareness?.off('update', onAwareness)
    provider.off('close', onClose)
    provider.off('destroy', onDestroy)
    if (hasDocument) {
      document.removeEventListener('visibilitychange', onHidden)
      window.removeEventListener('pagehide', flush)
    }
    provider.configuration.flushDelay = previousFlushDelay
  }

  return {
    flush,
    get batches() {
      return batches
    },
    get updates() {
      return updates
    },
    dispose,
  }
}

function defaultRequestFrame(): ((callback: () => void) => unknown) | null {
  return typeof requestAnimationFrame === 'function' ? (callback) => requestAnimationFrame(callback) : null
}

function defaultIsHidden(): boolean {
  return typeof document !== 'undefined' && document.hidden === true
}
