import { useEffect, useMemo, useState } from 'react'
import { Tldraw, useValue, type Editor, type TLComponents, type TLCurrentUser, type TLUiAssetUrlOverrides } from 'tldraw'
import 'tldraw/tldraw.css'
import './board.css'
import type { ViewOnlyReason } from './access.ts'
import { BoardMenu } from './BoardMenu.tsx'
import { CommentsLayer } from '../comments/CommentsLayer.tsx'
import { lazyShapeUtils } from './lazyShapeUtils.tsx'
import { loadConfig, type AppConfig } from './config.ts'
import { mountEmbedBridge } from './embedMount.ts'
import { mountBoard } from './mountBoard.ts'
import { PresentationBar, PresentationContext } from './PresentationBar.tsx'
import { mountPresentation, type PresentationController } from './presentationController.ts'
import { createRoomApi } from './roomApi.ts'
import type { EmbedOptions } from './route.ts'
import { SharePopover } from './SharePopover.tsx'
import { StatusPanel, type OpenPanel } from './StatusPanel.tsx'
import { createTextCollaboration } from './textCollaboration.ts'
import { useRoomBoard } from './useRoomBoard.ts'
import { useAccessWatch } from '../people/useAccessWatch.ts'
import { createPresenceAvatars } from '../people/PresenceAvatars.tsx'
import { createCursorPictures } from '../people/cursorPictures.ts'
import { createBoardPeopleApi } from '../people/peopleApi.ts'
import { usePeople } from '../people/PeopleContext.ts'
import { VersionPanel } from './VersionPanel.tsx'
import { tabTitleFor } from '../board/boardTitle.ts'
import { BoardChromeContext, type BoardChrome } from '../boards/BoardsMenuGroup.tsx'
import { createBoardsApi } from '../boards/boardsApi.ts'
import { createRecentBoardsStore } from '../boards/recentBoards.ts'
import { PendingImport } from '../boards/PendingImport.tsx'
import { BoardFileDrop } from '../boards/BoardFileDrop.tsx'
import { mountThumbnails } from '../boards/thumbnails.ts'
import { useBoardTitle } from '../boards/useBoardTitle.ts'

/** Props of {@link BoardPage}. */
export interface BoardPageProps {
  room: string
  token: string | null
  /** Set for `/embed/:room`: no app chrome, options from the query. */
  embed: EmbedOptions | null
  /** Why the board is view-only (token, view link, embed option), or null. */
  viewOnly: ViewOnlyReason
  /** Origin of the Scrawl server; '' (default) is this page's origin. */
  serverUrl?: string
  /** tldraw's fonts, icons and translations; default: tldraw's CDN. The app passes its bundled copies. */
  assetUrls?: TLUiAssetUrlOverrides
  /** Allowed parent origins for the embed's postMessage API (`?parentOrigin=`). */
  parentOrigins?: string[]
  /** `'app'`: the full app (share, history, board menu); `'component'`: the React component (no JSON menu); embeds have none. */
  chrome?: 'app' | 'component'
  /** Show the share button (app and component). Default true. */
  share?: boolean
  /** The user's name and colour (the React component's `user`); default: tldraw's preferences in localStorage. */
  user?: TLCurrentUser
  /** `contained`: fill the parent element instead of the window (the React component). */
  contained?: boolean
  /** Called with the editor once mounted; may return a teardown. */
  onEditor?: (editor: Editor) => void | (() => void)
}

/** One board: `/b/:room`, `/embed/:room` for iframes, or the `<ScrawlBoard>` component. */
export function BoardPage(props: BoardPageProps) {
  const { room, token, embed, viewOnly, serverUrl = '', assetUrls, parentOrigins = [], chrome = 'app', share = true, user, contained = false, onEditor } = props
  const [config, setConfig] = useState<AppConfig | null>(null)
  useEffect(() => void loadConfig(serverUrl).then(setConfig), [serverUrl])
  const board = useRoomBoard(room, token, serverUrl)
  // Sign-in mode: access taken away while the board is open (no-access page, reconnect with a lowered role).
  useAccessWatch(board)
  const people = usePeople()
  // Sign-in mode: cursors and the people menu show the pictures the server vouches for (the board's people).
  const presenceAvatars = useMemo(
    () => (people?.room === room ? createPresenceAvatars(createCursorPictures(createBoardPeopleApi(room, { serverUrl }), people.me.person.picture)) : null),
    [people, room, serverUrl],
  )
  const bindingState = useValue('binding state', () => board?.binding.state.get(), [board])
  const readonlyGranted = useValue('granted readonly', () => board?.connection.status.get().readonly ?? false, [board])
  // A boolean, not the status: the status changes with every unsynced edit, and this page need not re-render for those.
  const inTrash = useValue('board in trash', () => {
    const status = board?.connection.status.get()
    return status?.state === 'denied' && /trash/i.test(status.deniedReason ?? '')
  }, [board])
  const [openPanel, setOpenPanel] = useState<OpenPanel>(null)
  const [presentation, setPresentation] = useState<PresentationController | null>(null)
  // Per-character label text: labels being edited are bound to their Y.XmlFragment.
  const textCollaboration = useMemo(() => (board ? createTextCollaboration(board.binding) : null), [board])
  const tldrawOptions = useMemo(() => (textCollaboration ? { text: textCollaboration.textOptions } : undefined), [textCollaboration])
  const api = useMemo(() => createRoomApi({ room, token, serverUrl }), [room, token, serverUrl])
  const effectiveViewOnly: ViewOnlyReason = viewOnly ?? (readonlyGranted ? 'token' : null)
  const boardsApi = useMemo(() => createBoardsApi({ token, serverUrl }), [token, serverUrl])
  const recent = useMemo(() => createRecentBoardsStore(), [])
  const title = useBoardTitle(board?.connection.doc)
  // The full app owns its tab and this browser's list of boards; an embed or a host app's component does not.
  const ownsPage = chrome === 'app' && !embed
  useEffect(() => {
    if (ownsPage && board) recent.noteOpened(room)
  }, [ownsPage, board, room, recent])
  useEffect(() => {
    if (!ownsPage || !board) return
    document.title = tabTitleFor(title)
    recent.noteTitle(room, title)
  }, [ownsPage, board, room, title, recent])
  const boardChrome = useMemo<BoardChrome | null>(
    () =>
      board
        ? { room, doc: board.connection.doc, title, api: boardsApi, recent, newBoardToken: config?.authRequired ? token : null }
        : null,
    [board, room, title, boardsApi, recent, config, token],
  )

  const components = useMemo<TLComponents>(
    () => ({
      ...(presenceAvatars ?? {}),
      ...(embed
        ? { SharePanel: null, MainMenu: null, PageMenu: null, HelpMenu: null, DebugMenu: null, DebugPanel: null }
        : {
            SharePanel: () =>
              board ? <StatusPanel board={board} viewOnly={effectiveViewOnly} setOpenPanel={setOpenPanel} share={share} /> : null,
            ...(chrome === 'app' ? { MainMenu: BoardMenu } : {}),
          }),
    }),
    [embed, board, effectiveViewOnly, share, chrome, presenceAvatars],
  )

  if (!board || !config) return <p className="scrawl-message">Opening board…</p>
  return (
    <div className={contained ? 'scrawl-board scrawl-board--contained' : 'scrawl-board'} data-view-only={effectiveViewOnly ?? undefined}>
      {inTrash && !embed && (
        <div className="scrawl-banner" role="alert" data-testid="board-in-trash">
          This board is in the trash. Restore it from the trash on <a href="/">All boards</a> to keep working on it.
        </div>
      )}
      {bindingState?.kind === 'needs-reload' && (
        <div className="scrawl-banner" role="alert" data-testid="needs-reload">
          {bindingState.reason} <button onClick={() => window.location.reload()}>Reload</button>
        </div>
      )}
      <BoardChromeContext.Provider value={boardChrome}>
        <PresentationContext.Provider value={presentation}>
          <Tldraw
            key={room}
            store={board.store}
            shapeUtils={lazyShapeUtils}
            licenseKey={config.tldrawLicenseKey ?? undefined}
            assetUrls={assetUrls}
            components={components}
            user={user}
            hideUi={embed?.minimalUi ?? false}
            colorScheme={embed?.theme ?? undefined}
            options={tldrawOptions}
            onMount={(editor) => {
              const unmountText = textCollaboration?.mount(editor) ?? (() => {})
              const unmountBoard = mountBoard(editor, board, { forceReadonly: viewOnly !== null, picture: people?.me.person.picture })
              const unmountBridge = embed ? mountEmbedBridge(editor, board, parentOrigins) : () => {}
              // Follow and present (not in embeds: a host page's embed should not be steered by someone presenting).
              const awareness = board.connection.provider.awareness
              const presentationController = !embed && awareness ? mountPresentation(editor, awareness) : null
              setPresentation(presentationController)
              const thumbnails = mountThumbnails(editor, board, { api: boardsApi, viewOnly: viewOnly !== null })
              if (window.__scrawl?.editor === editor) window.__scrawl.thumbnails = thumbnails.hook
              const unmountHost = onEditor?.(editor)
              return () => {
                unmountHost?.()
                presentationController?.dispose()
                setPresentation(null)
                thumbnails.stop()
                unmountBridge()
                unmountBoard()
                unmountText()
              }
            }}
          >
            {ownsPage && <PendingImport board={board} />}
            {!embed && <BoardFileDrop />}
            <PresentationBar />
            {!embed && <CommentsLayer doc={board.connection.doc} room={room} serverUrl={serverUrl} deepLinks={ownsPage} />}
          </Tldraw>
        </PresentationContext.Provider>
      </BoardChromeContext.Provider>
      {!embed && openPanel === 'share' && (
        <SharePopover api={api} authRequired={config.authRequired} viewOnly={effectiveViewOnly !== null} serverUrl={serverUrl} onClose={() => setOpenPanel(null)} />
      )}
      {!embed && openPanel === 'history' && (
        <VersionPanel
          api={api}
          readonly={effectiveViewOnly !== null}
          licenseKey={config.tldrawLicenseKey}
          assetUrls={assetUrls}
          onClose={() => setOpenPanel(null)}
        />
      )}
    </div>
  )
}
