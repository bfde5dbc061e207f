import { useContext } from 'react'
import { DefaultMainMenu, DefaultMainMenuContent, serializeTldrawJsonBlob, TldrawUiMenuGroup, TldrawUiMenuItem, useEditor, useToasts } from 'tldraw'
import { exportBoard, importBoard } from '../board/boardFile.ts'
import { boardFileName } from '../board/boardFiles.ts'
import { BoardChromeContext, BoardsMenuGroup } from '../boards/BoardsMenuGroup.tsx'
import { importFileIntoBoard } from './boardImport.ts'
import { boardToPdf } from './pdfExport.ts'
import { PresentMenuGroup } from './PresentationBar.tsx'

/** Saves `file` as a download named `name` (works offline: nothing leaves the browser). */
function download(file: Blob, name: string): void {
  const link = document.createElement('a')
  link.href = URL.createObjectURL(file)
  link.download = name
  link.click()
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000)
}

/**
 * tldraw's main menu (which already exports PNG and SVG) plus the boards group (switch, rename,
 * duplicate, new, all boards), board files (.tldr and PDF out, .tldr and .excalidraw in) and
 * saving and opening a board as Scrawl JSON; and Present (everyone in the room follows you).
 */
export function BoardMenu() {
  const editor = useEditor()
  const { addToast } = useToasts()
  const chrome = useContext(BoardChromeContext)
  const title = chrome?.title ?? document.title.replace(/ · Scrawl$/, '')
  const room = chrome?.room ?? 'board'
  const save = () => {
    download(new Blob([JSON.stringify(exportBoard(editor.store))], { type: 'application/json' }), `${title || 'board'}.scrawl.json`)
  }
  const failed = (what: string) => (error: unknown) =>
    addToast({ title: what, description: String((error as Error).message ?? error), severity: 'error' })
  // tldraw's own writer, so the file opens in tldraw too; images are fetched and written inline.
  const exportTldr = () =>
    void serializeTldrawJsonBlob(editor)
      .then((file) => download(file, boardFileName(title, room, 'tldr')))
      .catch(failed('Could not export the board'))
  const exportPdf = () =>
    void boardToPdf(editor, title || room)
      .then((bytes) => download(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/pdf' }), boardFileName(title, room, 'pdf')))
      .catch(failed('Could not export a PDF'))
  const importFile = () => {
    const input = document.createElement('input')
    input.type = 'file'
    input.accept = '.tldr,.excalidraw,application/vnd.tldraw+json,application/vnd.excalidraw+json'
    input.onchange = () => {
      const file = input.files?.[0]
      if (!file) return
      importFileIntoBoard(editor, file)
        .then((shapes) => addToast({ title: 'Imported', description: `${shapes} shapes from ${file.name}.`, severity: 'success' }))
        .catch(failed(`Could not import ${file.name}`))
    }
    input.click()
  }
  const open = () => {
    const input = document.createElement('input')
    input.type = 'file'
    input.accept = 'application/json,.json'
    input.onchange = async () => {
      const file = input.files?.[0]
      if (!file) return
      try {
        editor.markHistoryStoppingPoint('import board')
        const board = JSON.parse(await file.text())
        editor.run(() => importBoard(editor.store, board))
      } catch (error) {
        addToast({ title: 'Could not open that file', description: String((error as Error).message ?? error), severity: 'error' })
      }
    }
    input.click()
  }
  return (
    <DefaultMainMenu>
      <BoardsMenuGroup />
      <PresentMenuGroup />
      <TldrawUiMenuGroup id="scrawl-board-files">
        <TldrawUiMenuItem id="scrawl-export-tldr" label="Export as .tldr" readonlyOk onSelect={exportTldr} />
        <TldrawUiMenuItem id="scrawl-export-pdf" label="Export as PDF" readonlyOk onSelect={exportPdf} />
        <TldrawUiMenuItem id="scrawl-import-file" label="Import .tldr / .excalidraw…" onSelect={importFile} />
      </TldrawUiMenuGroup>
      <TldrawUiMenuGroup id="scrawl-board-file">
        <TldrawUiMenuItem id="scrawl-export-json" label="Save board as JSON" readonlyOk onSelect={save} />
        <TldrawUiMenuItem id="scrawl-import-json" label="Open board from JSON…" onSelect={open} />
      </TldrawUiMenuGroup>
      <DefaultMainMenuContent />
    </DefaultMainMenu>
  )
}
