import { COMMENT_ID_PATTERN } from '../board/comments.ts'

/** The query parameter that opens a board with one comment thread open and in view: `/b/:room?comment=ID`. */
export const COMMENT_PARAM = 'comment'

/** The thread id a page address asks for, or null. */
export function commentIdFromUrl(href: string): string | null {
  const id = URL.parse(href)?.searchParams.get(COMMENT_PARAM) ?? null
  return id !== null && COMMENT_ID_PATTERN.test(id) ? id : null
}

/**
 * The link to a thread: the board's own address on `origin` with `?comment=ID`. Never the current page's query: a
 * `?token=` there is this person's access, not something to hand on with a link.
 */
export function commentLink(origin: string, room: string, threadId: string): string {
  return `${origin.replace(/\/+$/, '')}/b/${encodeURIComponent(room)}?${COMMENT_PARAM}=${encodeURIComponent(threadId)}`
}
