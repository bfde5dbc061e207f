import { framesInReadingOrder, type FrameBox } from './boardFiles.ts'
import { PRESENCE_FIELD } from './presence.ts'

/**
 * Field of a presenter's awareness state saying "I am presenting". It lives in awareness, not in the board's Yjs
 * document, because a presentation belongs to the people in the room right now: it ends when the presenter's tab
 * goes away (their awareness state is removed), it never shows up in versions or backups, and a late joiner gets it
 * with everyone else's cursors.
 */
export const PRESENTING_FIELD = 'presenting'

/** The value of {@link PRESENTING_FIELD} while presenting; absent or null otherwise. */
export interface PresentingState {
  /**
   * When this presentation started (ms since the epoch). Together with the awareness client id it names one
   * presentation, so someone who left it is not pulled back in by the presenter's next camera move, yet does join
   * the presenter's next presentation.
   */
  since: number
  /** The frame (shape id) the presenter last moved to with next/previous, or null before the first. */
  slide: string | null
}

/** Someone presenting, as a follower needs to know them. */
export interface Presenter {
  clientId: number
  /** The presenter's tldraw user id (their `instance_presence.userId`): what `editor.startFollowingUser` takes. */
  userId: string
  userName: string
  color: string
  since: number
  slide: string | null
  /** `clientId:since`: one presentation. */
  key: string
}

/** True if `value` is a well-formed {@link PresentingState} (peers may run other versions; anything else is ignored). */
export function isPresentingState(value: unknown): value is PresentingState {
  if (typeof value !== 'object' || value === null) return false
  const { since, slide } = value as Record<string, unknown>
  return typeof since === 'number' && Number.isFinite(since) && (slide === null || slide === undefined || typeof slide === 'string')
}

/**
 * Who is presenting in the room, from everyone's awareness states (ours included: the caller tells "me" from "them"
 * by client id). A presenter needs a presence record too, since that is what followers' cameras follow.
 * If two people present at once, the later start wins, so pressing Present always takes over the room; equal starts
 * fall back to the lower client id so every client picks the same one.
 */
export function findPresenter(states: ReadonlyMap<number, Record<string, unknown> | null | undefined>): Presenter | null {
  let best: Presenter | null = null
  for (const [clientId, state] of states) {
    const presenting = state?.[PRESENTING_FIELD]
    const presence = state?.[PRESENCE_FIELD] as { userId?: unknown; userName?: unknown; color?: unknown } | null | undefined
    if (!isPresentingState(presenting) || typeof presence?.userId !== 'string') continue
    const candidate: Presenter = {
      clientId,
      userId: presence.userId,
      userName: typeof presence.userName === 'string' && presence.userName ? presence.userName : 'Someone',
      color: typeof presence.color === 'string' ? presence.color : '#888888',
      since: presenting.since,
      slide: presenting.slide ?? null,
      key: `${clientId}:${presenting.since}`,
    }
    if (!best || candidate.since > best.since || (candidate.since === best.since && candidate.clientId < best.clientId)) best = candidate
  }
  return best
}

/** Frame ids in the order a presentation shows them: the board's reading order (top to bottom, then left to right). */
export function slideOrder(frames: readonly FrameBox[]): string[] {
  return framesInReadingOrder(frames).map((frame) => frame.id)
}

/**
 * The slide after (`step` 1) or before (`step` -1) `current` in `order`. From no slide (or one since deleted) the
 * first step goes to the first slide, or the last when going back. At either end it stays put (null: nothing to do),
 * as presentation tools do, rather than wrapping around unexpectedly.
 */
export function stepSlide(order: readonly string[], current: string | null, step: 1 | -1): string | null {
  if (order.length === 0) return null
  const index = current === null ? -1 : order.indexOf(current)
  if (index === -1) return step === 1 ? order[0] : order[order.length - 1]
  const next = index + step
  return next >= 0 && next < order.length ? order[next] : null
}

/** "2 / 5" for the presenter's bar; empty before the first slide. */
export function slideLabel(order: readonly string[], current: string | null): string {
  const index = current === null ? -1 : order.indexOf(current)
  return index === -1 ? '' : `${index + 1} / ${order.length}`
}
