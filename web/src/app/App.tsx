import { useMemo } from 'react'
import { searchWithoutToken, takePageToken, viewOnlyReason } from './access.ts'
import { tldrawAssetUrls } from './assetUrls.ts'
import { BoardPage } from './BoardPage.tsx'
import { parseParentOrigins } from './embedBridge.ts'
import { boardPath, newRoomId, parseRoute } from './route.ts'

/**
 * Picks the page from the URL. `/` gets a fresh room id (the server normally redirects first;
 * this covers dev servers and static hosting) and the address bar is rewritten to `/b/:room`.
 * A `?token=` is kept for this tab (sessionStorage) and taken out of the address bar.
 */
export function App() {
  const { route, token, search } = useMemo(() => {
    const search = window.location.search
    let route = parseRoute(window.location.pathname, search)
    if (route.kind === 'new') {
      route = { kind: 'board' as const, room: newRoomId() }
      window.history.replaceState(null, '', boardPath(route.room) + search)
    }
    if (route.kind === 'invalid') return { route, token: null, search }
    const token = takePageToken({ room: route.room, search })
    if (new URLSearchParams(search).has('token')) {
      window.history.replaceState(null, '', window.location.pathname + searchWithoutToken(search) + window.location.hash)
    }
    return { route, token, search }
  }, [])

  switch (route.kind) {
    case 'board':
      return <BoardPage room={route.room} token={token} embed={null} viewOnly={viewOnlyReason({ token, search })} assetUrls={tldrawAssetUrls} />
    case 'embed':
      return (
        <BoardPage
          room={route.room}
          token={token}
          embed={route.options}
          viewOnly={viewOnlyReason({ token, search, embedReadonly: route.options.readonly })}
          assetUrls={tldrawAssetUrls}
          parentOrigins={parseParentOrigins(search)}
        />
      )
    case 'invalid':
      return (
        <p className="scrawl-message">
          {route.reason} <a href="/">Start a new board</a>
        </p>
      )
    default:
      return null
  }
}
