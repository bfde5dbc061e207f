import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [react()],
  // @scrawl/web comes from a local path (a symlink): make sure it uses this app's React and tldraw, not copies of its own,
  // and tldraw's TipTap and ProseMirror (label editing binds tldraw's text editor with @scrawl/web's collaboration extension).
  resolve: {
    dedupe: [
      'react', 'react-dom', 'tldraw', '@tldraw/editor', '@tldraw/state', '@tldraw/store', '@tldraw/tlschema', '@tldraw/utils',
      '@tiptap/core', '@tiptap/pm', 'prosemirror-model', 'prosemirror-state', 'prosemirror-view', 'prosemirror-transform',
    ],
  },
})
