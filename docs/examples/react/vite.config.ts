import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [react()],
  // @scrawl/web comes from a local path (a symlink): make sure it uses this app's React and tldraw, not copies of its own.
  resolve: { dedupe: ['react', 'react-dom', 'tldraw', '@tldraw/editor', '@tldraw/state', '@tldraw/store', '@tldraw/tlschema', '@tldraw/utils'] },
})
