import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

/**
 * Builds the tldraw sync page into bench/tldraw-page/dist (gitignored), which the anchor serves from STATIC_DIR.
 * The board scenario (bench/src/board/builds.ts) runs this build when dist is missing or older than the page's
 * sources or tldraw's package, and once more unminified (`--minify false --outDir ...`) for its CPU profile.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  // React's automatic JSX runtime, as tldraw's own apps compile it, without the React plugin (no fast refresh here).
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // tldraw alone is ~2 MB minified; a warning per build would only be noise.
    chunkSizeWarningLimit: 4096,
    // Fonts and icons as files under /assets/, as Scrawl's build serves them, not inlined into the bundle.
    assetsInlineLimit: 0,
  },
})
