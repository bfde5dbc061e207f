import { b64Vecs, createShapeId, type TLDrawShape, type TLShapeId } from '@tldraw/tlschema'
import * as Y from 'yjs'
import { bindStoreToDoc } from './binding.ts'
import { createHeadlessStore } from './headlessStore.ts'

/** Bytes of the Yjs updates a stroke produced, one entry per pointer move (one frame each). */
export interface StrokeCost {
  moves: number
  /** Size of each update in bytes, in order; excludes the update that created the shape. */
  updateBytes: number[]
  medianBytes: number
  maxBytes: number
  /** Size of the update that created the shape (its first point). */
  createBytes: number
}

/**
 * Draws a freehand stroke of `moves` pointer moves through a real tldraw store bound to a Y.Doc,
 * one frame per move, the way tldraw's draw tool does it (the whole base64 path re-encoded each
 * move), and measures every Yjs update the binding emits. Used by the unit tests and the benchmark.
 */
export function measureStrokeCost(moves: number): StrokeCost {
  const store = createHeadlessStore()
  const doc = new Y.Doc()
  const frames: Array<() => void> = []
  const binding = bindStoreToDoc({ store, doc, requestFrame: (callback) => frames.push(callback) })
  const runFrames = () => frames.splice(0).forEach((callback) => callback())
  runFrames()

  const sizes: number[] = []
  doc.on('update', (update: Uint8Array) => sizes.push(update.byteLength))

  const id: TLShapeId = createShapeId('stroke')
  const points = [{ x: 0, y: 0, z: 0.5 }]
  const pathOf = () => b64Vecs.encodePoints(points, 2)
  store.put([
    store.schema.types.shape.create({
      id,
      type: 'draw',
      parentId: 'page:page',
      index: 'a1',
      props: {
        segments: [{ type: 'free', path: pathOf(), dim: 2 }],
        color: 'black',
        fill: 'none',
        dash: 'draw',
        size: 'm',
        isComplete: false,
        isClosed: false,
        isPen: false,
        scale: 1,
        scaleX: 1,
        scaleY: 1,
      },
    } as TLDrawShape),
  ])
  runFrames()
  const createBytes = sizes.splice(0).reduce((a, b) => a + b, 0)

  for (let i = 1; i <= moves; i++) {
    // A wandering hand-drawn line: small, irregular steps like real pointer input.
    points.push({ x: i * 3 + Math.sin(i / 5) * 4, y: Math.cos(i / 7) * 30 + (i % 3), z: 0.5 })
    const shape = store.get(id) as TLDrawShape
    store.put([{ ...shape, props: { ...shape.props, segments: [{ ...shape.props.segments[0], path: pathOf() }] } }])
    runFrames()
  }
  binding.dispose()

  const sorted = [...sizes].sort((a, b) => a - b)
  return {
    moves,
    updateBytes: sizes,
    medianBytes: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : 0,
    maxBytes: sorted.at(-1) ?? 0,
    createBytes,
  }
}
