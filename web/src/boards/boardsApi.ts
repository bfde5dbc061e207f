/**
 * Client of the server's board catalog (`/api/boards`, docs/protocol.md "Boards: the catalog"). URL
 * building is kept in pure functions so the tests can pin what goes over the wire.
 */
import { apiRequest, type ApiRequestInit } from '../sync/apiRequest.ts'

/** One board as the catalog describes it. */
export interface BoardSummary {
  id: string
  /** The document's own `meta.title`; '' when untitled. */
  title: string
  /** ISO 8601. */
  createdAt: string
  /** ISO 8601: the last stored change. */
  updatedAt: string
  shapeCount: number
  bytes: number
  /** Names of the people who edited last, most recent first. */
  lastEditors: string[]
  /** Text from the board; with a search, the passage around the match. */
  excerpt: string
  /** Null until a browser in the board has rendered one. */
  thumbnailUrl: string | null
  /** ISO 8601 when in the trash, else null. */
  deletedAt: string | null
  template: boolean
  starred: boolean
  /** With `q`: UTF-16 [start, end) offsets into `excerpt`. */
  highlights?: Array<[number, number]>
  /** With `q`: UTF-16 [start, end) offsets into `title`. */
  titleHighlights?: Array<[number, number]>
}

/** Which boards a list shows. */
export type BoardsView = 'recent' | 'starred' | 'trash' | 'templates'

/** A `GET /api/boards` request. */
export interface BoardListQuery {
  view?: BoardsView
  /** Search text; blank means no search. */
  q?: string
  /** The `cursor` of the previous page. */
  cursor?: string | null
  /** 1-100 boards per page. */
  limit?: number
  /** Only these boards (at most {@link MAX_IDS_PER_REQUEST}); the list mode of `BOARD_LIST=off`. */
  ids?: readonly string[]
}

/** One page of a list. */
export interface BoardListPage {
  boards: BoardSummary[]
  /** Pass back for the next page; null on the last one (and for searches). */
  cursor: string | null
}

/** The server answers `ids=` for at most this many boards at once. */
export const MAX_IDS_PER_REQUEST = 200

/** A refused or failed catalog call. `status` is the HTTP status (0: no answer at all). */
export class BoardsApiError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.name = 'BoardsApiError'
    this.status = status
  }
}

/**
 * The path and query of a list request. Defaults are left out (the server has them too), and
 * parameters come in a fixed order so equal queries give equal URLs.
 */
export function boardListPath(query: BoardListQuery = {}): string {
  const params = new URLSearchParams()
  if (query.view && query.view !== 'recent') params.set('view', query.view)
  const q = query.q?.trim()
  if (q) params.set('q', q)
  if (query.cursor) params.set('cursor', query.cursor)
  if (query.limit !== undefined) params.set('limit', String(Math.min(100, Math.max(1, Math.floor(query.limit)))))
  if (query.ids) params.set('ids', query.ids.slice(0, MAX_IDS_PER_REQUEST).join(','))
  const search = params.toString()
  return `/api/boards${search ? `?${search}` : ''}`
}

/** Where a .tldr file becomes a new board. */
export const BOARD_IMPORT_PATH = '/api/boards/import'

/** tldraw's MIME type for .tldr files. */
const TLDR_MIME_TYPE = 'application/vnd.tldraw+json'

/** The path of one board's catalog entry (or of a sub-resource: `restore`, `duplicate`, `thumbnail`). */
export function boardPath(id: string, sub?: 'restore' | 'duplicate' | 'thumbnail'): string {
  return `/api/boards/${encodeURIComponent(id)}${sub ? `/${sub}` : ''}`
}

/**
 * Where "New board" goes: `/new` (the server makes a board and redirects to it), `?template=` to
 * start from a template. With auth on, the server needs a read-write token for every room there.
 */
export function newBoardHref(options: { template?: string | null; token?: string | null } = {}): string {
  const params = new URLSearchParams()
  if (options.template) params.set('template', options.template)
  if (options.token) params.set('token', options.token)
  const search = params.toString()
  return `/new${search ? `?${search}` : ''}`
}

/** Options of {@link createBoardsApi}. */
export interface BoardsApiOptions {
  /** Sent as `Authorization: Bearer` when set. */
  token?: string | null
  /** Origin of the Scrawl server; default '' (the page's own). */
  serverUrl?: string
  fetch?: typeof fetch
}

/** The catalog's operations. */
export interface BoardsApi {
  list(query?: BoardListQuery, signal?: AbortSignal): Promise<BoardListPage>
  get(id: string): Promise<BoardSummary>
  rename(id: string, title: string): Promise<BoardSummary>
  setStarred(id: string, starred: boolean): Promise<BoardSummary>
  /** Moves the board to the trash. */
  trash(id: string): Promise<BoardSummary>
  restore(id: string): Promise<BoardSummary>
  /** Deletes a board that is in the trash for good. */
  deleteForever(id: string): Promise<void>
  /** A copy (or, with `template: true`, a template) of the board: the new board's summary. */
  duplicate(id: string, options?: { title?: string; template?: boolean }): Promise<BoardSummary>
  /**
   * A new board from a .tldr file (`POST /api/boards/import`); `fileName` titles it when the file's document has no
   * name. The server refuses a file that is not one with a 400 whose message says why.
   */
  importFile(file: Blob, fileName: string): Promise<BoardSummary>
  /** Uploads the board's thumbnail (PNG or WebP, at most 256 KiB). */
  putThumbnail(id: string, image: Blob): Promise<void>
  /** An absolute-or-relative URL the page can load (for `thumbnailUrl`). */
  resolve(path: string): string
}

/** Builds the catalog client. */
export function createBoardsApi({ token = null, serverUrl = '', fetch: doFetch = (...args) => fetch(...args) }: BoardsApiOptions = {}): BoardsApi {
  const origin = serverUrl.replace(/\/+$/, '')

  const call = (path: string, init: ApiRequestInit = {}): Promise<Response> =>
    apiRequest(doFetch, `${origin}${path}`, token, init, (status, reason) => new BoardsApiError(status, reason || `HTTP ${status}`))
  const summary = async (path: string, init?: Parameters<typeof call>[1]) => normalizeSummary(await (await call(path, init)).json())

  return {
    async list(query = {}, signal) {
      // "Only these boards" with none of them: nothing to ask the server.
      if (query.ids && query.ids.length === 0) return { boards: [], cursor: null }
      const body = (await (await call(boardListPath(query), { signal })).json()) as Partial<BoardListPage>
      if (!Array.isArray(body.boards)) throw new BoardsApiError(502, 'The board list is not a list')
      return { boards: body.boards.map(normalizeSummary), cursor: typeof body.cursor === 'string' && body.cursor ? body.cursor : null }
    },
    get: (id) => summary(boardPath(id)),
    rename: (id, title) => summary(boardPath(id), { method: 'PATCH', json: { title } }),
    setStarred: (id, starred) => summary(boardPath(id), { method: 'PATCH', json: { starred } }),
    trash: (id) => summary(boardPath(id), { method: 'DELETE' }),
    restore: (id) => summary(boardPath(id, 'restore'), { method: 'POST', json: {} }),
    async deleteForever(id) {
      await call(`${boardPath(id)}?forever=1`, { method: 'DELETE' })
    },
    duplicate: (id, options = {}) => summary(boardPath(id, 'duplicate'), { method: 'POST', json: options }),
    importFile: (file, fileName) =>
      summary(BOARD_IMPORT_PATH, {
        method: 'POST',
        body: file,
        // Browsers know no type for .tldr files: the server takes JSON or tldraw's own type.
        headers: { 'Content-Type': file.type === TLDR_MIME_TYPE ? TLDR_MIME_TYPE : 'application/json', 'X-File-Name': encodeURIComponent(fileName) },
      }),
    async putThumbnail(id, image) {
      await call(boardPath(id, 'thumbnail'), { method: 'PUT', body: image })
    },
    resolve: (path) => (/^[a-z][a-z0-9+.-]*:/i.test(path) ? path : `${origin}${path}`),
  }
}

/** A summary with every field present and of its type, whatever an older or newer server sent. */
export function normalizeSummary(raw: unknown): BoardSummary {
  const value = (raw ?? {}) as Record<string, unknown>
  const text = (key: string) => (typeof value[key] === 'string' ? (value[key] as string) : '')
  const ranges = (key: string) =>
    Array.isArray(value[key])
      ? (value[key] as unknown[]).filter((r): r is [number, number] => Array.isArray(r) && r.length === 2 && r.every(Number.isFinite))
      : undefined
  return {
    id: text('id'),
    title: text('title'),
    createdAt: text('createdAt'),
    updatedAt: text('updatedAt'),
    shapeCount: typeof value.shapeCount === 'number' ? value.shapeCount : 0,
    bytes: typeof value.bytes === 'number' ? value.bytes : 0,
    lastEditors: Array.isArray(value.lastEditors) ? value.lastEditors.filter((n): n is string => typeof n === 'string') : [],
    excerpt: text('excerpt'),
    thumbnailUrl: typeof value.thumbnailUrl === 'string' && value.thumbnailUrl ? value.thumbnailUrl : null,
    deletedAt: typeof value.deletedAt === 'string' && value.deletedAt ? value.deletedAt : null,
    template: value.template === true,
    starred: value.starred === true,
    highlights: ranges('highlights'),
    titleHighlights: ranges('titleHighlights'),
  }
}
