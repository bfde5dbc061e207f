import { Fragment, useEffect, useRef, useState, type KeyboardEvent } from 'react'
import { MAX_TITLE_LENGTH } from '../board/docLayout.ts'
import { UNTITLED_BOARD } from '../board/boardTitle.ts'
import { newBoardHref, type BoardSummary, type BoardsView } from './boardsApi.ts'
import { highlightSegments } from './highlight.ts'
import { relativeTime } from './relativeTime.ts'

/** Text with the search's matches in `<mark>`, built as React text (never as HTML). */
export function Highlighted({ text, ranges }: { text: string; ranges?: ReadonlyArray<readonly [number, number]> }) {
  return (
    <>
      {highlightSegments(text, ranges).map((segment, i) =>
        segment.marked ? <mark key={i}>{segment.text}</mark> : <Fragment key={i}>{segment.text}</Fragment>,
      )}
    </>
  )
}

/** What a card can ask the page to do with its board. */
export interface BoardCardActions {
  rename(board: BoardSummary, title: string): Promise<void>
  duplicate(board: BoardSummary): void
  saveAsTemplate(board: BoardSummary): void
  toggleStar(board: BoardSummary): void
  trash(board: BoardSummary): void
  restore(board: BoardSummary): void
  deleteForever(board: BoardSummary): void
}

/** Props of {@link BoardCard}. */
export interface BoardCardProps {
  board: BoardSummary
  view: BoardsView
  /** Where the board opens (`/b/:id`). */
  href: string
  /** The thumbnail's loadable URL, or null for the placeholder. */
  thumbnailSrc: string | null
  /** The page's token when the server needs one (for "use template" links). */
  newBoardToken: string | null
  /** For "edited 5 minutes ago". */
  now: number
  actions: BoardCardActions
  /** False for boards this page only knows from the local list (offline): no actions then. */
  actionable: boolean
}

/** One board in the grid: thumbnail, title (renamable in place), when and by whom it was edited, and its actions. */
export function BoardCard({ board, view, href, thumbnailSrc, newBoardToken, now, actions, actionable }: BoardCardProps) {
  const [renaming, setRenaming] = useState(false)
  const titleLink = useRef<HTMLAnchorElement>(null)
  const wasRenaming = useRef(false)
  useEffect(() => {
    // Back from the rename field: the keyboard stays on this card.
    if (wasRenaming.current && !renaming) titleLink.current?.focus()
    wasRenaming.current = renaming
  }, [renaming])
  const title = board.title || UNTITLED_BOARD
  const inTrash = board.deletedAt !== null
  const edited = relativeTime(board.updatedAt, now)
  const matched = board.highlights && board.highlights.length > 0 && board.excerpt
  return (
    <li className="scrawl-card" data-testid="board-card" data-board-id={board.id} data-title={board.title}>
      <a className="scrawl-card__thumb" href={inTrash ? undefined : href} tabIndex={-1} aria-hidden>
        {thumbnailSrc ? (
          <img src={thumbnailSrc} alt="" loading="lazy" decoding="async" data-testid="board-thumbnail" />
        ) : (
          <span className="scrawl-card__placeholder" data-testid="board-thumbnail-placeholder" />
        )}
      </a>
      <div className="scrawl-card__body">
        {renaming ? (
          <RenameInput
            initial={board.title}
            onDone={async (next) => {
              setRenaming(false)
              if (next !== null && next !== board.title) await actions.rename(board, next)
            }}
          />
        ) : inTrash ? (
          <span className="scrawl-card__title" data-testid="board-title">
            <Highlighted text={title} ranges={board.title ? board.titleHighlights : undefined} />
          </span>
        ) : (
          <a ref={titleLink} className="scrawl-card__title" href={href} data-testid="board-title">
            <Highlighted text={title} ranges={board.title ? board.titleHighlights : undefined} />
          </a>
        )}
        {matched && (
          <p className="scrawl-card__excerpt" data-testid="board-excerpt">
            <Highlighted text={board.excerpt} ranges={board.highlights} />
          </p>
        )}
        <p className="scrawl-card__meta">
          {inTrash ? (
            <>Trashed {relativeTime(board.deletedAt!, now)}</>
          ) : edited ? (
            <>
              Edited <time dateTime={board.updatedAt} title={new Date(board.updatedAt).toLocaleString()}>{edited}</time>
            </>
          ) : null}
          {board.lastEditors.length > 0 && <span className="scrawl-card__people"> · {board.lastEditors.join(', ')}</span>}
        </p>
        {actionable && (
          <div className="scrawl-card__actions">
            {inTrash ? (
              <>
                <button type="button" onClick={() => actions.restore(board)} data-testid="restore-board">
                  Restore
                </button>
                <button type="button" className="scrawl-danger" onClick={() => actions.deleteForever(board)} data-testid="delete-forever">
                  Delete forever
                </button>
              </>
            ) : (
              <>
                <button
                  type="button"
                  className="scrawl-card__star"
                  aria-pressed={board.starred}
                  aria-label={board.starred ? `Unstar ${title}` : `Star ${title}`}
                  title={board.starred ? 'Unstar' : 'Star'}
                  onClick={() => actions.toggleStar(board)}
                  data-testid="star-board"
                >
                  {board.starred ? '★' : '☆'}
                </button>
                {view === 'templates' && (
                  <a className="scrawl-card__use" href={newBoardHref({ template: board.id, token: newBoardToken })} data-testid="use-template">
                    Use
                  </a>
                )}
                <button type="button" onClick={() => setRenaming(true)} data-testid="rename-board">
                  Rename
                </button>
                <button type="button" onClick={() => actions.duplicate(board)} data-testid="duplicate-board">
                  Duplicate
                </button>
                {!board.template && (
                  <button type="button" onClick={() => actions.saveAsTemplate(board)} title="Save a copy as a template" data-testid="template-board">
                    Save as template
                  </button>
                )}
                <button type="button" onClick={() => actions.trash(board)} aria-label={`Move ${title} to the trash`} title="Move to the trash" data-testid="trash-board">
                  Trash
                </button>
              </>
            )}
          </div>
        )}
      </div>
    </li>
  )
}

/** The title as an input: Enter saves, Escape gives up, leaving the field saves too. `onDone(null)` means no change. */
function RenameInput({ initial, onDone }: { initial: string; onDone: (title: string | null) => void }) {
  const input = useRef<HTMLInputElement>(null)
  const done = useRef(false)
  useEffect(() => {
    input.current?.focus()
    input.current?.select()
  }, [])
  const finish = (title: string | null) => {
    if (done.current) return
    done.current = true
    onDone(title === null ? null : title.trim())
  }
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault()
      finish(event.currentTarget.value)
    } else if (event.key === 'Escape') {
      event.preventDefault()
      finish(null)
    }
  }
  return (
    <input
      ref={input}
      className="scrawl-card__rename"
      defaultValue={initial}
      maxLength={MAX_TITLE_LENGTH}
      aria-label="Board title"
      placeholder={UNTITLED_BOARD}
      onKeyDown={onKeyDown}
      onBlur={(event) => finish(event.currentTarget.value)}
      data-testid="rename-input"
    />
  )
}
