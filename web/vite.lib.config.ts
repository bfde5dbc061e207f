import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

/**
 * Builds `@scrawl/web` as a library (src/lib/index.ts -> dist-lib/scrawl.js + dist-lib/style.css):
 * the `<ScrawlBoard>` React component for other React apps. React, ReactDOM and tldraw (with its
 * @tldraw/* packages) stay imports, so the host app's single copies are used; Yjs, the Hocuspocus
 * provider and y-indexeddb are bundled. tldraw's assets are not bundled: the host passes
 * `assetUrls` or uses tldraw's defaults.
 */
export default defineConfig({
  plugins: [react()],
  // public/ holds the app's service worker, which has no place in a library.
  publicDir: false,
  build: {
    outDir: 'dist-lib',
    emptyOutDir: true,
    sourcemap: true,
    lib: {
      entry: 'src/lib/index.ts',
      formats: ['es'],
      fileName: () => 'scrawl.js',
      cssFileName: 'style',
    },
    rollupOptions: {
      // TipTap and ProseMirror come with the host's tldraw: label editing binds tldraw's TipTap editor,
      // which must share one copy of them with the collaboration extension bundled here.
      external: [/^react($|\/)/, /^react-dom($|\/)/, /^tldraw($|\/)/, /^@tldraw\//, /^@tiptap\/(core|pm)($|\/)/, /^prosemirror-/],
    },
  },
})
