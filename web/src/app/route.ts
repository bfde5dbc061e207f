/** The pages the app can show, decided by the URL alone. */
export type Route =
  | { kind: 'boards' }
  | { kind: 'board'; room: string }
  | { kind: 'embed'; room: string; options: EmbedOptions }
  /** `/new`: the server normally answers it with a redirect; this is the fallback of dev and static hosts. */
  | { kind: 'new'; template: string | null }
  | { kind: 'invalid'; reason: string }

/** Query options of `/embed/:room`, for iframes. */
export interface EmbedOptions {
  /** `ui=minimal`: the bare canvas, without tldraw's toolbar and panels (pan and zoom still work). */
  minimalUi: boolean
  /** `theme=dark|light`; null follows the embedding page's colour scheme. */
  theme: 'dark' | 'light' | null
  /** `readonly=1`: the canvas can be looked at and navigated but not edited. */
  readonly: boolean
}

/** The server accepts exactly these room ids (INTERFACE.md); anything else is refused there too. */
export const ROOM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

const ROOM_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'

/** Length of generated room ids: 12 chars of a 64-letter alphabet is 72 random bits, unguessable enough to share. */
export const NEW_ROOM_ID_LENGTH = 12

/** A fresh, unguessable room id from the platform's CSPRNG. */
export function newRoomId(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  const bytes = random(new Uint8Array(NEW_ROOM_ID_LENGTH))
  // 64 letters divide 256 evenly, so masking keeps the distribution uniform.
  return Array.from(bytes, (b) => ROOM_ID_ALPHABET[b & 63]).join('')
}

/** Reads a location's path and query into a route. */
export function parseRoute(pathname: string, search = ''): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent)
  if (parts.length === 0) return { kind: 'boards' }
  if (parts.length === 1 && parts[0] === 'new') {
    const template = new URLSearchParams(search).get('template')
    return { kind: 'new', template: template && ROOM_ID_PATTERN.test(template) ? template : null }
  }
  const [page, room, ...rest] = parts
  if ((page !== 'b' && page !== 'embed') || rest.length > 0 || room === undefined) {
    return { kind: 'invalid', reason: `No page at ${pathname}` }
  }
  if (!ROOM_ID_PATTERN.test(room)) {
    return { kind: 'invalid', reason: 'Board ids use 1 to 64 letters, digits, - or _.' }
  }
  if (page === 'b') return { kind: 'board', room }
  const query = new URLSearchParams(search)
  const theme = query.get('theme')
  return {
    kind: 'embed',
    room,
    options: {
      minimalUi: query.get('ui') === 'minimal',
      theme: theme === 'dark' || theme === 'light' ? theme : null,
      readonly: query.get('readonly') === '1' || query.get('readonly') === 'true',
    },
  }
}

/** The shareable address of a room's board. */
export function boardPath(room: string): string {
  return `/b/${room}`
}
