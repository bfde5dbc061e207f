import { useEffect } from 'react'
import { useEditor, useToasts } from 'tldraw'
import { importFileIntoBoard } from '../app/boardImport.ts'
import { boardFileKind } from '../board/boardFiles.ts'

/**
 * Inside an open board: a .tldr or .excalidraw file dropped on the canvas joins the board, as the board menu's
 * Import does (tldraw itself takes only images and videos, and refused these). A drop made only of such files is
 * taken before tldraw's own drop handling sees it (a capture listener on the editor's container); any other drop,
 * images included, is tldraw's. Read-only boards take nothing. Renders nothing.
 */
export function BoardFileDrop() {
  const editor = useEditor()
  const { addToast } = useToasts()
  useEffect(() => {
    const container = editor.getContainer()
    const onDrop = (event: DragEvent) => {
      const files = [...(event.dataTransfer?.files ?? [])]
      if (files.length === 0 || !files.every((file) => boardFileKind(file) !== null)) return
      event.preventDefault()
      event.stopPropagation()
      if (editor.getIsReadonly()) {
        addToast({ title: 'This board is view only', description: 'Files cannot be added to it.', severity: 'warning' })
        return
      }
      for (const file of files) {
        importFileIntoBoard(editor, file)
          .then((shapes) => addToast({ title: 'Imported', description: `${shapes} shapes from ${file.name}.`, severity: 'success' }))
          .catch((error: unknown) => addToast({ title: `Could not import ${file.name}`, description: (error as Error).message, severity: 'error' }))
      }
    }
    container.addEventListener('drop', onDrop, { capture: true })
    return () => container.removeEventListener('drop', onDrop, { capture: true })
  }, [editor, addToast])
  return null
}
