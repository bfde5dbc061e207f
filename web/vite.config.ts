import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

/** Where `vite dev` finds the Scrawl server (start it with `npm start` from the repo root). */
const DEV_SERVER_ORIGIN = 'http://127.0.0.1:1234'

/**
 * Builds the board into web/dist: index.html plus content-hashed files under /assets/, which
 * the server serves with immutable caching. Every tldraw font, icon and translation is
 * bundled (see src/app/assetUrls.ts), so the built app never talks to another host.
 */
export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    // tldraw alone is ~2 MB minified; a warning per build would only be noise.
    chunkSizeWarningLimit: 4096,
    // Inlined data: URLs would defeat caching of fonts and icons and bloat every page load.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      '/sync': { target: DEV_SERVER_ORIGIN, ws: true },
      '/yjs': { target: DEV_SERVER_ORIGIN, ws: true },
      '/api': { target: DEV_SERVER_ORIGIN },
    },
  },
})
