import { react, type Editor } from 'tldraw'
import type { RoomBoard } from '../app/useRoomBoard.ts'
import { BoardsApiError, type BoardsApi } from './boardsApi.ts'
import { createThumbnailSchedule, type ThumbnailOutcome } from './thumbnailSchedule.ts'

/** Quiet time after the last change (by anyone) before a thumbnail is made. */
export const THUMBNAIL_SETTLE_MS = 3_000
/** At most one thumbnail per this long from one browser (the server refuses more than one per 10 s anyway). */
export const THUMBNAIL_MIN_INTERVAL_MS = 30_000
/** The server's limit for a thumbnail. */
export const THUMBNAIL_MAX_BYTES = 256 * 1024
/** The image fits this box (the boards page shows it at about 300 px wide). */
const TARGET_WIDTH = 320
const TARGET_HEIGHT = 200

/** What a render made, for the test hook and measurements. */
export interface ThumbnailRender {
  outcome: ThumbnailOutcome
  type?: string
  bytes?: number
  /** Main-thread time of the export (SVG, rasterising, encoding), ms. */
  renderMs?: number
}

/** The thumbnailer's handle on `window.__scrawl.thumbnails` (e2e and measurements). */
export interface ThumbnailHook {
  /** Renders and uploads now, in idle time as usual, whatever the schedule says. */
  renderNow(): Promise<ThumbnailRender>
  /** Every render so far. */
  readonly renders: ThumbnailRender[]
  /** Turns the automatic renders off and on (measurements of what they cost). */
  setEnabled(enabled: boolean): void
}

/** Options of {@link mountThumbnails}. */
export interface MountThumbnailsOptions {
  api: BoardsApi
  /** The page is view-only (token, link, embed option): it never uploads. */
  viewOnly: boolean
}

/**
 * Keeps the board's thumbnail in the catalog fresh: after edits settle, in idle time, this browser
 * renders the current page to a small WebP (PNG where the browser cannot encode WebP) and PUTs it.
 * Only a visible page with a read-write connection does so. Returns the teardown and the test hook.
 */
export function mountThumbnails(editor: Editor, board: RoomBoard, { api, viewOnly }: MountThumbnailsOptions): { stop(): void; hook: ThumbnailHook } {
  const { connection, room, binding } = board
  const renders: ThumbnailRender[] = []
  let enabled = true
  const canRender = () =>
    enabled &&
    !viewOnly &&
    document.visibilityState === 'visible' &&
    connection.status.get().state === 'connected' &&
    !connection.status.get().readonly &&
    binding.state.get().kind === 'ready'

  const renderAndUpload = async (): Promise<ThumbnailRender> => {
    await idle()
    const started = performance.now()
    const image = await renderThumbnail(editor)
    if (!image) return record({ outcome: 'skipped' })
    const renderMs = performance.now() - started
    try {
      await api.putThumbnail(room, image)
      return record({ outcome: 'uploaded', type: image.type, bytes: image.size, renderMs })
    } catch (error) {
      const status = error instanceof BoardsApiError ? error.status : 0
      // 404: the catalog has not taken in this board yet (it settles ~2 s after edits): try again.
      if (status === 404) return record({ outcome: 'retry', type: image.type, bytes: image.size, renderMs })
      // 429 (another browser in the board just sent one) and the rest: this one is simply not needed.
      return record({ outcome: status === 429 ? 'uploaded' : 'skipped', type: image.type, bytes: image.size, renderMs })
    }
  }
  const record = (render: ThumbnailRender) => {
    renders.push(render)
    return render
  }

  const schedule = createThumbnailSchedule({
    settleMs: THUMBNAIL_SETTLE_MS,
    minIntervalMs: THUMBNAIL_MIN_INTERVAL_MS,
    retryMs: 5_000,
    canRender,
    render: async () => (await renderAndUpload()).outcome,
  })

  const onUpdate = () => schedule.noteChange()
  connection.doc.on('update', onUpdate)
  // A render holds the main thread for a few hundred ms on a busy board: while this user is pointing,
  // panning or typing, an owed render waits until they have been still for the settle time too.
  const onInput = () => {
    if (schedule.pending) schedule.noteChange()
  }
  editor.on('event', onInput)
  const onVisibility = () => schedule.poke()
  document.addEventListener('visibilitychange', onVisibility)
  const stopWatching = react('scrawl.thumbnail.conditions', () => {
    connection.status.get()
    binding.state.get()
    schedule.poke()
  })

  // A board with shapes but no thumbnail yet (made before thumbnails, or copied from a template) gets one.
  void api.get(room).then(
    (summary) => {
      if (!summary.thumbnailUrl && editor.getCurrentPageShapeIds().size > 0) schedule.noteChange()
    },
    () => {},
  )

  return {
    stop() {
      schedule.stop()
      stopWatching()
      editor.off('event', onInput)
      document.removeEventListener('visibilitychange', onVisibility)
      connection.doc.off('update', onUpdate)
    },
    hook: {
      renderNow: renderAndUpload,
      renders,
      setEnabled(on) {
        enabled = on
        schedule.poke()
      },
    },
  }
}

/**
 * The current page as a small image that fits {@link TARGET_WIDTH} x {@link TARGET_HEIGHT}, on the
 * board's light background, at most {@link THUMBNAIL_MAX_BYTES}; null for an empty page.
 */
export async function renderThumbnail(editor: Editor): Promise<Blob | null> {
  const ids = [...editor.getCurrentPageShapeIds()]
  const bounds = editor.getCurrentPageBounds()
  if (ids.length === 0 || !bounds || bounds.w <= 0 || bounds.h <= 0) return null
  let scale = Math.min(2, TARGET_WIDTH / bounds.w, TARGET_HEIGHT / bounds.h)
  for (let attempt = 0; attempt < 3; attempt++) {
    for (const format of ['webp', 'png'] as const) {
      const { blob } = await editor.toImage(ids, { format, scale, pixelRatio: 1, background: true, darkMode: false, padding: 16, quality: 0.8 })
      // A browser that cannot encode WebP hands back a PNG: then ask for PNG by name.
      if (format === 'webp' && blob.type !== 'image/webp') continue
      if (blob.size <= THUMBNAIL_MAX_BYTES) return blob.type === `image/${format}` ? blob : new Blob([blob], { type: `image/${format}` })
      break
    }
    scale *= 0.6
  }
  return null
}

/** Resolves when the browser is idle (so a render never lands in the middle of a stroke's frames). */
function idle(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof requestIdleCallback === 'function') requestIdleCallback(() => resolve(), { timeout: 5_000 })
    else setTimeout(resolve, 50)
  })
}
