import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import { atom, type Atom } from '@tldraw/state'
import { IndexeddbPersistence } from 'y-indexeddb'
import * as Y from 'yjs'
import { forwardRawUpdates, RAW_UPDATE_MIN_BYTES, syncUpdateOf } from './rawUpdates.ts'
import { batchUpdates } from './updateBatcher.ts'

/**
 * What the user is told about the link to the server:
 * - 'connecting': first attempt, nothing heard from the server yet;
 * - 'connected': live, edits reach others;
 * - 'reconnecting': the link dropped; retrying with backoff; edits are kept locally meanwhile;
 * - 'offline': the browser says there is no network; edits are kept locally;
 * - 'denied': the server refused this token or room; retrying would not help.
 */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'denied'

/** The connection status shown in the app. */
export interface ConnectionStatus {
  state: ConnectionState
  /** Local edits the server has not acknowledged yet (HocuspocusProvider's count). */
  unsyncedChanges: number
  /** Whether the server granted read-only access. */
  readonly: boolean
  /** Why the server refused (its close or auth reason, e.g. "board is in the trash"), when `state` is 'denied'. */
  deniedReason?: string
}

/** Options of {@link connectRoom}. */
export interface ConnectRoomOptions {
  room: string
  /** Hocuspocus token (a JWT when the server has AUTH_SECRET set). */
  token?: string | null
  /** WebSocket URL of the sync endpoint. Default: `ws(s)://<this host>/sync`. */
  url?: string
  /**
   * How long to wait for the server before showing a board that exists only locally (or seeding
   * an empty one) when the local cache has nothing. Default 3000 ms.
   */
  serverWaitMs?: number
}

/** A room's document, kept in IndexedDB and synced with the server. */
export interface RoomConnection {
  doc: Y.Doc
  provider: HocuspocusProvider
  status: Atom<ConnectionStatus>
  /**
   * Resolves once the board can be shown: the server sent its state, or the local cache held a
   * board, or the server stayed silent for `serverWaitMs`.
   */
  loaded: Promise<'server' | 'cache' | 'timeout'>
  destroy(): void
}

/** Reconnection: 0.5 s, doubling, at most 10 s, randomized so a restarted server is not stampeded. */
const RECONNECT = { initialDelay: 0, delay: 500, factor: 2, minDelay: 250, maxDelay: 10_000, jitter: true, maxAttempts: 0 }

/** Name of the IndexedDB database caching a room (one per room). */
export function cacheNameFor(room: string): string {
  return `scrawl-board-${room}`
}

/** The default sync URL: the same host that served the page. */
export function defaultSyncUrl(location: Location = window.location): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/sync`
}

/** The sync URL of the Scrawl server at `serverUrl` (`https://host` -> `wss://host/sync`). */
export function syncUrlFor(serverUrl: string): string {
  const url = new URL(serverUrl)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/sync`
  url.search = ''
  url.hash = ''
  return url.toString()
}

/**
 * Opens a room: the Y.Doc is loaded from IndexedDB (so a reload works without the server) and
 * synced over Hocuspocus; edits made offline live in IndexedDB and merge when the link returns.
 */
export function connectRoom({ room, token = null, url = defaultSyncUrl(), serverWaitMs = 3000 }: ConnectRoomOptions): RoomConnection {
  const doc = new Y.Doc()
  const cache = new IndexeddbPersistence(cacheNameFor(room), doc)
  const websocket = new HocuspocusProviderWebsocket({ url, ...RECONNECT })
  const provider = new HocuspocusProvider({ websocketProvider: websocket, name: room, document: doc, token })
  provider.attach()
  // Local edits go to the server merged, at most one message per two frames (updateBatcher.ts); the
  // offline copy still gets each update at once.
  const batcher = batchUpdates(doc, provider)
  // The board's state arrives in one large message: the offline copy stores it as received
  // instead of Yjs encoding it again after applying it (rawUpdates.ts).
  const rawUpdates = forwardRawUpdates(doc, provider)
  provider.on('message', ({ event }: { event: MessageEvent }) => {
    // Only a large message can carry an update worth forwarding: cursors and strokes are not parsed.
    if (!(event.data instanceof ArrayBuffer) || event.data.byteLength < RAW_UPDATE_MIN_BYTES) return
    rawUpdates.noteIncoming(syncUpdateOf(new Uint8Array(event.data)))
    // The provider applies the message synchronously after this event.
    queueMicrotask(() => rawUpdates.noteIncoming(null))
  })

  const status = atom<ConnectionStatus>('scrawl.connection', { state: 'connecting', unsyncedChanges: 0, readonly: false })
  /** Whether a link existed or an attempt failed: from then on we are "reconnecting", not "connecting". */
  let everConnected = false
  let denied = false
  const update = (patch: Partial<ConnectionStatus>) => status.update((s) => ({ ...s, ...patch }))
  const linkState = (): ConnectionState => {
    if (denied) return 'denied'
    if (!navigator.onLine) return 'offline'
    if (websocket.status === 'connected' && provider.isSynced) return 'connected'
    return everConnected ? 'reconnecting' : 'connecting'
  }
  const refresh = () => update({ state: linkState(), unsyncedChanges: provider.unsyncedChanges })

  provider.on('synced', () => {
    everConnected = true
    update({ readonly: provider.authorizedScope === 'readonly' })
    refresh()
  })
  provider.on('unsyncedChanges', refresh)
  provider.on('authenticationFailed', ({ reason }: { reason?: string }) => {
    denied = true
    update({ deniedReason: reason || undefined })
    refresh()
  })
  websocket.on('status', refresh)
  websocket.on('close', ({ event }: { event: CloseEvent }) => {
    everConnected = true
    // 4400-4499 mean "do not retry" (INTERFACE.md): bad room, bad or missing token, forbidden.
    if (event.code >= 4400 && event.code <= 4499) {
      denied = true
      if (event.reason) update({ deniedReason: event.reason })
      websocket.disconnect()
    }
    refresh()
  })
  const onOnline = () => {
    refresh()
    // Retry now instead of waiting out the backoff that built up while offline.
    void websocket.connect()
  }
  window.addEventListener('online', onOnline)
  window.addEventListener('offline', refresh)

  const loaded = new Promise<'server' | 'cache' | 'timeout'>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), serverWaitMs)
    provider.on('synced', () => {
      clearTimeout(timer)
      resolve('server')
    })
    void cache.whenSynced.then(() => {
      if (doc.getMap('records').size > 0) {
        clearTimeout(timer)
        resolve('cache')
      }
    })
  })

  return {
    doc,
    provider,
    status,
    loaded,
    destroy() {
      rawUpdates.dispose()
      window.removeEventListener('online', onOnline)
      window.removeEventListener('offline', refresh)
      batcher.dispose()
      provider.destroy()
      websocket.destroy()
      void cache.destroy()
      doc.destroy()
    },
  }
}
