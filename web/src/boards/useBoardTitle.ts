import { useCallback, useSyncExternalStore } from 'react'
import type * as Y from 'yjs'
import { observeBoardTitle, readBoardTitle } from '../board/boardTitle.ts'

/** The board's live title (`meta.title`): re-renders when anyone renames it. '' while there is no doc or no title. */
export function useBoardTitle(doc: Y.Doc | null | undefined): string {
  const subscribe = useCallback((onChange: () => void) => (doc ? observeBoardTitle(doc, onChange) : () => {}), [doc])
  return useSyncExternalStore(subscribe, () => (doc ? readBoardTitle(doc) : ''))
}
