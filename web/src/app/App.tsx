import { useMemo } from 'react'
import { BoardPage } from './BoardPage.tsx'
import { boardPath, newRoomId, parseRoute } from './route.ts'

/**
 * Picks the page from the URL. `/` gets a fresh room id (the server normally redirects first;
 * this covers dev servers and static hosting) and the address bar is rewritten to `/b/:room`.
 */
export function App() {
  const route = useMemo(() => {
    const parsed = parseRoute(window.location.pathname, window.location.search)
    if (parsed.kind !== 'new') return parsed
    const room = newRoomId()
    window.history.replaceState(null, '', boardPath(room) + window.location.search)
    return { kind: 'board' as const, room }
  }, [])
  const token = new URLSearchParams(window.location.search).get('token')

  switch (route.kind) {
    case 'board':
      return <BoardPage room={route.room} token={token} embed={null} />
    case 'embed':
      return <BoardPage room={route.room} token={token} embed={route.options} />
    case 'invalid':
      return (
        <p className="scrawl-message">
          {route.reason} <a href="/">Start a new board</a>
        </p>
      )
  }
}
