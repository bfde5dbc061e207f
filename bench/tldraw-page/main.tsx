/**
 * The tldraw sync anchor's page (bench/src/anchors/tldraw-sync.ts serves it): the stock `<Tldraw />` kept in sync by
 * tldraw's own `useSync`, the way tldraw's sync example app runs it, so the board scenario opens one board on Scrawl
 * and on tldraw sync alike. `/b/:room` opens `room` over `ws://<same host>/connect/:room` (useSync adds the
 * sessionId). Fonts, icons and translations come from @tldraw/assets, bundled by Vite (no CDN, like Scrawl's app),
 * and the editor is put on `window.__scrawl` on mount, where the board scenario's probe looks for Scrawl's.
 */
import { useSync } from '@tldraw/sync'
import { getAssetUrlsByImport } from '@tldraw/assets/imports.vite.js'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { Tldraw, type Editor, type TLAssetStore } from 'tldraw'
import 'tldraw/tldraw.css'

declare global {
  interface Window {
    /** Where the board scenario's probe finds the editor (the same name as Scrawl's test hook). */
    __scrawl?: { editor: Editor }
  }
}

const assetUrls = getAssetUrlsByImport()

/** Files pasted into this page stay inline as data: URLs; the benchmark boards have none. */
const inlineAssets: TLAssetStore = {
  upload: async (_asset, file) =>
    new Promise((resolve, reject) => {
      const reader = new FileReader()
      reader.onload = () => resolve({ src: String(reader.result) })
      reader.onerror = () => reject(reader.error)
      reader.readAsDataURL(file)
    }),
  resolve: (asset) => asset.props.src,
}

const room = /^\/b\/([^/]+)/.exec(location.pathname)?.[1] ?? 'default'
const uri = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/connect/${room}`

function Board() {
  const store = useSync({ uri, assets: inlineAssets })
  return (
    <div style={{ position: 'fixed', inset: 0 }}>
      <Tldraw
        store={store}
        assetUrls={assetUrls}
        onMount={(editor) => {
          window.__scrawl = { editor }
          return () => {
            if (window.__scrawl?.editor === editor) delete window.__scrawl
          }
        }}
      />
    </div>
  )
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Board />
  </StrictMode>,
)
