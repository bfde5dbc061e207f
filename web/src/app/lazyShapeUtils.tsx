import { useRef, type ReactElement } from 'react'
import {
  DrawShapeUtil,
  GeoShapeUtil,
  HighlightShapeUtil,
  LineShapeUtil,
  NoteShapeUtil,
  TextShapeUtil,
  useValue,
  type Editor,
  type TLShape,
  type TLShapeId,
} from 'tldraw'

/**
 * Shape utils whose shapes render their content only once they have been on screen.
 *
 * tldraw renders a React subtree for every shape on the page and hides the ones outside the
 * viewport (`display: none`, "culled"). Opening a 5,000-shape board thus built ~5,000 geo bodies,
 * labels and stroke paths nobody could see: seconds of rendering before the first frame. These
 * utils render an empty shape container while the shape is culled, and its real content from the
 * first moment it is not, for good (panning back and forth does not remount anything). What is
 * on screen is unchanged: culled shapes are hidden either way; geometry, hit testing, export and
 * indicators do not use `component` at all.
 */

/** Renders `render()` once shape `id` has been visible; nothing before. */
function ShowOnceVisible({ editor, id, render }: { editor: Editor; id: TLShapeId; render: () => ReactElement | null }) {
  const shown = useRef(false)
  const visible = useValue(
    'scrawl.shape.shown',
    // Once shown, the culling set is no longer read, so this shape stops following it.
    () => shown.current || !editor.getCulledShapes().has(id),
    [editor, id],
  )
  if (visible) shown.current = true
  return shown.current ? <Rendered render={render} /> : null
}

/** A component of its own, so the util's hooks live here and are always called. */
function Rendered({ render }: { render: () => ReactElement | null }) {
  return render()
}

type ShapeUtilClass = { new (...args: any[]): { editor: Editor; component(shape: any): any } }

function showOnceVisible<T extends ShapeUtilClass>(Base: T): T {
  return class extends Base {
    component(shape: TLShape) {
      return <ShowOnceVisible editor={this.editor} id={shape.id} render={() => super.component(shape)} />
    }
  }
}

/** Passed to `<Tldraw shapeUtils>`; they replace tldraw's utils of the same types. */
export const lazyShapeUtils = [
  showOnceVisible(GeoShapeUtil),
  showOnceVisible(TextShapeUtil),
  showOnceVisible(DrawShapeUtil),
  showOnceVisible(HighlightShapeUtil),
  showOnceVisible(NoteShapeUtil),
  showOnceVisible(LineShapeUtil),
]
