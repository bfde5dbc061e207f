/**
 * Where a comment thread's pin sits (docs/document-schema.md, "Comments").
 *
 * - `shape`: on a shape. `x`/`y` are normalized (0-1) within the shape's own bounds, so the pin keeps its
 *   spot on the shape as it moves, resizes or rotates. `pageX`/`pageY` is where the pin was dropped, on the
 *   page: the fallback while the shape is missing (deleted by a client that did not detach the thread).
 * - `point`: at a point of the page. `detachedFrom` is set when the thread's shape was deleted: the pin
 *   stays where the shape last was, and goes back onto the shape if the deletion is undone.
 *
 * The same idea as tldraw's own comment anchors (normalized shape coordinates), written for Scrawl's layout.
 */
export type CommentAnchor =
  | { type: 'shape'; shapeId: string; x: number; y: number; pageX: number; pageY: number }
  | { type: 'point'; x: number; y: number; detachedFrom?: { shapeId: string; x: number; y: number } }

/** A point in page (or a shape's local) coordinates. */
export interface Point {
  x: number
  y: number
}

/** What the pin maths needs of a shape: its local bounds and the page transform (from the editor). */
export interface ShapeFrame {
  /** The shape's geometry bounds in its own coordinates. */
  bounds: { x: number; y: number; w: number; h: number }
  toPage(local: Point): Point
  toLocal(page: Point): Point
}

/** Whether a JSON value is a readable anchor. */
export function isCommentAnchor(value: unknown): value is CommentAnchor {
  if (typeof value !== 'object' || value === null) return false
  const a = value as Record<string, unknown>
  if (!finite(a.x) || !finite(a.y)) return false
  if (a.type === 'shape') return typeof a.shapeId === 'string' && finite(a.pageX) && finite(a.pageY)
  if (a.type !== 'point') return false
  if (a.detachedFrom === undefined) return true
  const d = a.detachedFrom as Record<string, unknown> | null
  return d !== null && typeof d === 'object' && typeof d.shapeId === 'string' && finite(d.x) && finite(d.y)
}

/** The anchor for a pin dropped at `pagePoint`: on `shape` (with its id and frame) when given, else on the page. */
export function anchorAt(pagePoint: Point, shape: { id: string; frame: ShapeFrame } | null): CommentAnchor {
  if (!shape) return { type: 'point', x: pagePoint.x, y: pagePoint.y }
  const { bounds } = shape.frame
  const local = shape.frame.toLocal(pagePoint)
  return {
    type: 'shape',
    shapeId: shape.id,
    x: normalized(local.x - bounds.x, bounds.w),
    y: normalized(local.y - bounds.y, bounds.h),
    pageX: pagePoint.x,
    pageY: pagePoint.y,
  }
}

/** The shape a pin follows: the anchor's shape, or the one it was detached from (it comes back if that returns). */
export function anchorShapeId(anchor: CommentAnchor): string | null {
  return anchor.type === 'shape' ? anchor.shapeId : (anchor.detachedFrom?.shapeId ?? null)
}

/**
 * Where the pin is on the page now. `frameOf` gives the frame of a shape that exists (null when it does not):
 * a pin on an existing shape follows it; otherwise it stays at its page point.
 */
export function pinPagePoint(anchor: CommentAnchor, frameOf: (shapeId: string) => ShapeFrame | null): Point {
  const shapeId = anchorShapeId(anchor)
  const frame = shapeId ? frameOf(shapeId) : null
  if (frame) {
    const spot = anchor.type === 'shape' ? anchor : anchor.detachedFrom!
    const { bounds } = frame
    return frame.toPage({ x: bounds.x + spot.x * bounds.w, y: bounds.y + spot.y * bounds.h })
  }
  return anchor.type === 'shape' ? { x: anchor.pageX, y: anchor.pageY } : { x: anchor.x, y: anchor.y }
}

function finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

function normalized(offset: number, size: number): number {
  if (!(size > 0)) return 0.5
  return Math.min(1, Math.max(0, offset / size))
}
