/**
 * Who may do what on this page: the token the page was opened with, and whether the board is
 * view-only. Nothing here verifies a token (only the server can); decoding its payload only tells
 * the UI which mode to show, and the server refuses writes of a read-only token whatever the UI does.
 */

/** A token's `mode` claim (INTERFACE.md): `rw` may edit, `ro` may only look. */
export type TokenMode = 'rw' | 'ro'

/** What {@link tokenClaims} reads from a token without verifying it. */
export interface UnverifiedClaims {
  room: string | null
  mode: TokenMode | null
  name: string | null
  /** Expiry, seconds since the epoch, or null. */
  exp: number | null
}

/** Reads a JWT's payload without checking its signature: for the UI only, never for a decision about access. */
export function tokenClaims(token: string | null | undefined): UnverifiedClaims | null {
  if (!token) return null
  const parts = token.split('.')
  if (parts.length !== 3) return null
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/')
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4)
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0))
    const payload = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>
    if (typeof payload !== 'object' || payload === null) return null
    return {
      room: typeof payload.room === 'string' ? payload.room : null,
      mode: payload.mode === 'rw' || payload.mode === 'ro' ? payload.mode : null,
      name: typeof payload.name === 'string' ? payload.name : null,
      exp: typeof payload.exp === 'number' ? payload.exp : null,
    }
  } catch {
    // Not a JWT we can read: the server will say what it thinks of it.
    return null
  }
}

/** The storage key under which a room's token is kept for this tab. */
export function tokenStorageKey(room: string): string {
  return `scrawl-token:${room}`
}

/** Options of {@link takePageToken}. */
export interface TakePageTokenOptions {
  room: string
  /** The page's query string (`location.search`). */
  search: string
  /** Where the token is kept across reloads of this tab; default sessionStorage (null: keep none). */
  storage?: Pick<Storage, 'getItem' | 'setItem'> | null
}

/**
 * The page's token: `?token=` from the address, else the one this tab kept for the room. A token
 * from the address is kept in sessionStorage, so the caller may take it out of the address bar
 * (where it would end up in history, screenshots and Referer headers) and a reload still works.
 */
export function takePageToken({ room, search, storage = defaultStorage() }: TakePageTokenOptions): string | null {
  const fromUrl = new URLSearchParams(search).get('token')
  if (fromUrl) {
    try {
      storage?.setItem(tokenStorageKey(room), fromUrl)
    } catch {
      // Storage full or blocked (some third-party iframes): the token still works for this page load.
    }
    return fromUrl
  }
  try {
    return storage?.getItem(tokenStorageKey(room)) ?? null
  } catch {
    // Blocked storage: no remembered token.
    return null
  }
}

/** Under which "room" the boards page (`/`) keeps its token: the catalog spans rooms. */
export const BOARDS_PAGE_TOKEN_ROOM = '*'

/**
 * A board page's token: its own (`?token=` or kept for the room), else the boards page's token of
 * this tab when that one covers every room (`room: "*"`), so opening a board from the list works
 * with auth on. A token for other rooms is never offered (the server would refuse it anyway).
 */
export function takeBoardToken(options: TakePageTokenOptions): string | null {
  const own = takePageToken(options)
  if (own) return own
  const listToken = takePageToken({ room: BOARDS_PAGE_TOKEN_ROOM, search: '', storage: options.storage })
  const room = tokenClaims(listToken)?.room
  return room === '*' || room === options.room ? listToken : null
}

/** `search` without its `token` parameter (for `history.replaceState`). */
export function searchWithoutToken(search: string): string {
  const query = new URLSearchParams(search)
  query.delete('token')
  const rest = query.toString()
  return rest ? `?${rest}` : ''
}

/** Why a board is view-only, if it is; null: the user may edit (as far as the page knows). */
export type ViewOnlyReason = 'token' | 'view-link' | 'embed-readonly' | null

/**
 * Whether to show the board read-only: a read-only token (enforced by the server), `?view=1` on
 * `/b/:room` (a view-only link of a server without auth: only the UI is read-only), or
 * `readonly=1` on `/embed/:room`.
 */
export function viewOnlyReason(options: { token: string | null; search: string; embedReadonly?: boolean }): ViewOnlyReason {
  if (tokenClaims(options.token)?.mode === 'ro') return 'token'
  if (options.embedReadonly) return 'embed-readonly'
  const view = new URLSearchParams(options.search).get('view')
  if (view === '1' || view === 'true') return 'view-link'
  return null
}

function defaultStorage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage
  } catch {
    // Accessing sessionStorage throws where the browser blocks storage.
    return null
  }
}
