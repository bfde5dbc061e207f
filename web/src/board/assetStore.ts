import type { TLAssetStore } from '@tldraw/tlschema'

/** Options of {@link createRoomAssetStore}. */
export interface RoomAssetStoreOptions {
  room: string
  /** Sent as `Authorization: Bearer` when the server requires tokens. */
  token?: string | null
  /** Origin of the server; default: same origin (relative URLs). */
  baseUrl?: string
  fetch?: typeof fetch
}

/** The upload endpoint's answer. */
interface UploadResponse {
  url: string
}

/**
 * Where pasted and dropped images and videos go: `POST /api/rooms/:room/assets` with the file as
 * the raw request body, its MIME type as Content-Type and its name in `X-File-Name`
 * (URI-encoded). The server answers `{ "url": "/api/rooms/:room/assets/:id" }`, and that URL is
 * what the asset record keeps: the document never holds the file itself.
 */
export function createRoomAssetStore({ room, token = null, baseUrl = '', fetch: doFetch = fetch }: RoomAssetStoreOptions): TLAssetStore {
  return {
    async upload(_asset, file, abortSignal) {
      const headers: Record<string, string> = {
        'Content-Type': file.type || 'application/octet-stream',
        'X-File-Name': encodeURIComponent(file.name),
      }
      if (token) headers.Authorization = `Bearer ${token}`
      const response = await doFetch(`${baseUrl}/api/rooms/${encodeURIComponent(room)}/assets`, {
        method: 'POST',
        headers,
        body: file,
        signal: abortSignal,
      })
      if (!response.ok) {
        throw new Error(`Upload refused: ${response.status} ${await response.text().catch(() => '')}`.trim())
      }
      const { url } = (await response.json()) as UploadResponse
      if (typeof url !== 'string' || !url) throw new Error('Upload answer had no url')
      return { src: url }
    },
    resolve(asset) {
      const src = asset.props.src
      // The document keeps server-relative URLs; a board embedded on another origin resolves them against the server.
      return baseUrl && src?.startsWith('/') && !src.startsWith('//') ? `${baseUrl}${src}` : src
    },
  }
}
