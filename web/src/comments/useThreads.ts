import { useSyncExternalStore } from 'react'
import type * as Y from 'yjs'
import { commentsMap, readThreads, type CommentThread } from '../board/comments.ts'

/**
 * The board's comment threads (deleted ones included), re-read whenever anything in the `comments` map changes,
 * by anyone. Reading every thread on each change is cheap next to drawing them: boards have tens of threads, not
 * thousands.
 */
export function useThreads(doc: Y.Doc): CommentThread[] {
  return useSyncExternalStore(
    (onChange) => subscribe(doc, onChange),
    () => snapshot(doc),
  )
}

// One cached snapshot per document, replaced on change: useSyncExternalStore needs a stable value between changes.
const snapshots = new WeakMap<Y.Doc, CommentThread[]>()

function snapshot(doc: Y.Doc): CommentThread[] {
  let threads = snapshots.get(doc)
  if (!threads) {
    threads = readThreads(doc)
    snapshots.set(doc, threads)
  }
  return threads
}

function subscribe(doc: Y.Doc, onChange: () => void): () => void {
  const map = commentsMap(doc)
  const observer = () => {
    snapshots.delete(doc)
    onChange()
  }
  map.observeDeep(observer)
  return () => map.unobserveDeep(observer)
}
