import * as Y from 'yjs'
import { MAX_TITLE_LENGTH, TITLE_KEY, metaMap } from './docLayout.ts'

/** What a board without a title is called wherever a name must be shown. */
export const UNTITLED_BOARD = 'Untitled board'

/** The board's title from its document; '' when it has none (or a foreign writer stored something else). */
export function readBoardTitle(doc: Y.Doc): string {
  const value = metaMap(doc).get(TITLE_KEY)
  return typeof value === 'string' ? value.slice(0, MAX_TITLE_LENGTH) : ''
}

/**
 * A title as it will be stored: whitespace runs (newlines included) become one space, the ends are
 * trimmed, and it is cut to {@link MAX_TITLE_LENGTH} characters (without splitting a surrogate pair).
 */
export function normalizeBoardTitle(title: string): string {
  const flat = title.replace(/\s+/g, ' ').trim()
  if (flat.length <= MAX_TITLE_LENGTH) return flat
  const cut = flat.slice(0, MAX_TITLE_LENGTH)
  // A lone high surrogate at the end would be half an emoji: drop it.
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut
}

/**
 * Renames the board by writing `meta.title` in its document: the change syncs like any edit, so it
 * works offline and everyone in the board sees it. Writes nothing when the title is unchanged.
 * Returns the stored title.
 */
export function writeBoardTitle(doc: Y.Doc, title: string): string {
  const next = normalizeBoardTitle(title)
  if (readBoardTitle(doc) === next) return next
  doc.transact(() => metaMap(doc).set(TITLE_KEY, next), { scrawl: 'rename' })
  return next
}

/** Calls `onTitle` with the current title whenever it changes (local or remote); returns the unsubscribe. */
export function observeBoardTitle(doc: Y.Doc, onTitle: (title: string) => void): () => void {
  const meta = metaMap(doc)
  const onChange = (event: Y.YMapEvent<unknown>) => {
    if (event.keysChanged.has(TITLE_KEY)) onTitle(readBoardTitle(doc))
  }
  meta.observe(onChange)
  return () => meta.unobserve(onChange)
}

/** What the browser tab says for a board: "Sprint retro · Scrawl". */
export function tabTitleFor(title: string): string {
  return `${title || UNTITLED_BOARD} · Scrawl`
}
