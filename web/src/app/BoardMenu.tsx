import { DefaultMainMenu, DefaultMainMenuContent, TldrawUiMenuGroup, TldrawUiMenuItem, useEditor, useToasts } from 'tldraw'
import { exportBoard, importBoard } from '../board/boardFile.ts'
import { BoardsMenuGroup } from '../boards/BoardsMenuGroup.tsx'

/**
 * tldraw's main menu (which already exports PNG and SVG) plus the boards group (switch, rename,
 * duplicate, new, all boards) and saving and opening a board as JSON.
 */
export function BoardMenu() {
  const editor = useEditor()
  const { addToast } = useToasts()
  const save = () => {
    const file = new Blob([JSON.stringify(exportBoard(editor.store))], { type: 'application/json' })
    const link = document.createElement('a')
    link.href = URL.createObjectURL(file)
    link.download = `${document.title.replace(/ · Scrawl$/, '') || 'board'}.scrawl.json`
    link.click()
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000)
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
      <TldrawUiMenuGroup id="scrawl-board-file">
        <TldrawUiMenuItem id="scrawl-export-json" label="Save board as JSON" readonlyOk onSelect={save} />
        <TldrawUiMenuItem id="scrawl-import-json" label="Open board from JSON…" onSelect={open} />
      </TldrawUiMenuGroup>
      <DefaultMainMenuContent />
    </DefaultMainMenu>
  )
}
