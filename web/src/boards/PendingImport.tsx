import { useEffect } from 'react'
import { react, useEditor, useToasts } from 'tldraw'
import { putExcalidrawScene } from '../app/boardImport.ts'
import type { RoomBoard } from '../app/useRoomBoard.ts'
import { countExcalidrawShapes } from '../board/boardFiles.ts'
import { IMPORT_FLAG, takeImport } from './pendingImports.ts'

/**
 * Inside a board opened with `?import=excalidraw` (by the boards page, for a dropped .excalidraw file): once the board
 * is synced with the server, takes the scene waiting for it (pendingImports.ts) and puts it on the page. Synced first,
 * so the content lands on the board's real state, not on a local copy that is still loading. Renders nothing.
 */
export function PendingImport({ board }: { board: RoomBoard }) {
  const editor = useEditor()
  const { addToast } = useToasts()
  useEffect(() => {
    const url = new URL(window.location.href)
    if (!url.searchParams.has(IMPORT_FLAG)) return
    let started = false
    const stop = react('scrawl pending import', () => {
      if (started || board.connection.status.get().state !== 'connected') return
      started = true
      void (async () => {
        // Taken atomically: a second run (another tab, React running effects twice) finds nothing.
        const scene = await takeImport(board.room)
        url.searchParams.delete(IMPORT_FLAG)
        window.history.replaceState(null, '', url.pathname + url.search + url.hash)
        if (!scene) return
        await putExcalidrawScene(editor, scene)
        editor.zoomToFit()
        addToast({ title: 'Imported', description: `${countExcalidrawShapes(scene)} shapes from Excalidraw.`, severity: 'success' })
      })().catch((error: unknown) => {
        addToast({ title: 'Could not import the Excalidraw file', description: (error as Error).message, severity: 'error' })
      })
    })
    return stop
  }, [board, editor, addToast])
  return null
}
