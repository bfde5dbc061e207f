import { useLayoutEffect, useState, type ReactElement } from 'react'
import { unsafe__withoutCapture } from '@tldraw/state'
import {
  ArrowShapeUtil,
  DrawShapeUtil,
  GeoShapeUtil,
  HighlightShapeUtil,
  LineShapeUtil,
  NoteShapeUtil,
  TextShapeUtil,
  useStateTracking,
  type Editor,
  type TLShape,
  type TLShapeId,
} from 'tldraw'
import { rememberMeasuredLabelSizesOnly } from './labelSizeCache.ts'
import { whenShapeVisible } from './shapeVisibility.ts'

/**
 * Shape utils whose shapes render their content only once they have been on screen.
 *
 * tldraw renders a React subtree for every shape on the page and hides the ones outside the
 * viewport (`display: none`, "culled"). Opening a 5,000-shape board thus built ~5,000 geo bodies,
 * labels, stroke paths and arrows nobody could see: seconds of rendering before the first frame. These
 * utils render an empty shape container while the shape is culled, and its real content from the
 * first moment it is not, for good (panning back and forth does not remount anything). What is
 * on screen is unchanged: culled shapes are hidden either way; geometry, hit testing, export and
 * indicators do not use `component` at all.
 *
 * The content must stay as reactive as tldraw's own: tldraw renders `component` inside a state-tracking
 * context, so a shape whose size is derived (a label measured before its web font had loaded, or with
 * the batched opening's estimate, see batchedTextMeasure.ts) re-renders when the measured size is
 * corrected. Here `component` runs in a component of its own, which must track its reads itself.
 */

/**
 * Renders `render()` once shape `id` has been visible; nothing before. Whether it is culled now is
 * read without tracking (a render is no derivation of it); when it is, shapeVisibility.ts's one
 * reaction per editor says when that ends, before the frame is painted (a layout effect).
 */
function ShowOnceVisible({ editor, id, render }: { editor: Editor; id: TLShapeId; render: () => ReactElement | null }) {
  const [shown, setShown] = useState(() => !unsafe__withoutCapture(() => editor.getCulledShapes().has(id)))
  useLayoutEffect(() => (shown ? undefined : whenShapeVisible(editor, id, () => setShown(true))), [editor, id, shown])
  return shown ? <Rendered render={render} /> : null
}

/**
 * A component of its own, so the util's hooks live here and are always called. Its reactive reads
 * (label size, selection, fonts' state) are tracked like tldraw's InnerShape tracks them: without
 * this, a label kept the size it was first measured at and wrapped differently for a fresh reader.
 */
function Rendered({ render }: { render: () => ReactElement | null }) {
  return useStateTracking('scrawl.shape.content', render)
}

type ShapeUtilClass = { new (...args: any[]): { editor: Editor; component(shape: any): any } }

function showOnceVisible<T extends ShapeUtilClass>(Base: T): T {
  return class extends Base {
    component(shape: TLShape) {
      // The latest record, as tldraw's InnerShape passes it, when a tracked read re-renders the content alone.
      const latest = () => (this.editor.store.unsafeGetWithoutCapture(shape.id) as TLShape | undefined) ?? shape
      return <ShowOnceVisible editor={this.editor} id={shape.id} render={() => super.component(latest())} />
    }
  }
}

/**
 * Passed to `<Tldraw shapeUtils>`; they replace tldraw's utils of the same types. Geo and note
 * utils also keep their label sizes honest while a board opens (labelSizeCache.ts).
 */
export const lazyShapeUtils = [
  showOnceVisible(rememberMeasuredLabelSizesOnly(GeoShapeUtil, '_labelSizesForGeoCache')),
  showOnceVisible(TextShapeUtil),
  showOnceVisible(DrawShapeUtil),
  showOnceVisible(HighlightShapeUtil),
  showOnceVisible(rememberMeasuredLabelSizesOnly(NoteShapeUtil, '_labelSizesForNoteCache')),
  showOnceVisible(LineShapeUtil),
  showOnceVisible(ArrowShapeUtil),
]
