import { useEffect, useMemo, useRef, useState } from 'react'
import 'tldraw/tldraw.css'
import './boards.css'
import { UNTITLED_BOARD } from '../board/boardTitle.ts'
import { loadConfig, type AppConfig } from '../app/config.ts'
import { boardPath as boardPagePath } from '../app/route.ts'
import { BoardCard, type BoardCardActions } from './BoardCard.tsx'
import { boardFromFile } from './boardFromFile.ts'
import { BoardsApiError, createBoardsApi, newBoardHref, type BoardSummary, type BoardsView } from './boardsApi.ts'
import { createRecentBoardsStore, type RecentBoard } from './recentBoards.ts'
import { TemplateList, TemplatePicker, useTemplates } from './TemplatePicker.tsx'
import { useBoardList } from './useBoardList.ts'
import { PersonMenu } from '../people/PersonMenu.tsx'

/** Props of {@link BoardsPage}. */
export interface BoardsPageProps {
  /** The page's token (`?token=` on `/`), sent as Bearer when the server requires one. */
  token: string | null
  /** Origin of the Scrawl server; '' (default) is this page's. */
  serverUrl?: string
}

const VIEWS: Array<{ view: BoardsView; label: string }> = [
  { view: 'recent', label: 'Recent' },
  { view: 'starred', label: 'Starred' },
  { view: 'templates', label: 'Templates' },
  { view: 'trash', label: 'Trash' },
]

/** How long the search waits after the last key before it asks the server. */
export const SEARCH_DEBOUNCE_MS = 150

/**
 * `/`: the boards you find again. Recent boards with thumbnails, search over titles and what is on
 * the boards, new board (blank or from a template), starred, trash. With `BOARD_LIST=off` it shows
 * only the boards this browser opened (the local list), and search filters those.
 */
export function BoardsPage({ token, serverUrl = '' }: BoardsPageProps) {
  const [config, setConfig] = useState<AppConfig | null>(null)
  useEffect(() => void loadConfig(serverUrl).then(setConfig), [serverUrl])
  const api = useMemo(() => createBoardsApi({ token, serverUrl }), [token, serverUrl])
  const recent = useMemo(() => createRecentBoardsStore(), [])
  const [localBoards, setLocalBoards] = useState<RecentBoard[]>(() => recent.list())
  const [view, setView] = useState<BoardsView>('recent')
  const [query, setQuery] = useState('')
  const q = useDebounced(query.trim(), SEARCH_DEBOUNCE_MS)
  const [notice, setNotice] = useState<{ text: string; undo?: () => void } | null>(null)
  const [now, setNow] = useState(() => Date.now())
  const search = useRef<HTMLInputElement>(null)
  const filePicker = useRef<HTMLInputElement>(null)
  const [dragging, setDragging] = useState(false)
  const [importing, setImporting] = useState(false)
  const darkMode = usePrefersDark()

  const localOnly = config !== null && !config.boardList
  const ids = useMemo(() => (localOnly && view !== 'templates' ? localBoards.map((b) => b.id) : null), [localOnly, view, localBoards])
  const list = useBoardList({ api, view, q, ids, enabled: config !== null })
  const newToken = config?.authRequired ? token : null

  const firstVisit = view === 'recent' && !q && !list.loading && !list.error && list.boards.length === 0
  const { templates } = useTemplates(api, firstVisit)

  useEffect(() => {
    document.title = 'Boards · Scrawl'
    // Relative times ("5 minutes ago") stay true while the page is open.
    const timer = setInterval(() => setNow(Date.now()), 30_000)
    // "/" jumps to the search, as on many sites, unless the user is typing somewhere.
    const onKeyDown = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null
      if (event.key !== '/' || target?.closest('input, textarea, [contenteditable]')) return
      event.preventDefault()
      search.current?.focus()
    }
    document.addEventListener('keydown', onKeyDown)
    return () => {
      clearInterval(timer)
      document.removeEventListener('keydown', onKeyDown)
    }
  }, [])

  const act = async (work: () => Promise<void>) => {
    try {
      await work()
    } catch (error) {
      setNotice({ text: `That did not work: ${(error as Error).message}` })
    }
  }
  const name = (board: BoardSummary) => `“${board.title || UNTITLED_BOARD}”`
  const actions: BoardCardActions = {
    rename: (board, title) =>
      act(async () => {
        list.replace(await api.rename(board.id, title))
        recent.noteTitle(board.id, title)
      }),
    duplicate: (board) =>
      void act(async () => {
        const copy = await api.duplicate(board.id)
        rememberLocally(copy)
        list.prepend(copy)
        setNotice({ text: `Made ${name(copy)}.` })
      }),
    saveAsTemplate: (board) =>
      void act(async () => {
        const template = await api.duplicate(board.id, { title: board.title || UNTITLED_BOARD, template: true })
        setNotice({ text: `Saved ${name(template)} as a template.` })
      }),
    toggleStar: (board) => void act(async () => list.replace(await api.setStarred(board.id, !board.starred))),
    trash: (board) =>
      void act(async () => {
        list.replace(await api.trash(board.id))
        setNotice({
          text: `Moved ${name(board)} to the trash.`,
          undo: () => void act(async () => { list.prepend(await api.restore(board.id)); setNotice(null) }),
        })
      }),
    restore: (board) =>
      void act(async () => {
        list.replace(await api.restore(board.id))
        setNotice({ text: `Restored ${name(board)}.` })
      }),
    deleteForever: (board) => {
      if (!window.confirm(`Delete ${name(board)} forever? This cannot be undone.`)) return
      void act(async () => {
        await api.deleteForever(board.id)
        list.remove(board.id)
        recent.forget(board.id)
        setLocalBoards(recent.list())
        setNotice({ text: `Deleted ${name(board)} forever.` })
      })
    },
  }
  /** With the list off, a board made here must join the local list or the page could not show it. */
  const rememberLocally = (board: BoardSummary) => {
    if (!localOnly) return
    recent.noteOpened(board.id, board.title)
    setLocalBoards(recent.list())
  }

  /** A dropped or picked .tldr / .excalidraw file becomes a new board, which opens. */
  const importFile = async (file: File | undefined) => {
    if (!file || importing) return
    setImporting(true)
    setNotice({ text: `Importing ${file.name}…` })
    try {
      const { board, href } = await boardFromFile(api, file)
      rememberLocally(board)
      window.location.assign(href)
    } catch (error) {
      const status = error instanceof BoardsApiError ? error.status : -1
      const reason = status === 0 ? 'the server did not answer; importing a file needs a connection.' : (error as Error).message
      setNotice({ text: `Could not import ${file.name}: ${reason}` })
      setImporting(false)
    }
  }
  const hasFiles = (event: React.DragEvent) => event.dataTransfer.types.includes('Files')

  // Offline (no answer at all): the boards this browser opened, from the local list, without actions.
  const offline = list.error?.status === 0 && view === 'recent'
  const shown: BoardSummary[] = offline ? localBoards.filter((b) => matchesLocally(b, q)).map(localSummary) : list.boards

  return (
    <div
      className={`tl-container ${darkMode ? 'tl-theme__dark' : 'tl-theme__light'} scrawl-boards`}
      data-dragging={dragging || undefined}
      data-testid="boards-page"
      onDragOver={(event) => {
        if (!hasFiles(event)) return
        event.preventDefault()
        event.dataTransfer.dropEffect = 'copy'
        setDragging(true)
      }}
      onDragLeave={(event) => {
        if (event.currentTarget === event.target || !event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false)
      }}
      onDrop={(event) => {
        if (!hasFiles(event)) return
        event.preventDefault()
        setDragging(false)
        void importFile(event.dataTransfer.files[0])
      }}
    >
      <header className="scrawl-boards__header">
        <a className="scrawl-boards__brand" href="/">
          Scrawl
        </a>
        <input
          ref={search}
          className="scrawl-boards__search"
          type="search"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          onKeyDown={(event) => event.key === 'Escape' && setQuery('')}
          placeholder="Search boards and what is on them"
          aria-label="Search boards"
          data-testid="boards-search"
        />
        <button
          type="button"
          className="scrawl-button"
          onClick={() => filePicker.current?.click()}
          disabled={importing}
          title="Make a board from a .tldr or .excalidraw file (or drop the file anywhere on this page)"
          data-testid="import-board"
        >
          Import…
        </button>
        <input
          ref={filePicker}
          type="file"
          hidden
          accept=".tldr,.excalidraw,application/vnd.tldraw+json,application/vnd.excalidraw+json"
          onChange={(event) => {
            void importFile(event.target.files?.[0])
            event.target.value = ''
          }}
          data-testid="import-board-input"
        />
        <TemplatePicker api={api} token={newToken} />
        <a className="scrawl-button scrawl-button--primary" href={newBoardHref({ token: newToken })} data-testid="new-board">
          New board
        </a>
        <PersonMenu backup />
      </header>

      <nav className="scrawl-boards__views" aria-label="Which boards">
        {VIEWS.map((item) => (
          <button
            key={item.view}
            type="button"
            aria-current={view === item.view ? 'page' : undefined}
            onClick={() => setView(item.view)}
            data-testid={`view-${item.view}`}
          >
            {item.label}
          </button>
        ))}
      </nav>

      <main className="scrawl-boards__main" aria-busy={list.loading}>
        {notice && (
          <p className="scrawl-boards__notice" role="status" data-testid="boards-notice">
            {notice.text}
            {notice.undo && (
              <button type="button" onClick={notice.undo} data-testid="notice-undo">
                Undo
              </button>
            )}
            <button type="button" aria-label="Dismiss" onClick={() => setNotice(null)}>
              ×
            </button>
          </p>
        )}
        {localOnly && view !== 'templates' && (
          <p className="scrawl-boards__hint">This server keeps its list of boards private: these are the boards this browser opened.</p>
        )}
        {list.error && (
          <p className="scrawl-boards__error" role="alert" data-testid="boards-error">
            {errorMessage(list.error)}
          </p>
        )}

        {firstVisit ? (
          <EmptyState newHref={newBoardHref({ token: newToken })} templates={templates} api={api} token={newToken} localOnly={localOnly} />
        ) : (
          <>
            {!list.loading && shown.length === 0 && !list.error && (
              <p className="scrawl-boards__none" data-testid="boards-none">
                {q ? `No boards match “${q}”.` : EMPTY_VIEW_TEXT[view]}
              </p>
            )}
            <ul className="scrawl-boards__grid" data-testid="board-grid">
              {shown.map((board) => (
                <BoardCard
                  key={board.id}
                  board={board}
                  view={view}
                  href={boardPagePath(board.id)}
                  thumbnailSrc={board.thumbnailUrl ? api.resolve(board.thumbnailUrl) : null}
                  newBoardToken={newToken}
                  now={now}
                  actions={actions}
                  actionable={!offline}
                />
              ))}
            </ul>
            {list.cursor && !offline && (
              <button type="button" className="scrawl-button scrawl-boards__more" onClick={list.loadMore} disabled={list.loadingMore} data-testid="load-more">
                {list.loadingMore ? 'Loading…' : 'Load more'}
              </button>
            )}
          </>
        )}
      </main>
    </div>
  )
}

const EMPTY_VIEW_TEXT: Record<BoardsView, string> = {
  recent: 'No boards yet.',
  starred: 'No starred boards. Star a board with ☆ on its card to keep it here.',
  templates: 'No templates yet. Any board becomes one with “Save as template” on its card.',
  trash: 'The trash is empty. Boards stay here for 30 days before they are deleted.',
}

/** What a first visitor sees: what Scrawl is, a big "New board", and the templates to start from. */
function EmptyState(props: { newHref: string; templates: BoardSummary[] | null; api: ReturnType<typeof createBoardsApi>; token: string | null; localOnly: boolean }) {
  return (
    <section className="scrawl-boards__empty" data-testid="boards-empty">
      <h1>Draw together, live.</h1>
      <p>
        Scrawl is a whiteboard for your team: everyone in a board sees strokes, notes and cursors as they happen, it keeps
        working offline, and every board stays on this server. Share a board by sharing its address.
      </p>
      {props.localOnly && <p>Boards you open in this browser will be listed here.</p>}
      <a className="scrawl-button scrawl-button--primary scrawl-button--big" href={props.newHref} data-testid="empty-new-board">
        New board
      </a>
      {props.templates && props.templates.length > 0 && (
        <>
          <h2>Or start from a template</h2>
          <TemplateList api={props.api} templates={props.templates} token={props.token} />
        </>
      )}
    </section>
  )
}

function errorMessage(error: BoardsApiError): string {
  switch (error.status) {
    case 0:
      return 'The server did not answer. Boards this browser opened are listed below; they open from this browser’s copy.'
    case 401:
      return 'This server needs a token to list boards: open this page from a link that carries one (…/?token=…).'
    case 403:
      return 'Your token does not allow listing these boards.'
    default:
      return `The boards could not be loaded (${error.status}: ${error.message}).`
  }
}

function matchesLocally(board: RecentBoard, q: string): boolean {
  return !q || board.title.toLowerCase().includes(q.toLowerCase())
}

/** A summary made from the local list alone (offline), so the same card can show it. */
function localSummary(board: RecentBoard): BoardSummary {
  const at = new Date(board.openedAt).toISOString()
  return {
    id: board.id, title: board.title, createdAt: at, updatedAt: at, shapeCount: 0, bytes: 0, lastEditors: [], excerpt: '',
    thumbnailUrl: null, deletedAt: null, template: false, starred: false,
  }
}

/** `value`, once it has stopped changing for `ms`. */
function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value)
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms)
    return () => clearTimeout(timer)
  }, [value, ms])
  return settled
}

/** Whether the system asks for dark colours (the boards page follows it, as the board's default theme does). */
function usePrefersDark(): boolean {
  const query = useMemo(() => window.matchMedia?.('(prefers-color-scheme: dark)'), [])
  const [dark, setDark] = useState(() => query?.matches ?? false)
  useEffect(() => {
    if (!query) return
    const onChange = () => setDark(query.matches)
    query.addEventListener('change', onChange)
    return () => query.removeEventListener('change', onChange)
  }, [query])
  return dark
}
