import { useMemo } from 'react'
import { BOARDS_PAGE_TOKEN_ROOM, searchWithoutToken, takeBoardToken, takePageToken, viewOnlyReason } from './access.ts'
import { tldrawAssetUrls } from './assetUrls.ts'
import { preloadFont } from './fontPreload.ts'
import { BoardPage } from './BoardPage.tsx'
import { BoardsPage } from '../boards/BoardsPage.tsx'
import { parseParentOrigins } from './embedBridge.ts'
import { boardPath, newRoomId, parseRoute } from './route.ts'
import { PeopleGate } from '../people/PeopleGate.tsx'

/**
 * Picks the page from the URL: `/` the boards page, `/b/:room` a board, `/embed/:room` an embedded
 * one. `/new` is the server's (it makes the board, from a template if asked, and redirects); on a
 * dev or static host that lacks it, the app makes up a fresh room id and rewrites the address.
 * A `?token=` is kept for this tab (sessionStorage) and taken out of the address bar.
 */
export function App() {
  const { route, token, search } = useMemo(() => {
    const search = window.location.search
    let route = parseRoute(window.location.pathname, search)
    if (route.kind === 'new') {
      route = { kind: 'board' as const, room: newRoomId() }
      window.history.replaceState(null, '', boardPath(route.room) + searchWithoutTemplate(search))
    }
    if (route.kind === 'invalid') return { route, token: null, search }
    // A board is coming: fetch its usual font while the board itself is on its way (fontPreload.ts).
    if (route.kind === 'board' || route.kind === 'embed') preloadFont(tldrawAssetUrls.fonts?.tldraw_draw)
    const token =
      route.kind === 'boards'
        ? takePageToken({ room: BOARDS_PAGE_TOKEN_ROOM, search })
        : takeBoardToken({ room: route.room, search })
    if (new URLSearchParams(search).has('token')) {
      window.history.replaceState(null, '', window.location.pathname + searchWithoutToken(search) + window.location.hash)
    }
    return { route, token, search }
  }, [])

  // Sign-in mode's front door (sign-in page, links, no-access page); it stands aside in open and token modes.
  switch (route.kind) {
    case 'boards':
      return (
        <PeopleGate room={null} hasToken={token !== null}>
          <BoardsPage token={token} />
        </PeopleGate>
      )
    case 'board':
      return (
        <PeopleGate room={route.room} hasToken={token !== null}>
          <BoardPage room={route.room} token={token} embed={null} viewOnly={viewOnlyReason({ token, search })} assetUrls={tldrawAssetUrls} />
        </PeopleGate>
      )
    case 'embed':
      return (
        <PeopleGate room={route.room} hasToken={token !== null}>
          <BoardPage
            room={route.room}
            token={token}
            embed={route.options}
            viewOnly={viewOnlyReason({ token, search, embedReadonly: route.options.readonly })}
            assetUrls={tldrawAssetUrls}
            parentOrigins={parseParentOrigins(search)}
          />
        </PeopleGate>
      )
    case 'invalid':
      return (
        <p className="scrawl-message">
          {route.reason} <a href="/">All boards</a>
        </p>
      )
    default:
      return null
  }
}

function searchWithoutTemplate(search: string): string {
  const query = new URLSearchParams(search)
  query.delete('template')
  const rest = query.toString()
  return rest ? `?${rest}` : ''
}
