/** The real @tiptap/core, which only src/app/tiptapCore.ts imports (see vite.config.ts). */
declare module '@tiptap/core?real' {
  export * from '@tiptap/core'
}
