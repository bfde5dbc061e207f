import { createShapeId, type TLRecord, type TLShape, type TLStore } from '@tldraw/tlschema'
import * as Y from 'yjs'
import { bindStoreToDoc, type BindStoreToDocOptions, type StoreDocBinding } from '../src/board/binding.ts'
import { createHeadlessStore } from '../src/board/headlessStore.ts'
import { recordsMap } from '../src/board/docLayout.ts'

/** One simulated browser tab: a store bound to its own Y.Doc, with frames run by hand. */
export interface Client {
  store: TLStore
  doc: Y.Doc
  binding: StoreDocBinding
  /** Runs the frames the binding asked for, i.e. sends pending local edits. */
  runFrames(): void
}

/** Binds a fresh store to `doc` (a new Y.Doc by default). */
export function makeClient(doc = new Y.Doc(), options: Partial<BindStoreToDocOptions> = {}): Client {
  const store = createHeadlessStore()
  const frames: Array<() => void> = []
  const binding = bindStoreToDoc({ store, doc, requestFrame: (callback) => frames.push(callback), ...options })
  return { store, doc, binding, runFrames: () => frames.splice(0).forEach((callback) => callback()) }
}

/**
 * Connects two docs like a server would: every update one makes is applied to the other,
 * after bringing both up to date. Returns a function that disconnects them.
 */
export function connect(a: Y.Doc, b: Y.Doc): () => void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a), 'network')
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b), 'network')
  const aToB = (update: Uint8Array, origin: unknown) => origin !== 'network' && Y.applyUpdate(b, update, 'network')
  const bToA = (update: Uint8Array, origin: unknown) => origin !== 'network' && Y.applyUpdate(a, update, 'network')
  a.on('update', aToB)
  b.on('update', bToA)
  return () => {
    a.off('update', aToB)
    b.off('update', bToA)
  }
}

/** A geo shape record on the seeded page. */
export function geoShape(store: TLStore, name: string, x = 0, y = 0): TLShape {
  return store.schema.types.shape.create({
    id: createShapeId(name),
    type: 'geo',
    parentId: 'page:page',
    index: 'a1',
    x,
    y,
    props: {
      w: 100, h: 100, geo: 'rectangle', dash: 'draw', growY: 0, url: '', scale: 1, flipX: false, flipY: false,
      color: 'black', labelColor: 'black', fill: 'none', size: 'm', font: 'draw', align: 'middle',
      verticalAlign: 'middle', richText: { type: 'doc', content: [{ type: 'paragraph' }] },
    },
  } as TLShape) as TLShape
}

/** The document-scope records of a store, sorted by id, for comparing two clients. */
export function documentRecords(store: TLStore): TLRecord[] {
  return store
    .allRecords()
    .filter((r) => store.schema.types[r.typeName].scope === 'document')
    .sort((a, b) => a.id.localeCompare(b.id))
}

/** The records as the doc holds them, decoded to plain JSON, sorted by id. */
export function docRecords(doc: Y.Doc): unknown[] {
  return Object.entries(recordsMap(doc).toJSON())
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, record]) => record)
}
