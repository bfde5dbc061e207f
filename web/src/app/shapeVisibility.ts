import { react } from '@tldraw/state'

/** What {@link whenShapeVisible} reads: tldraw's editor (its culled set is reactive). */
export interface CullingSource {
  getCulledShapes(): ReadonlySet<string>
}

interface Waiting {
  shapes: Map<string, () => void>
  stop: () => void
}

const waitingBySource = new WeakMap<CullingSource, Waiting>()

/** Once nothing waits, the reaction goes (a microtask later: never from inside its own run). */
function stopWhenIdle(source: CullingSource, waiting: Waiting) {
  queueMicrotask(() => {
    if (waiting.shapes.size > 0 || waitingBySource.get(source) !== waiting) return
    waitingBySource.delete(source)
    waiting.stop()
  })
}

/**
 * Calls `show` once shape `id` is not culled: at once if it is not now, otherwise when the editor's
 * culled set stops holding it. Returns a function that cancels the wait.
 *
 * lazyShapeUtils.tsx renders a shape's content only once the shape has been on screen. Each of a
 * board's shapes following the culled set itself (a `useValue` per shape: a computed, a
 * subscription, and an evaluation of all of them whenever culling changes) cost a 10,000-shape
 * board tens of thousands of signal-graph links on open, and every pan re-ran them all. One
 * reaction per editor over the shapes still waiting does the same job; a shape leaves it for good
 * once shown.
 */
export function whenShapeVisible(source: CullingSource, id: string, show: () => void): () => void {
  if (!source.getCulledShapes().has(id)) {
    show()
    return () => {}
  }
  let waiting = waitingBySource.get(source)
  if (!waiting) {
    const shapes = new Map<string, () => void>([[id, show]])
    const created: Waiting = { shapes, stop: () => {} }
    waitingBySource.set(source, created)
    created.stop = react('scrawl.shapes.shownOnceVisible', () => {
      const culled = source.getCulledShapes()
      const due: Array<() => void> = []
      for (const [shapeId, callback] of shapes) {
        if (culled.has(shapeId)) continue
        shapes.delete(shapeId)
        due.push(callback)
      }
      for (const callback of due) callback()
      if (shapes.size === 0) stopWhenIdle(source, created)
    })
    waiting = created
  } else {
    waiting.shapes.set(id, show)
  }
  const registered = waiting
  return () => {
    if (registered.shapes.get(id) !== show) return
    registered.shapes.delete(id)
    if (registered.shapes.size === 0) stopWhenIdle(source, registered)
  }
}
