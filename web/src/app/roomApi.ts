/**
 * The room API of the Scrawl server, as the web app and the React component use it. Every call
 * sends the page's token as `Authorization: Bearer` when there is one.
 */
import { apiRequest, type ApiRequestInit } from '../sync/apiRequest.ts'

/** A saved version of a room (`GET /api/rooms/:room/versions`). */
export interface VersionInfo {
  id: string
  label: string
  /** ISO 8601. */
  createdAt: string
  /** Size of the version's Yjs state. */
  bytes: number
  /** True for versions the server saved by itself (after idle periods, before a restore). */
  auto: boolean
}

/** `POST /api/rooms/:room/versions/:id/restore`'s answer. */
export interface RestoreResult {
  restoredFrom: string
  /** An automatic version of the board as it was just before the restore: restoring it undoes the restore. */
  savedAs: string
}

/** A link the server minted (`POST /api/rooms/:room/share`). */
export interface ShareLink {
  mode: 'rw' | 'ro'
  /** Null when the server runs without auth. */
  token: string | null
  /** Path (or URL) of the board with the token, e.g. `/b/room?token=...`. */
  url: string
}

/** A refused or failed API call. `status` is the HTTP status (0: no answer at all). */
export class RoomApiError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.name = 'RoomApiError'
    this.status = status
  }
}

/** Options of {@link createRoomApi}. */
export interface RoomApiOptions {
  room: string
  token?: string | null
  /** Origin of the Scrawl server, e.g. `https://scrawl.example.com`; default '' (the page's own origin). */
  serverUrl?: string
  fetch?: typeof fetch
}

/** The room's API. */
export interface RoomApi {
  readonly room: string
  listVersions(): Promise<VersionInfo[]>
  /** The version's whole Yjs state, as one update. */
  versionState(id: string): Promise<Uint8Array>
  saveVersion(label: string): Promise<VersionInfo>
  labelVersion(id: string, label: string): Promise<VersionInfo | null>
  restoreVersion(id: string): Promise<RestoreResult>
  share(mode: 'rw' | 'ro'): Promise<ShareLink>
}

/** Builds the room's API client. */
export function createRoomApi({ room, token = null, serverUrl = '', fetch: doFetch = (...args) => fetch(...args) }: RoomApiOptions): RoomApi {
  const base = `${trimSlash(serverUrl)}/api/rooms/${encodeURIComponent(room)}`

  const call = (path: string, init: ApiRequestInit = {}): Promise<Response> =>
    apiRequest(doFetch, `${base}${path}`, token, init, (status, reason) =>
      new RoomApiError(status, status === 0 ? reason : `${status}${reason ? `: ${reason}` : ''}`),
    )
  const json = async <T>(path: string, init?: Parameters<typeof call>[1]): Promise<T> => (await (await call(path, init)).json()) as T
  const id = (versionId: string) => encodeURIComponent(versionId)

  return {
    room,
    async listVersions() {
      const list = await json<VersionInfo[]>('/versions')
      if (!Array.isArray(list)) throw new RoomApiError(502, 'The version list is not a list')
      return list
        .map((v) => ({ ...v, label: v.label ?? '', auto: Boolean(v.auto) }))
        .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
    },
    async versionState(versionId) {
      const response = await call(`/versions/${id(versionId)}`, { accept: 'application/octet-stream' })
      return new Uint8Array(await response.arrayBuffer())
    },
    saveVersion: (label) => json<VersionInfo>('/versions', { method: 'POST', json: { label } }),
    async labelVersion(versionId, label) {
      const response = await call(`/versions/${id(versionId)}`, { method: 'PATCH', json: { label } })
      // Some servers answer 204; the caller then reloads the list.
      return response.status === 204 ? null : ((await response.json().catch(() => null)) as VersionInfo | null)
    },
    restoreVersion: (versionId) => json<RestoreResult>(`/versions/${id(versionId)}/restore`, { method: 'POST', json: {} }),
    share: (mode) => json<ShareLink>('/share', { method: 'POST', json: { mode } }),
  }
}

/**
 * A share link for `mode`, from the server. When the server requires no tokens and has no share
 * endpoint (an older server), the links are built here: the plain board address, plus `?view=1`
 * for view-only (which, without auth, only makes the UI read-only).
 */
export async function shareLink(api: RoomApi, mode: 'rw' | 'ro', authRequired: boolean): Promise<ShareLink> {
  try {
    return await api.share(mode)
  } catch (error) {
    if (authRequired || !(error instanceof RoomApiError) || (error.status !== 404 && error.status !== 405)) throw error
    const url = `/b/${encodeURIComponent(api.room)}${mode === 'ro' ? '?view=1' : ''}`
    return { mode, token: null, url }
  }
}

/** `link.url` made absolute against the Scrawl server (or the page's origin). */
export function absoluteShareUrl(link: ShareLink, serverUrl: string, pageOrigin: string): string {
  return new URL(link.url, serverUrl ? trimSlash(serverUrl) + '/' : pageOrigin).toString()
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '')
}
