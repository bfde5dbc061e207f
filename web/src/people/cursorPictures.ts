import { atom } from 'tldraw'
import type { BoardPeopleApi } from './peopleApi.ts'

/** Least time between two asks for the board's members when a cursor names a picture not known yet. */
export const PICTURES_REFRESH_MS = 10_000

/**
 * The avatar pictures a board shows on cursors: only those the server vouches for, the pictures of the board's people
 * (`GET /api/boards/:room/members`) and the signed-in person's own. A peer's presence can name any URL, and showing it
 * would make every browser in the room fetch whatever it names (a tracking pixel, or an outside host on a network
 * that has none), so a picture nobody vouched for is not shown. Someone who just joined through a link is not in the
 * list that was fetched: a cursor naming an unknown picture asks again, at most every {@link PICTURES_REFRESH_MS}.
 */
export interface CursorPictures {
  /** True when `url` may be shown (reactive: a tldraw `useValue` re-renders when the list changes). */
  isShown(url: string): boolean
  /** A cursor names `url`, which is not shown: ask the server again unless it was asked recently. */
  unknown(url: string): void
}

/** Cursor pictures for one board, from its people API; `own` is the signed-in person's picture. */
export function createCursorPictures(api: Pick<BoardPeopleApi, 'members'>, own: string | null, now: () => number = Date.now): CursorPictures {
  const known = atom<ReadonlySet<string>>('scrawl.cursorPictures', new Set(own ? [own] : []))
  let askedAt = Number.NEGATIVE_INFINITY
  const ask = () => {
    askedAt = now()
    api.members().then(
      (view) => {
        const pictures = new Set(known.get())
        for (const member of view.members) if (member.picture) pictures.add(member.picture)
        if (pictures.size !== known.get().size) known.set(pictures)
      },
      // Offline or no longer allowed: cursors keep their name tags, and the next unknown picture asks again.
      () => {},
    )
  }
  ask()
  return {
    isShown: (url) => known.get().has(url),
    unknown: () => {
      if (now() - askedAt >= PICTURES_REFRESH_MS) ask()
    },
  }
}

/** The picture a presence record's `meta` names (Scrawl puts the signed-in person's there), or null. */
export function pictureOfPresence(meta: unknown): string | null {
  const picture = (meta as { picture?: unknown } | null | undefined)?.picture
  return typeof picture === 'string' && /^https?:\/\//i.test(picture) ? picture : null
}
