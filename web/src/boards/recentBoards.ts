/**
 * The boards this browser opened, newest first, in localStorage. The board menu's "recent boards"
 * reads it in every mode, and with `BOARD_LIST=off` it is the whole boards page: a public server
 * where a board's id is its secret lists nothing, so only this browser knows which boards it has seen.
 */

/** One opened board. */
export interface RecentBoard {
  id: string
  /** When this browser last opened it, ms since the epoch. */
  openedAt: number
  /** The title it had when last seen here ('' untitled), so menus can name it without asking the server. */
  title: string
}

/** The localStorage key. */
export const RECENT_BOARDS_KEY = 'scrawl.recentBoards'

/** How many boards are remembered; the oldest fall off (also the server's `ids=` limit). */
export const RECENT_BOARDS_CAP = 200

const ROOM_ID = /^[A-Za-z0-9_-]{1,64}$/

/** Reads a stored list, keeping only well-formed entries (the value may come from an older app or a hand edit). */
export function parseRecentBoards(raw: string | null): RecentBoard[] {
  if (!raw) return []
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return []
  }
  if (!Array.isArray(value)) return []
  const seen = new Set<string>()
  const boards: RecentBoard[] = []
  for (const entry of value) {
    if (typeof entry !== 'object' || entry === null) continue
    const { id, openedAt, title } = entry as Record<string, unknown>
    if (typeof id !== 'string' || !ROOM_ID.test(id) || seen.has(id)) continue
    if (typeof openedAt !== 'number' || !Number.isFinite(openedAt)) continue
    seen.add(id)
    boards.push({ id, openedAt, title: typeof title === 'string' ? title : '' })
  }
  return boards.sort((a, b) => b.openedAt - a.openedAt).slice(0, RECENT_BOARDS_CAP)
}

/** `boards` with `id` opened at `now`: moved (or added) to the front, capped. A known title is kept unless one is given. */
export function withBoardOpened(boards: readonly RecentBoard[], id: string, now: number, title?: string): RecentBoard[] {
  const previous = boards.find((board) => board.id === id)
  const entry: RecentBoard = { id, openedAt: now, title: title ?? previous?.title ?? '' }
  return [entry, ...boards.filter((board) => board.id !== id)].slice(0, RECENT_BOARDS_CAP)
}

/** `boards` with the title of `id` updated (in place: a rename is not an open). Unknown ids change nothing. */
export function withBoardTitle(boards: readonly RecentBoard[], id: string, title: string): RecentBoard[] {
  return boards.map((board) => (board.id === id && board.title !== title ? { ...board, title } : board))
}

/** `boards` without `id` (a board deleted for good). */
export function withoutBoard(boards: readonly RecentBoard[], id: string): RecentBoard[] {
  return boards.filter((board) => board.id !== id)
}

/** The list, read and written through a Storage. */
export interface RecentBoardsStore {
  /** Newest first. */
  list(): RecentBoard[]
  noteOpened(id: string, title?: string): void
  noteTitle(id: string, title: string): void
  forget(id: string): void
}

/** A store over `storage` (default: localStorage; none where the browser blocks it, then nothing is kept). */
export function createRecentBoardsStore(
  storage: Pick<Storage, 'getItem' | 'setItem'> | null = defaultStorage(),
  now: () => number = Date.now,
): RecentBoardsStore {
  const read = () => {
    try {
      return parseRecentBoards(storage?.getItem(RECENT_BOARDS_KEY) ?? null)
    } catch {
      return []
    }
  }
  const write = (boards: RecentBoard[]) => {
    try {
      storage?.setItem(RECENT_BOARDS_KEY, JSON.stringify(boards))
    } catch {
      // Quota or blocked storage: the list is a convenience, the board works without it.
    }
  }
  return {
    list: read,
    noteOpened: (id, title) => write(withBoardOpened(read(), id, now(), title)),
    noteTitle(id, title) {
      const before = read()
      const after = withBoardTitle(before, id, title)
      if (after.some((board, i) => board !== before[i])) write(after)
    },
    forget: (id) => write(withoutBoard(read(), id)),
  }
}

function defaultStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage
  } catch {
    // Accessing localStorage throws where the browser blocks storage.
    return null
  }
}
