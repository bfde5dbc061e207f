import { Mat, type Editor, type TLPageId, type TLShapeId } from 'tldraw'
import type { CommentThread } from '../board/comments.ts'
import { anchorAt, anchorShapeId, pinPagePoint, type CommentAnchor, type Point, type ShapeFrame } from '../board/commentsAnchor.ts'

/**
 * The editor's side of the pin maths in board/commentsAnchor.ts: shapes' frames, the page a pin is on, where a
 * click drops a pin, and moving the camera to a pin. Reading these inside `useValue` makes pins follow the camera
 * and the shapes they sit on.
 */

/** The frame of a shape that exists, for {@link pinPagePoint}; null when it does not. */
export function shapeFrame(editor: Editor, shapeId: string): ShapeFrame | null {
  const shape = editor.getShape(shapeId as TLShapeId)
  if (!shape) return null
  const { bounds } = editor.getShapeGeometry(shape)
  const transform = editor.getShapePageTransform(shape)
  return {
    bounds: { x: bounds.x, y: bounds.y, w: bounds.w, h: bounds.h },
    toPage: (p) => transform.applyToPoint(p),
    toLocal: (p) => Mat.applyToPoint(Mat.Inverse(transform), p),
  }
}

/** Where a thread's pin is on its page. */
export function threadPagePoint(editor: Editor, anchor: CommentAnchor): Point {
  return pinPagePoint(anchor, (id) => shapeFrame(editor, id))
}

/** The page a thread's pin is on: its shape's page while the shape exists (shapes can move between pages). */
export function threadPageId(editor: Editor, thread: CommentThread): string {
  const shapeId = anchorShapeId(thread.anchor)
  const shape = shapeId ? editor.getShape(shapeId as TLShapeId) : undefined
  return shape ? editor.getAncestorPageId(shape) ?? thread.pageId : thread.pageId
}

/** The anchor for a click at `pagePoint` on the current page: the top shape under it, or the page itself. */
export function anchorForClick(editor: Editor, pagePoint: Point): CommentAnchor {
  const shape = editor.getShapeAtPoint(pagePoint, { hitInside: true, hitLabels: true, hitFrameInside: true, margin: 2 })
  const frame = shape ? shapeFrame(editor, shape.id) : null
  return anchorAt(pagePoint, shape && frame ? { id: shape.id, frame } : null)
}

/** Shows a thread's pin: switches to its page and centres the camera on it. */
export function moveCameraToThread(editor: Editor, thread: CommentThread): void {
  const pageId = threadPageId(editor, thread) as TLPageId
  if (editor.getCurrentPageId() !== pageId && editor.getPage(pageId)) editor.setCurrentPage(pageId)
  // Stop following whoever leads (or presents): the person asked to look here.
  if (editor.getInstanceState().followingUserId) editor.stopFollowingUser()
  editor.centerOnPoint(threadPagePoint(editor, thread.anchor), { animation: { duration: 220 } })
}
