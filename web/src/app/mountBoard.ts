import { computed, createPresenceStateDerivation, react, UserRecordType, type Editor } from 'tldraw'
import { PRESENCE_FIELD, syncPresence } from '../board/presence.ts'
import type { RoomBoard } from './useRoomBoard.ts'
import type { ThumbnailHook } from '../boards/thumbnails.ts'

/** What the e2e tests (and curious developers) find on `window.__scrawl`. */
export interface ScrawlTestHook {
  room: string
  editor: Editor
  store: RoomBoard['store']
  doc: RoomBoard['connection']['doc']
  provider: RoomBoard['connection']['provider']
  binding: RoomBoard['binding']
  /** Current connection status (state, unsyncedChanges, readonly). */
  status(): ReturnType<RoomBoard['connection']['status']['get']>
  /** The thumbnailer (BoardPage adds it): render now, and what was rendered so far. */
  thumbnails?: ThumbnailHook
}

declare global {
  interface Window {
    __scrawl?: ScrawlTestHook
  }
}

/** Options of {@link mountBoard}. */
export interface MountBoardOptions {
  /** Read-only whatever the connection grants (a view-only link). */
  forceReadonly: boolean
  /** Sign-in mode: the person's avatar URL, sent in presence (`meta.picture`) for others' cursors; null for none. */
  picture?: string | null
}

/**
 * Everything that needs the editor: undo that respects others' edits, presence, read-only mode,
 * and clean-up when the tab goes away. Returns the teardown.
 */
export function mountBoard(editor: Editor, board: RoomBoard, options: MountBoardOptions): () => void {
  const { store, binding, connection, room } = board
  const { provider } = connection

  // tldraw's history holds only this user's changes; replaying it through the binding keeps what
  // others did in the meantime (see StoreDocBinding.runAsHistoryReplay).
  const undo = editor.undo.bind(editor)
  const redo = editor.redo.bind(editor)
  editor.undo = () => {
    binding.runAsHistoryReplay(undo)
    return editor
  }
  editor.redo = () => {
    binding.runAsHistoryReplay(redo)
    return editor
  }

  const $user = computed('scrawl.user', () =>
    UserRecordType.create({ id: editor.user.getRecordId(), name: editor.user.getName(), color: editor.user.getColor() }),
  )
  const picture = options.picture ?? null
  const userPresence = createPresenceStateDerivation($user)(store)
  // The avatar rides in the presence record's meta, which tldraw leaves to apps (docs/document-schema.md).
  const localPresence = picture
    ? computed('scrawl.presence', () => {
        const presence = userPresence.get()
        return presence && { ...presence, meta: { ...presence.meta, picture } }
      })
    : userPresence
  const stopPresence = provider.awareness
    ? syncPresence({ store, awareness: provider.awareness, localPresence })
    : () => {}

  const stopReadonly = react('scrawl.readonly', () => {
    const isReadonly = options.forceReadonly || connection.status.get().readonly || binding.state.get().kind !== 'ready'
    if (editor.getInstanceState().isReadonly !== isReadonly) editor.updateInstanceState({ isReadonly })
  })

  // A closing tab drops its cursor for everyone now rather than when the socket times out.
  const onPageHide = () => {
    binding.flush()
    provider.awareness?.setLocalState(null)
  }
  // Back from the back/forward cache: announce ourselves again.
  const onPageShow = (event: PageTransitionEvent) => {
    if (event.persisted) provider.awareness?.setLocalState({ [PRESENCE_FIELD]: localPresence.get() })
  }
  window.addEventListener('pagehide', onPageHide)
  window.addEventListener('pageshow', onPageShow)

  window.__scrawl = { room, editor, store, doc: connection.doc, provider, binding, status: () => connection.status.get() }

  return () => {
    window.removeEventListener('pagehide', onPageHide)
    window.removeEventListener('pageshow', onPageShow)
    stopReadonly()
    stopPresence()
    if (window.__scrawl?.editor === editor) delete window.__scrawl
  }
}
