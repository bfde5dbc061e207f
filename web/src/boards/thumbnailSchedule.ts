/**
 * When a board's thumbnail is rendered: once edits have settled, at most once per interval, and only
 * while the page may render (visible, read-write, connected). Pure timing logic with an injectable
 * clock, so the tests can drive it; thumbnails.ts supplies the render and the conditions.
 */

/** How a render went: done, nothing to draw, or worth another try later (the board is not in the catalog yet). */
export type ThumbnailOutcome = 'uploaded' | 'skipped' | 'retry'

/** Options of {@link createThumbnailSchedule}. */
export interface ThumbnailScheduleOptions {
  /** Quiet time after the last change before rendering. */
  settleMs: number
  /** Least time between two renders. */
  minIntervalMs: number
  /** Wait before trying again after a 'retry' outcome. */
  retryMs: number
  /** Whether rendering is allowed now (page visible, read-write connection). */
  canRender(): boolean
  render(): Promise<ThumbnailOutcome>
  now?: () => number
  setTimer?: (callback: () => void, ms: number) => unknown
  clearTimer?: (timer: unknown) => void
}

/** The schedule's handle. */
export interface ThumbnailSchedule {
  /** The document changed (anyone's edit). */
  noteChange(): void
  /** The conditions of `canRender` may have changed (visibility, connection): go ahead if a render is owed. */
  poke(): void
  /** Whether a change is waiting for its thumbnail. */
  readonly pending: boolean
  stop(): void
}

/** Starts a schedule; nothing renders until the first {@link ThumbnailSchedule.noteChange}. */
export function createThumbnailSchedule(options: ThumbnailScheduleOptions): ThumbnailSchedule {
  const now = options.now ?? Date.now
  const setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms))
  const clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>))
  let pending = false
  let rendering = false
  let stopped = false
  let lastChangeAt = -Infinity
  let lastRenderAt = -Infinity
  let timer: unknown = null

  const arm = (ms: number) => {
    if (timer !== null) clearTimer(timer)
    timer = setTimer(() => {
      timer = null
      attempt()
    }, Math.max(0, ms))
  }

  const attempt = () => {
    if (stopped || !pending || rendering) return
    const t = now()
    const settledAt = lastChangeAt + options.settleMs
    const allowedAt = lastRenderAt + options.minIntervalMs
    if (t < settledAt || t < allowedAt) return arm(Math.max(settledAt, allowedAt) - t)
    // Not allowed now (hidden tab, offline, read-only): stay owed; poke() tries again.
    if (!options.canRender()) return
    pending = false
    rendering = true
    const previousRenderAt = lastRenderAt
    lastRenderAt = t
    options
      .render()
      .catch((): ThumbnailOutcome => 'skipped')
      .then((outcome) => {
        rendering = false
        if (stopped) return
        // Only an upload uses up the interval.
        if (outcome !== 'uploaded') lastRenderAt = previousRenderAt
        if (outcome === 'retry' && !pending) {
          pending = true
          lastChangeAt = now() + options.retryMs - options.settleMs
        }
        if (pending) attempt()
      })
  }

  return {
    noteChange() {
      if (stopped) return
      pending = true
      lastChangeAt = now()
      if (!rendering) arm(options.settleMs)
    },
    poke() {
      if (timer === null) attempt()
    },
    get pending() {
      return pending
    },
    stop() {
      stopped = true
      if (timer !== null) clearTimer(timer)
      timer = null
    },
  }
}
