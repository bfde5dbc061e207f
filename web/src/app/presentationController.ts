import { atom, computed, type Signal } from '@tldraw/state'
import type { Editor, TLShapeId, TLUserId } from 'tldraw'
import type { AwarenessLike } from '../board/presence.ts'
import {
  findPresenter,
  isPresentingState,
  PRESENTING_FIELD,
  slideLabel,
  slideOrder,
  stepSlide,
  type Presenter,
  type PresentingState,
} from '../board/presentation.ts'
import type { FrameBox } from '../board/boardFiles.ts'

/** What the presentation bar shows. */
export interface PresentationView {
  /** Who presents (possibly us), or null. */
  presenter: Presenter | null
  /** We are the presenter. */
  presenting: boolean
  /** Our camera follows the presenter (false after Leave, or when we pan away). */
  following: boolean
  /** "2 / 5" while presenting frames, else ''. */
  slideLabel: string
  /** How many frames the current page has: the presenter's next/previous need at least one. */
  slideCount: number
}

/** Present, follow and leave, for one board tab. */
export interface PresentationController {
  view: Signal<PresentationView>
  /** Everyone in the room starts following us. */
  start(): void
  /** Ends our presentation; followers are released. */
  stop(): void
  /** Presenter: move to the next / previous frame in reading order. */
  next(): void
  previous(): void
  /** Follower: stop following this presentation (it will not pull us back until a new one starts). */
  leave(): void
  /** Follower: follow the presentation again after leaving it. */
  rejoin(): void
  dispose(): void
}

/** The part of tldraw's Editor a presentation uses (tests pass a stand-in). */
export type PresentationEditor = Pick<
  Editor,
  'getInstanceState' | 'startFollowingUser' | 'stopFollowingUser' | 'getCurrentPageShapes' | 'getShapePageBounds' | 'zoomToBounds' | 'getEditingShapeId'
>

/** Where the presenter's arrow keys are heard: the window in the app. */
export type KeyEventTarget = Pick<Window, 'addEventListener' | 'removeEventListener'>

/** Room around a frame when the presenter moves to it, in screen pixels, so its edges are not flush with the window. */
const SLIDE_INSET_PX = 32
/** Short enough to feel like a slide change, long enough that followers see where the next slide is. */
const SLIDE_ANIMATION_MS = 300

/**
 * Presentations over awareness and tldraw's own follow. The presenter puts {@link PRESENTING_FIELD} in their awareness
 * state; every other tab sees it (now or when it joins late) and calls `editor.startFollowingUser` on the presenter, so
 * the camera chase, page switching and the "following" viewport outline are tldraw's. Each presentation is followed
 * once: leaving it (or panning away, which makes tldraw stop following) is respected until a new one starts. When the
 * presenter stops or their tab goes away, whoever still follows them is released.
 */
export function mountPresentation(
  editor: PresentationEditor,
  awareness: AwarenessLike,
  keys: KeyEventTarget | null = typeof window === 'undefined' ? null : window,
): PresentationController {
  const $presenter = atom<Presenter | null>('scrawl.presenter', null, {
    isEqual: (a, b) => a?.key === b?.key && a?.slide === b?.slide && a?.userName === b?.userName && a?.userId === b?.userId,
  })
  const $mine = atom<PresentingState | null>('scrawl.presenting', null)
  // The presentation this tab already joined (or decided to stay out of), and the user it followed for it.
  let handledKey: string | null = null
  let followedUserId: string | null = null

  const publish = (state: PresentingState | null) => {
    $mine.set(state)
    awareness.setLocalStateField(PRESENTING_FIELD, state)
  }

  const followingUserId = () => editor.getInstanceState().followingUserId
  const release = () => {
    if (followedUserId !== null && followingUserId() === followedUserId) editor.stopFollowingUser()
    followedUserId = null
  }

  const refresh = () => {
    const states = awareness.getStates()
    const mine = $mine.get()
    if (mine && states.has(awareness.clientID) && !isPresentingState(states.get(awareness.clientID)?.[PRESENTING_FIELD])) {
      // Our awareness state was replaced wholesale (back from the back/forward cache, mountBoard announces the
      // presence alone): still presenting, so say so again, outside this awareness event.
      queueMicrotask(() => {
        if ($mine.get() === mine) awareness.setLocalStateField(PRESENTING_FIELD, mine)
      })
    }
    const presenter = findPresenter(states)
    $presenter.set(presenter)
    if (presenter && presenter.clientId !== awareness.clientID && $mine.get()) {
      // Someone pressed Present after us: theirs takes over the room, ours ends (outside this awareness event).
      queueMicrotask(() => publish(null))
    }
    if (!presenter || presenter.clientId === awareness.clientID) {
      release()
      handledKey = null
      return
    }
    if (presenter.key === handledKey) return
    if (followedUserId !== presenter.userId) release()
    if (followingUserId() !== presenter.userId) editor.startFollowingUser(presenter.userId as TLUserId)
    // tldraw follows only someone whose presence record it has; if it is not there yet, the next change retries.
    if (followingUserId() === presenter.userId) {
      handledKey = presenter.key
      followedUserId = presenter.userId
    }
  }
  awareness.on('change', refresh)
  refresh()

  const frames = (): FrameBox[] =>
    editor
      .getCurrentPageShapes()
      .filter((shape) => shape.type === 'frame')
      .flatMap((shape) => {
        const bounds = editor.getShapePageBounds(shape)
        return bounds ? [{ id: shape.id, x: bounds.x, y: bounds.y, w: bounds.w, h: bounds.h }] : []
      })

  const go = (step: 1 | -1) => {
    const mine = $mine.get()
    if (!mine) return
    const target = stepSlide(slideOrder(frames()), mine.slide, step)
    const bounds = target ? editor.getShapePageBounds(target as TLShapeId) : undefined
    if (!target || !bounds) return
    editor.zoomToBounds(bounds, { inset: SLIDE_INSET_PX, animation: { duration: SLIDE_ANIMATION_MS } })
    publish({ ...mine, slide: target })
  }

  // Arrow keys and Page Up/Down step through slides while presenting (as in slide software), taken before tldraw
  // would nudge the selection; typing in a label or a field keeps its keys.
  const onKeyDown = (event: KeyboardEvent) => {
    if (!$mine.get() || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return
    const step = event.key === 'ArrowRight' || event.key === 'PageDown' ? 1 : event.key === 'ArrowLeft' || event.key === 'PageUp' ? -1 : 0
    if (step === 0 || editor.getEditingShapeId() !== null) return
    const target = event.target as HTMLElement | null
    if (target?.closest?.('input, textarea, select, [contenteditable="true"]')) return
    event.preventDefault()
    event.stopPropagation()
    go(step)
  }
  keys?.addEventListener('keydown', onKeyDown, { capture: true })

  const view = computed<PresentationView>('scrawl.presentation', () => {
    const presenter = $presenter.get()
    const mine = $mine.get()
    const order = mine ? slideOrder(frames()) : []
    return {
      presenter,
      presenting: mine !== null && presenter?.clientId === awareness.clientID,
      following: presenter !== null && editor.getInstanceState().followingUserId === presenter.userId,
      slideLabel: mine ? slideLabel(order, mine.slide) : '',
      slideCount: order.length,
    }
  })

  return {
    view,
    start() {
      if (followingUserId() !== null) editor.stopFollowingUser()
      publish({ since: Date.now(), slide: null })
    },
    stop: () => publish(null),
    next: () => go(1),
    previous: () => go(-1),
    leave() {
      const presenter = $presenter.get()
      if (presenter) handledKey = presenter.key
      release()
      if (presenter && followingUserId() === presenter.userId) editor.stopFollowingUser()
    },
    rejoin() {
      const presenter = $presenter.get()
      if (!presenter || presenter.clientId === awareness.clientID) return
      editor.startFollowingUser(presenter.userId as TLUserId)
      if (followingUserId() === presenter.userId) {
        handledKey = presenter.key
        followedUserId = presenter.userId
      }
    },
    dispose() {
      keys?.removeEventListener('keydown', onKeyDown, { capture: true })
      awareness.off('change', refresh)
      if ($mine.get()) publish(null)
      release()
    },
  }
}
