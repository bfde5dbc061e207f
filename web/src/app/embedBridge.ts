/**
 * The postMessage API of `/embed/:room` (docs/embedding.md). The embedding page lists its origin
 * in `?parentOrigin=` (several: comma-separated, or the parameter repeated). The embed posts only
 * to those origins and answers only messages from its parent window sent from one of them. Without
 * `parentOrigin` it neither posts nor listens.
 *
 * Embed -> parent:
 *   { type: 'scrawl:ready', room }                       once the board is shown
 *   { type: 'scrawl:status', state, unsyncedChanges }    on every change of the connection status
 *   { type: 'scrawl:change', shapes }                    after document changes, throttled; shapes on the current page
 *   { type: 'scrawl:png', requestId, dataUrl, error? }   the answer to an export request
 * Parent -> embed:
 *   { type: 'scrawl:export-png', requestId }             PNG of the current page (dataUrl null, error set, on failure)
 */

/** What the embed posts to its parent. */
export type EmbedOutboundMessage =
  | { type: 'scrawl:ready'; room: string }
  | { type: 'scrawl:status'; state: string; unsyncedChanges: number }
  | { type: 'scrawl:change'; shapes: number }
  | { type: 'scrawl:png'; requestId: unknown; dataUrl: string | null; error?: string }

/** Default interval between two `scrawl:change` messages. */
export const DEFAULT_CHANGE_THROTTLE_MS = 250

/**
 * The allowed parent origins from `?parentOrigin=`: each one normalized to `scheme://host[:port]`;
 * `*`, `null` and anything that is not an http(s) origin are dropped (a wildcard would hand the
 * board's contents to any page that frames it).
 */
export function parseParentOrigins(search: string): string[] {
  const query = new URLSearchParams(search)
  const origins = new Set<string>()
  for (const value of query.getAll('parentOrigin')) {
    for (const part of value.split(',')) {
      const candidate = part.trim()
      if (!candidate || candidate === '*' || candidate === 'null') continue
      try {
        const url = new URL(candidate)
        if (url.protocol === 'http:' || url.protocol === 'https:') origins.add(url.origin)
      } catch {
        // Not a URL: ignored, like any origin that is not allowed.
      }
    }
  }
  return [...origins]
}

/** What the bridge needs from the page and the board; the browser wiring is in BoardPage. */
export interface EmbedBridgeOptions {
  room: string
  /** From {@link parseParentOrigins}. */
  parentOrigins: string[]
  /** The parent window (`window.parent`). */
  parent: { postMessage(message: unknown, targetOrigin: string): void }
  /** Subscribes to messages this window receives (`window.addEventListener('message', ...)`); returns the unsubscribe. */
  onMessage(handler: (event: Pick<MessageEvent, 'data' | 'origin' | 'source'>) => void): () => void
  /** The current connection status. */
  status(): { state: string; unsyncedChanges: number }
  /** Calls back on every status change; returns the unsubscribe. */
  onStatus(listener: () => void): () => void
  /** How many shapes the current page holds. */
  shapeCount(): number
  /** Calls back on every document change (local or remote); returns the unsubscribe. */
  onDocumentChange(listener: () => void): () => void
  /** The current page as a PNG data: URL, or null when there is nothing to draw. */
  exportPng(): Promise<string | null>
  /** Minimum interval between two `scrawl:change` messages; default {@link DEFAULT_CHANGE_THROTTLE_MS}. */
  changeThrottleMs?: number
  setTimeout?: (callback: () => void, ms: number) => unknown
  clearTimeout?: (handle: unknown) => void
  now?: () => number
}

/** Starts the bridge: posts `scrawl:ready` and the first status at once. Returns the teardown. */
export function startEmbedBridge(options: EmbedBridgeOptions): () => void {
  const { parentOrigins, parent } = options
  if (parentOrigins.length === 0) return () => {}
  const throttleMs = options.changeThrottleMs ?? DEFAULT_CHANGE_THROTTLE_MS
  const schedule = options.setTimeout ?? ((callback, ms) => setTimeout(callback, ms))
  const cancel = options.clearTimeout ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>))
  const now = options.now ?? (() => Date.now())

  const post = (message: EmbedOutboundMessage, origins: readonly string[] = parentOrigins) => {
    for (const origin of origins) {
      try {
        // Delivered only if the parent's origin is `origin`: the browser drops it otherwise.
        parent.postMessage(message, origin)
      } catch {
        // A detached parent: nothing to tell.
      }
    }
  }

  let lastStatus = ''
  const postStatus = () => {
    const { state, unsyncedChanges } = options.status()
    const key = `${state}/${unsyncedChanges}`
    if (key === lastStatus) return
    lastStatus = key
    post({ type: 'scrawl:status', state, unsyncedChanges })
  }

  let lastChangeAt = -Infinity
  let changeTimer: unknown = null
  const postChange = () => {
    changeTimer = null
    lastChangeAt = now()
    post({ type: 'scrawl:change', shapes: options.shapeCount() })
  }
  const onChange = () => {
    if (changeTimer !== null) return
    const wait = lastChangeAt + throttleMs - now()
    changeTimer = schedule(postChange, Math.max(0, wait))
  }

  const stopMessages = options.onMessage((event) => {
    if (event.source !== (parent as unknown) || !parentOrigins.includes(event.origin)) return
    const data = event.data as { type?: unknown; requestId?: unknown } | null
    if (typeof data !== 'object' || data === null || data.type !== 'scrawl:export-png') return
    const { requestId } = data
    options.exportPng().then(
      (dataUrl) => post({ type: 'scrawl:png', requestId, dataUrl, ...(dataUrl ? {} : { error: 'the board is empty' }) }, [event.origin]),
      (error: unknown) => post({ type: 'scrawl:png', requestId, dataUrl: null, error: String((error as Error)?.message ?? error) }, [event.origin]),
    )
  })
  post({ type: 'scrawl:ready', room: options.room })
  postStatus()
  const stopStatus = options.onStatus(postStatus)
  const stopChanges = options.onDocumentChange(onChange)

  return () => {
    stopMessages()
    stopStatus()
    stopChanges()
    if (changeTimer !== null) cancel(changeTimer)
  }
}
