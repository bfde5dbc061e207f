import { react, type Editor } from 'tldraw'
import { startEmbedBridge } from './embedBridge.ts'
import type { RoomBoard } from './useRoomBoard.ts'

/** Wires the postMessage bridge of `/embed/:room` (embedBridge.ts) to the editor and the connection. Returns the teardown. */
export function mountEmbedBridge(editor: Editor, board: RoomBoard, parentOrigins: string[]): () => void {
  if (parentOrigins.length === 0 || window.parent === window) return () => {}
  return startEmbedBridge({
    room: board.room,
    parentOrigins,
    parent: window.parent,
    onMessage(handler) {
      window.addEventListener('message', handler)
      return () => window.removeEventListener('message', handler)
    },
    status: () => board.connection.status.get(),
    onStatus: (listener) => react('scrawl.embed.status', () => {
      board.connection.status.get()
      listener()
    }),
    shapeCount: () => editor.getCurrentPageShapeIds().size,
    onDocumentChange: (listener) => editor.store.listen(listener, { scope: 'document' }),
    async exportPng() {
      const ids = [...editor.getCurrentPageShapeIds()]
      if (ids.length === 0) return null
      const { blob } = await editor.toImage(ids, { format: 'png', background: true })
      return await new Promise<string>((resolve, reject) => {
        const reader = new FileReader()
        reader.onload = () => resolve(reader.result as string)
        reader.onerror = () => reject(reader.error ?? new Error('could not read the PNG'))
        reader.readAsDataURL(blob)
      })
    },
  })
}
