import { createRoot } from 'react-dom/client'
import { getAssetUrlsByImport } from '@tldraw/assets/imports.vite.js'
import { ScrawlBoard } from '@scrawl/web'
import '@scrawl/web/style.css'

// tldraw's fonts, icons and translations, bundled into this app by Vite: no request to tldraw's CDN, so the board
// works offline and air-gapped. (Leave `assetUrls` out to load them from the CDN instead.)
const assetUrls = getAssetUrlsByImport()

// Where the Scrawl server runs, which board, and (with AUTH_SECRET on the server) a token your backend minted.
const params = new URLSearchParams(location.search)
const serverUrl = params.get('server') ?? 'http://127.0.0.1:1234'
const room = params.get('room') ?? 'demo'
const token = params.get('token')

function App() {
  return (
    <div style={{ display: 'grid', gridTemplateRows: 'auto 1fr', height: '100vh' }}>
      <header style={{ padding: 8, fontFamily: 'system-ui' }}>My app · board “{room}”</header>
      {/* The board fills its parent: give the parent a size. */}
      <div style={{ position: 'relative', minHeight: 0 }}>
        <ScrawlBoard
          serverUrl={serverUrl}
          room={room}
          token={token}
          user={{ name: 'Ada from my app', color: '#e03131' }}
          assetUrls={assetUrls}
          onMount={(editor) => console.log('Scrawl board mounted', editor.getCurrentPageId())}
        />
      </div>
    </div>
  )
}

createRoot(document.getElementById('root')!).render(<App />)
