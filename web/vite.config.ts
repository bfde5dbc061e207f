import react from '@vitejs/plugin-react'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

/** Where `vite dev` finds the Scrawl server (start it with `npm start` from the repo root). */
const DEV_SERVER_ORIGIN = 'http://127.0.0.1:1234'

const TIPTAP_SHIM = fileURLToPath(new URL('./src/app/tiptapCore.ts', import.meta.url))

/**
 * Bundles src/app/tiptapCore.ts wherever tldraw (or anything else) imports '@tiptap/core': the same
 * module with a `generateHTML` that does not rebuild its schema on every call, which made opening a
 * board with thousands of labels take seconds. The shim reaches the real package as '@tiptap/core?real'.
 */
function tiptapGenerateHtmlCache(): Plugin {
  return {
    name: 'scrawl:tiptap-generate-html-cache',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (source === '@tiptap/core?real') return this.resolve('@tiptap/core', TIPTAP_SHIM, { ...options, skipSelf: true })
      if (source === '@tiptap/core' && importer !== TIPTAP_SHIM) return TIPTAP_SHIM
      return null
    },
  }
}

/**
 * Builds the board into web/dist: index.html plus content-hashed files under /assets/, which
 * the server serves with immutable caching. Every tldraw font, icon and translation is
 * bundled (see src/app/assetUrls.ts), so the built app never talks to another host.
 */
export default defineConfig({
  base: '/',
  plugins: [react(), tiptapGenerateHtmlCache()],
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
      // The server makes the board (and copies a template) and redirects to it.
      '^/new(\\?|$)': { target: DEV_SERVER_ORIGIN },
    },
  },
})
