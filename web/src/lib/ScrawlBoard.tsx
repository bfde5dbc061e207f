import { useMemo } from 'react'
import { useTldrawCurrentUser, type Editor, type TLUiAssetUrlOverrides } from 'tldraw'
import { viewOnlyReason } from '../app/access.ts'
import { BoardPage } from '../app/BoardPage.tsx'

/** The user shown to others (cursor label and colour). */
export interface ScrawlUser {
  /** Stable id for this user; default: a random one per page load. */
  id?: string
  name: string
  /** CSS colour of the cursor and selection, e.g. `#e03131`. */
  color?: string
}

/** Props of {@link ScrawlBoard}. */
export interface ScrawlBoardProps {
  /** Origin of the Scrawl server, e.g. `https://scrawl.example.com` (http(s); the sync socket is derived from it). */
  serverUrl: string
  /** Room id (`^[A-Za-z0-9_-]{1,64}$`). */
  room: string
  /** Token from your backend when the server has AUTH_SECRET set (a read-only token shows a read-only board). */
  token?: string | null
  /** Name and colour shown to others; default: tldraw's preferences stored in this browser. */
  user?: ScrawlUser
  /** Show the board read-only in the UI (the server enforces read-only only through a read-only token). */
  readonly?: boolean
  /** tldraw's fonts, icons and translations; default: tldraw's CDN. Pass `getAssetUrlsByImport()` of @tldraw/assets to self-host them. */
  assetUrls?: TLUiAssetUrlOverrides
  /** Show the share button (links point at the Scrawl server's own pages). Default true. */
  share?: boolean
  /** Called with the tldraw editor once mounted; may return a teardown. */
  onMount?: (editor: Editor) => void | (() => void)
}

/**
 * A live Scrawl board as a React component. It fills its parent element, so give that a size.
 * Needs `react`, `react-dom` and `tldraw` (5.4.2) in the host app; import `@scrawl/web/style.css`
 * once.
 */
export function ScrawlBoard({ serverUrl, room, token = null, user, readonly = false, assetUrls, share = true, onMount }: ScrawlBoardProps) {
  const userId = useMemo(() => user?.id ?? `scrawl-${Math.random().toString(36).slice(2, 10)}`, [user?.id])
  const preferences = useMemo(() => (user ? { id: userId, name: user.name, color: user.color ?? null } : null), [userId, user?.name, user?.color])
  const currentUser = useTldrawCurrentUser({ userPreferences: preferences ?? { id: userId } })
  return (
    <BoardPage
      room={room}
      token={token}
      embed={null}
      viewOnly={viewOnlyReason({ token, search: '', embedReadonly: readonly })}
      serverUrl={serverUrl}
      assetUrls={assetUrls}
      chrome="component"
      share={share}
      user={preferences ? currentUser : undefined}
      contained
      onEditor={onMount}
    />
  )
}
