import { useCallback, useEffect, useRef, useState } from 'react'
import { BoardsApiError, type BoardListQuery, type BoardsApi, type BoardSummary, type BoardsView } from './boardsApi.ts'

/** Boards per page: enough to fill a large screen, small enough to answer fast with 10,000 boards. */
export const PAGE_SIZE = 48

/** What the page shows of one list. */
export interface BoardListState {
  boards: BoardSummary[]
  /** Where the next page starts; null when this is all. */
  cursor: string | null
  /** The first page is on its way. */
  loading: boolean
  loadingMore: boolean
  error: BoardsApiError | null
}

/** A list plus what the page does to it. */
export interface BoardList extends BoardListState {
  loadMore(): void
  /** Puts a changed summary in place (or drops it when it no longer belongs to this view). */
  replace(summary: BoardSummary): void
  /** Adds a board at the top (a duplicate just made). */
  prepend(summary: BoardSummary): void
  remove(id: string): void
  /** Fetches the first page again. */
  reload(): void
}

/** Options of {@link useBoardList}. */
export interface UseBoardListOptions {
  api: BoardsApi
  view: BoardsView
  /** Search text, already debounced; '' lists without searching. */
  q: string
  /** Only these boards (`BOARD_LIST=off`), or null for every board the server shows. */
  ids: readonly string[] | null
  /** False until the page knows the server's config. */
  enabled: boolean
}

const EMPTY: BoardListState = { boards: [], cursor: null, loading: true, loadingMore: false, error: null }

/**
 * One list of boards from `GET /api/boards`, refetched when the view, the search or the ids change.
 * An answer to an older query is dropped (typing fast must not show the results of a stale prefix).
 */
export function useBoardList({ api, view, q, ids, enabled }: UseBoardListOptions): BoardList {
  const [state, setState] = useState<BoardListState>(EMPTY)
  const [generation, setGeneration] = useState(0)
  const idsKey = ids ? ids.join(',') : null
  const query = useRef<BoardListQuery>({})

  useEffect(() => {
    if (!enabled) return
    const controller = new AbortController()
    const next: BoardListQuery = { view, q, limit: PAGE_SIZE, ids: idsKey === null ? undefined : idsKey ? idsKey.split(',') : [] }
    query.current = next
    setState((s) => ({ ...s, loading: true, error: null }))
    api.list(next, controller.signal).then(
      (page) => setState({ boards: page.boards, cursor: page.cursor, loading: false, loadingMore: false, error: null }),
      (error: unknown) => {
        if (controller.signal.aborted) return
        setState({ ...EMPTY, loading: false, error: asApiError(error) })
      },
    )
    return () => controller.abort()
  }, [api, view, q, idsKey, enabled, generation])

  // The latest state, for loadMore (a fetch must not start inside a state updater).
  const current = useRef(state)
  current.current = state

  const loadMore = useCallback(() => {
    const asked = query.current
    const { cursor, loadingMore } = current.current
    if (!cursor || loadingMore) return
    setState((s) => ({ ...s, loadingMore: true }))
    api.list({ ...asked, cursor }).then(
      (page) =>
        setState((now) =>
          query.current !== asked
            ? now
            : {
                ...now,
                // A board edited between two pages moves to the top and could come again: keep one.
                boards: [...now.boards, ...page.boards.filter((b) => !now.boards.some((o) => o.id === b.id))],
                cursor: page.cursor,
                loadingMore: false,
              },
        ),
      (error: unknown) => setState((now) => ({ ...now, loadingMore: false, error: asApiError(error) })),
    )
  }, [api])

  const belongs = useCallback(
    (board: BoardSummary) => {
      if (view === 'trash') return board.deletedAt !== null
      if (board.deletedAt !== null) return false
      if (view === 'starred') return board.starred
      if (view === 'templates') return board.template
      return !board.template
    },
    [view],
  )

  return {
    ...state,
    loadMore,
    replace: (summary) =>
      setState((s) => ({
        ...s,
        boards: belongs(summary) ? s.boards.map((b) => (b.id === summary.id ? keepMatch(b, summary) : b)) : s.boards.filter((b) => b.id !== summary.id),
      })),
    prepend: (summary) => setState((s) => (belongs(summary) ? { ...s, boards: [summary, ...s.boards.filter((b) => b.id !== summary.id)] } : s)),
    remove: (id) => setState((s) => ({ ...s, boards: s.boards.filter((b) => b.id !== id) })),
    reload: () => setGeneration((g) => g + 1),
  }
}

/** A fresh summary that keeps the search match shown for it (an action's answer carries none). */
function keepMatch(shown: BoardSummary, fresh: BoardSummary): BoardSummary {
  if (!shown.highlights && !shown.titleHighlights) return fresh
  return {
    ...fresh,
    excerpt: shown.excerpt,
    highlights: shown.highlights,
    // A renamed title no longer has the matched offsets.
    titleHighlights: fresh.title === shown.title ? shown.titleHighlights : undefined,
  }
}

function asApiError(error: unknown): BoardsApiError {
  return error instanceof BoardsApiError ? error : new BoardsApiError(0, String((error as Error)?.message ?? error))
}
