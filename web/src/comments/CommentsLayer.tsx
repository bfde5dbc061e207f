import { useEffect, useMemo, useRef, useState } from 'react'
import { useEditor, useValue, type TLShape } from 'tldraw'
import type * as Y from 'yjs'
import { detachThreadsFromShapes, isThreadVisible, moveThread, type CommentThread } from '../board/comments.ts'
import type { Point } from '../board/commentsAnchor.ts'
import { createUnreadTracker, type SeenStorage } from '../board/commentsUnread.ts'
import { CommentsPanel } from './CommentsPanel.tsx'
import { commentIdFromUrl, commentLink } from './deepLink.ts'
import { anchorForClick, moveCameraToThread, threadPageId, threadPagePoint } from './editorPins.ts'
import { useCommentAuthor } from './identity.ts'
import { ThreadPopover, type CommentDraft } from './ThreadPopover.tsx'
import { useThreads } from './useThreads.ts'
import './comments.css'

/** Props of {@link CommentsLayer}. */
export interface CommentsLayerProps {
  /** The board's document, where the threads live (board/comments.ts). */
  doc: Y.Doc
  room: string
  /** Origin of the Scrawl server ('' = this page's): for `/api/me` and the links "Copy link" makes. */
  serverUrl: string
  /** Open the thread a `?comment=ID` in the page's address names (the full app; not a host page's component). */
  deepLinks: boolean
}

type Open = { kind: 'thread'; id: string } | { kind: 'draft'; draft: CommentDraft } | null

const POPOVER_WIDTH_PX = 300
const POPOVER_HEIGHT_PX = 340
/** How far (screen pixels) a pressed pin must move to be dragged rather than clicked. */
const DRAG_THRESHOLD_PX = 4

/** A pin being pressed or dragged: where the press started, and how far it has moved (screen pixels). */
interface PinDrag {
  thread: CommentThread
  pointerId: number
  start: Point
  moved: Point
  dragging: boolean
}

/**
 * Scrawl's comments on a board, drawn over the canvas (a child of `<Tldraw>`): the Comment and Comments buttons
 * (with the unread count), the pins (following the camera and the shapes they sit on), the open thread beside its
 * pin, the comments panel, and `?comment=ID` deep links. Deleting a shape here moves its threads' pins to where the
 * shape was (board/comments.ts, detachThreadsFromShapes). Scrawl's own UI: tldraw's commenting components need a
 * separate licence.
 */
export function CommentsLayer({ doc, room, serverUrl, deepLinks }: CommentsLayerProps) {
  const editor = useEditor()
  const threads = useThreads(doc)
  const { author, myIds } = useCommentAuthor(editor, serverUrl)
  const readonly = useValue('comments readonly', () => editor.getIsReadonly(), [editor])
  const [open, setOpen] = useState<Open>(null)
  const [placing, setPlacing] = useState(false)
  const [panelOpen, setPanelOpen] = useState(false)
  const [seenVersion, setSeenVersion] = useState(0)
  const [drag, setDrag] = useState<PinDrag | null>(null)
  // The click that ends a drag must not open the thread.
  const draggedRef = useRef(false)

  const myIdsRef = useRef(myIds)
  myIdsRef.current = myIds
  const tracker = useMemo(() => createUnreadTracker(room, browserStorage(), () => myIdsRef.current), [room])
  const visible = useMemo(() => threads.filter(isThreadVisible), [threads])
  const openThread = open?.kind === 'thread' ? (visible.find((t) => t.id === open.id) ?? null) : null

  // A thread on screen is read: mark what it shows now (again as replies arrive while it is open).
  useEffect(() => {
    if (!openThread) return
    tracker.markSeen(openThread)
    setSeenVersion((v) => v + 1)
  }, [openThread, tracker])
  const unreadByThread = useMemo(() => {
    void seenVersion
    return new Map(visible.map((t) => [t.id, tracker.count(t)]))
  }, [visible, tracker, seenVersion, myIds])
  const unread = (thread: CommentThread) => unreadByThread.get(thread.id) ?? 0
  const totalUnread = visible.reduce((sum, t) => sum + (t.resolved ? 0 : unread(t)), 0)

  useDetachOnShapeDeletion(doc, threads)
  useDeepLink(deepLinks, visible, (thread) => jump(thread))

  function jump(thread: CommentThread) {
    moveCameraToThread(editor, thread)
    setOpen({ kind: 'thread', id: thread.id })
  }

  // Pins of the current page, in the container's pixels: re-computed as the camera or a pinned shape moves.
  const pinned = useMemo(() => visible.filter((t) => !t.resolved || t.id === openThread?.id), [visible, openThread])
  const pins = useValue(
    'comment pins',
    () => {
      const pageId = editor.getCurrentPageId()
      return pinned
        .filter((t) => threadPageId(editor, t) === pageId)
        .map((t) => ({ thread: t, at: editor.pageToViewport(threadPagePoint(editor, t.anchor)) }))
    },
    [editor, pinned],
  )
  const draftAt = useValue(
    'comment draft pin',
    () => (open?.kind === 'draft' && open.draft.pageId === editor.getCurrentPageId() ? editor.pageToViewport(threadPagePoint(editor, open.draft.anchor)) : null),
    [editor, open],
  )
  const viewport = useValue('comments viewport', () => editor.getViewportScreenBounds(), [editor])
  const popoverAt = openThread ? (pins.find((p) => p.thread.id === openThread.id)?.at ?? null) : draftAt

  // Placing a pin: the next click on the board drops it; Escape gives up.
  useEffect(() => {
    if (!placing) return
    const onKey = (event: KeyboardEvent) => event.key === 'Escape' && setPlacing(false)
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [placing])
  const place = (event: React.PointerEvent) => {
    event.stopPropagation()
    const pagePoint = editor.screenToPage({ x: event.clientX, y: event.clientY })
    setPlacing(false)
    setOpen({ kind: 'draft', draft: { anchor: anchorForClick(editor, pagePoint), pageId: editor.getCurrentPageId() } })
  }

  // Dragging a pin moves the thread: onto the shape under its tip, or onto the page (anyone who may edit).
  const pressPin = (event: React.PointerEvent<HTMLButtonElement>, thread: CommentThread) => {
    event.stopPropagation()
    if (readonly || event.button !== 0) return
    event.currentTarget.setPointerCapture(event.pointerId)
    draggedRef.current = false
    setDrag({ thread, pointerId: event.pointerId, start: { x: event.clientX, y: event.clientY }, moved: { x: 0, y: 0 }, dragging: false })
  }
  const movePin = (event: React.PointerEvent) => {
    if (!drag || event.pointerId !== drag.pointerId) return
    const moved = { x: event.clientX - drag.start.x, y: event.clientY - drag.start.y }
    setDrag({ ...drag, moved, dragging: drag.dragging || Math.hypot(moved.x, moved.y) >= DRAG_THRESHOLD_PX })
  }
  const dropPin = (event: React.PointerEvent) => {
    if (!drag || event.pointerId !== drag.pointerId) return
    setDrag(null)
    if (!drag.dragging) return
    draggedRef.current = true
    // The spot the pin marks (its tip), moved as far as the pointer moved.
    const from = threadPagePoint(editor, drag.thread.anchor)
    const zoom = editor.getZoomLevel()
    const tip = { x: from.x + (event.clientX - drag.start.x) / zoom, y: from.y + (event.clientY - drag.start.y) / zoom }
    moveThread(doc, drag.thread.id, { pageId: editor.getCurrentPageId(), anchor: anchorForClick(editor, tip) })
  }

  const origin = serverUrl || window.location.origin
  return (
    <div className="scrawl-comments" data-testid="comments-layer">
      {pins.map(({ thread, at }) => {
        const moved = drag?.dragging && drag.thread.id === thread.id ? drag.moved : { x: 0, y: 0 }
        return (
          <button
            key={thread.id}
            className="scrawl-comment-pin"
            data-testid="comment-pin"
            data-thread-id={thread.id}
            data-unread={unread(thread) > 0 ? 'true' : undefined}
            data-resolved={thread.resolved ? 'true' : undefined}
            data-dragging={moved.x || moved.y ? 'true' : undefined}
            aria-label={`Comment by ${thread.createdBy.name}`}
            title={readonly ? undefined : 'Click to open; drag to move'}
            style={{ left: at.x + moved.x, top: at.y + moved.y }}
            onPointerDown={(event) => pressPin(event, thread)}
            onPointerMove={movePin}
            onPointerUp={dropPin}
            onPointerCancel={() => setDrag(null)}
            onClick={() => {
              if (draggedRef.current) {
                draggedRef.current = false
                return
              }
              setOpen(openThread?.id === thread.id ? null : { kind: 'thread', id: thread.id })
            }}
          >
            {initial(thread.createdBy.name)}
          </button>
        )
      })}
      {draftAt && <span className="scrawl-comment-pin scrawl-comment-pin--draft" style={{ left: draftAt.x, top: draftAt.y }} />}
      {placing && <div className="scrawl-comments-placing" data-testid="comment-placing" onPointerDown={place} />}
      {popoverAt && (openThread || open?.kind === 'draft') && (
        <ThreadPopover
          doc={doc}
          thread={openThread}
          draft={open?.kind === 'draft' ? open.draft : null}
          author={author}
          readonly={readonly}
          link={openThread ? commentLink(origin, room, openThread.id) : null}
          position={popoverPosition(popoverAt, viewport)}
          onCreated={(id) => setOpen({ kind: 'thread', id })}
          onClose={() => setOpen(null)}
        />
      )}
      <div className="scrawl-comments-buttons" onPointerDown={(event) => event.stopPropagation()}>
        {!readonly && (
          <button
            data-testid="comment-tool"
            aria-pressed={placing}
            title="Add a comment: click a shape or a spot on the board"
            onClick={() => {
              setPlacing(!placing)
              setOpen(null)
            }}
          >
            Comment
          </button>
        )}
        <button data-testid="comments-panel-toggle" aria-pressed={panelOpen} onClick={() => setPanelOpen(!panelOpen)}>
          Comments
          {totalUnread > 0 && <span className="scrawl-comments-badge" data-testid="comments-unread">{totalUnread}</span>}
        </button>
      </div>
      {panelOpen && (
        <CommentsPanel
          threads={visible}
          unread={unread}
          pageName={(id) => editor.getPages().find((p) => p.id === id)?.name ?? null}
          onJump={jump}
          onClose={() => setPanelOpen(false)}
        />
      )}
    </div>
  )
}

/**
 * Threads pinned to a shape this person deletes move to where the shape was (and back onto it if the deletion is
 * undone). Only local deletions: a remote one is handled by the client that made it.
 */
function useDetachOnShapeDeletion(doc: Y.Doc, threads: CommentThread[]) {
  const editor = useEditor()
  const threadsRef = useRef(threads)
  threadsRef.current = threads
  useEffect(() => {
    let lastPoints = new Map<string, Point>()
    let deleted = new Set<string>()
    const flush = () => {
      const [ids, points] = [deleted, lastPoints]
      deleted = new Set()
      lastPoints = new Map()
      detachThreadsFromShapes(doc, ids, (threadId, anchor) => points.get(threadId) ?? threadPagePoint(editor, anchor))
    }
    return editor.sideEffects.registerBeforeDeleteHandler('shape', (shape: TLShape, source) => {
      if (source !== 'user') return
      const pinnedHere = threadsRef.current.filter((t) => t.anchor.type === 'shape' && t.anchor.shapeId === shape.id)
      if (pinnedHere.length === 0) return
      // While the shape still exists: where its pins are now.
      for (const thread of pinnedHere) lastPoints.set(thread.id, threadPagePoint(editor, thread.anchor))
      if (deleted.size === 0) queueMicrotask(flush)
      deleted.add(shape.id)
    })
  }, [editor, doc])
}

/** Opens the thread a `?comment=ID` names, once it is in the document (it may arrive with the first sync). */
function useDeepLink(enabled: boolean, threads: CommentThread[], jump: (thread: CommentThread) => void) {
  const wanted = useRef(enabled ? commentIdFromUrl(window.location.href) : null)
  const jumpRef = useRef(jump)
  jumpRef.current = jump
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  useEffect(() => () => clearTimeout(timer.current), [])
  useEffect(() => {
    const thread = wanted.current ? threads.find((t) => t.id === wanted.current) : undefined
    if (!thread) return
    wanted.current = null
    // After the editor has measured its viewport (on the first frames), so that centring is right.
    timer.current = setTimeout(() => jumpRef.current(thread), 60)
  }, [threads])
}

function popoverPosition(at: Point, viewport: { w: number; h: number }): { left: number; top: number } {
  const left = Math.max(8, Math.min(at.x + 18, viewport.w - POPOVER_WIDTH_PX - 8))
  const top = Math.max(8, Math.min(at.y - 12, viewport.h - POPOVER_HEIGHT_PX - 8))
  return { left, top }
}

function initial(name: string): string {
  return (name.trim()[0] ?? '?').toUpperCase()
}

/** localStorage, or null where it is unavailable (some private modes throw on access). */
function browserStorage(): SeenStorage | null {
  try {
    return window.localStorage
  } catch {
    return null
  }
}
