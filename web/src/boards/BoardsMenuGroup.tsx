import { createContext, useContext, useState } from 'react'
import {
  TldrawUiButton,
  TldrawUiDialogBody,
  TldrawUiDialogCloseButton,
  TldrawUiDialogFooter,
  TldrawUiDialogHeader,
  TldrawUiDialogTitle,
  TldrawUiInput,
  TldrawUiMenuGroup,
  TldrawUiMenuItem,
  TldrawUiMenuSubmenu,
  useDialogs,
  useToasts,
} from 'tldraw'
import type * as Y from 'yjs'
import { MAX_TITLE_LENGTH } from '../board/docLayout.ts'
import { UNTITLED_BOARD, writeBoardTitle } from '../board/boardTitle.ts'
import { boardPath } from '../app/route.ts'
import { newBoardHref, type BoardsApi } from './boardsApi.ts'
import type { RecentBoardsStore } from './recentBoards.ts'

/** What the board's menu needs to know about the board it sits in. */
export interface BoardChrome {
  room: string
  doc: Y.Doc
  /** The live `meta.title`. */
  title: string
  /** The page's token (for "New board" with auth on); null without. */
  newBoardToken: string | null
  api: BoardsApi
  recent: RecentBoardsStore
}

/** Provided by BoardPage around the editor, read by {@link BoardsMenuGroup}. */
export const BoardChromeContext = createContext<BoardChrome | null>(null)

/** How many other boards "Recent boards" offers. */
const RECENT_IN_MENU = 6

/**
 * The boards part of the board's main menu: the board's live title, switch to a recent board,
 * rename (written into the document, so it works offline and everyone sees it), duplicate, new
 * board, all boards. Rename and duplicate are hidden on read-only boards (tldraw hides items not
 * marked `readonlyOk`).
 */
export function BoardsMenuGroup() {
  const chrome = useContext(BoardChromeContext)
  const { addDialog } = useDialogs()
  const { addToast } = useToasts()
  if (!chrome) return null
  const { room, doc, title, api, recent, newBoardToken } = chrome
  const others = recent.list().filter((board) => board.id !== room).slice(0, RECENT_IN_MENU)

  const rename = () => {
    addDialog({
      component: ({ onClose }) => <RenameBoardDialog initial={title} onClose={onClose} onRename={(next) => void writeBoardTitle(doc, next)} />,
    })
  }
  const duplicate = async () => {
    try {
      const copy = await api.duplicate(room)
      window.location.assign(boardPath(copy.id))
    } catch (error) {
      addToast({ title: 'Could not duplicate the board', description: (error as Error).message, severity: 'error' })
    }
  }

  return (
    <TldrawUiMenuGroup id="scrawl-boards">
      <div className="scrawl-menu-title" data-testid="board-menu-title" title={title || UNTITLED_BOARD}>
        {title || UNTITLED_BOARD}
      </div>
      {others.length > 0 && (
        <TldrawUiMenuSubmenu id="scrawl-recent-boards" label="Recent boards">
          <TldrawUiMenuGroup id="scrawl-recent-boards-list">
            {others.map((board) => (
              <TldrawUiMenuItem
                key={board.id}
                id={`scrawl-recent-${board.id}`}
                label={board.title || UNTITLED_BOARD}
                readonlyOk
                onSelect={() => window.location.assign(boardPath(board.id))}
              />
            ))}
          </TldrawUiMenuGroup>
        </TldrawUiMenuSubmenu>
      )}
      <TldrawUiMenuItem id="scrawl-rename-board" label="Rename board…" onSelect={rename} />
      <TldrawUiMenuItem id="scrawl-duplicate-board" label="Duplicate board" onSelect={duplicate} />
      <TldrawUiMenuItem id="scrawl-new-board" label="New board" readonlyOk onSelect={() => window.location.assign(newBoardHref({ token: newBoardToken }))} />
      <TldrawUiMenuItem id="scrawl-all-boards" label="All boards" readonlyOk onSelect={() => window.location.assign('/')} />
    </TldrawUiMenuGroup>
  )
}

/** tldraw's dialog with one field: Enter or "Rename" saves, Escape or "Cancel" leaves the title as it was. */
function RenameBoardDialog({ initial, onClose, onRename }: { initial: string; onClose(): void; onRename(title: string): void }) {
  const [value, setValue] = useState(initial)
  const save = (title: string) => {
    onRename(title)
    onClose()
  }
  return (
    <>
      <TldrawUiDialogHeader>
        <TldrawUiDialogTitle>Rename board</TldrawUiDialogTitle>
        <TldrawUiDialogCloseButton />
      </TldrawUiDialogHeader>
      <TldrawUiDialogBody style={{ maxWidth: 360 }}>
        <TldrawUiInput
          className="scrawl-rename-input"
          defaultValue={initial}
          placeholder={UNTITLED_BOARD}
          maxLength={MAX_TITLE_LENGTH}
          autoFocus
          autoSelect
          onValueChange={setValue}
          onComplete={save}
          onCancel={onClose}
          aria-label="Board title"
          data-testid="rename-board-input"
        />
      </TldrawUiDialogBody>
      <TldrawUiDialogFooter className="tlui-dialog__footer__actions">
        <TldrawUiButton type="normal" onClick={onClose}>
          Cancel
        </TldrawUiButton>
        <TldrawUiButton type="primary" onClick={() => save(value)} data-testid="rename-board-save">
          Rename
        </TldrawUiButton>
      </TldrawUiDialogFooter>
    </>
  )
}
