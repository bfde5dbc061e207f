import assert from 'node:assert/strict'
import { test } from 'node:test'
import { getIndices } from '@tldraw/utils'
import * as Y from 'yjs'
import { AssetRecordType, createBindingId, createShapeId, type TLRecord, type TLShape } from '@tldraw/tlschema'
import { connect, documentRecords, docRecords, makeClient } from './helpers.ts'
import { defaultShapeProps } from './fixtures.ts'

function shapeOf(type: string, index: number): TLShape {
  return {
    id: createShapeId(type),
    typeName: 'shape',
    type,
    parentId: 'page:page',
    index: getIndices(20)[index + 1],
    x: index * 120,
    y: 40,
    rotation: 0,
    isLocked: false,
    opacity: 1,
    props: structuredClone(defaultShapeProps[type]),
    meta: { createdBy: 'test' },
  } as unknown as TLShape
}

const imageAsset = AssetRecordType.create({
  id: 'asset:image1' as never,
  type: 'image',
  props: { name: 'cat.png', src: '/api/rooms/r1/assets/abc', w: 640, h: 480, mimeType: 'image/png', isAnimated: false },
})

test('every default shape type, an asset and a binding reach the other client unchanged', () => {
  const a = makeClient()
  const b = makeClient()
  connect(a.doc, b.doc)
  const shapes = Object.keys(defaultShapeProps).map(shapeOf)
  const arrowBinding = a.store.schema.types.binding.create({
    id: createBindingId('arrow-start'),
    type: 'arrow',
    fromId: createShapeId('arrow'),
    toId: createShapeId('geo'),
    props: { terminal: 'start', normalizedAnchor: { x: 0.5, y: 0.5 }, isExact: false, isPrecise: false, snap: 'none' },
  } as never)
  a.store.put([imageAsset, ...shapes, arrowBinding] as TLRecord[])
  a.runFrames()

  assert.equal(shapes.length, 13, 'fixture covers all 13 default shape types')
  for (const shape of shapes) assert.deepEqual(b.store.get(shape.id), a.store.get(shape.id), shape.type)
  assert.deepEqual(b.store.get(imageAsset.id), imageAsset)
  assert.deepEqual(b.store.get(arrowBinding.id), arrowBinding)
  assert.deepEqual(documentRecords(b.store), documentRecords(a.store))
  assert.deepEqual(docRecords(a.doc), documentRecords(a.store), 'the doc decodes to exactly the store records')
})

test('edits to every shape type round-trip, including removal of a prop and a whole record', () => {
  const a = makeClient()
  const b = makeClient()
  connect(a.doc, b.doc)
  const shapes = Object.keys(defaultShapeProps).map(shapeOf)
  a.store.put(shapes)
  a.runFrames()

  a.store.put(shapes.map((s) => ({ ...s, x: s.x + 5, rotation: 0.5, meta: {}, props: { ...s.props, ...('color' in s.props ? { color: 'red' } : {}) } }) as TLShape))
  a.runFrames()
  // b edits back in the other direction: the binding is symmetric.
  const geo = b.store.get(createShapeId('geo')) as TLShape
  b.store.put([{ ...geo, props: { ...geo.props, w: 333 } } as TLShape])
  b.store.remove([createShapeId('video')])
  b.runFrames()

  assert.deepEqual(documentRecords(a.store), documentRecords(b.store))
  assert.equal((a.store.get(createShapeId('geo')) as TLShape & { props: { w: number; color: string } }).props.w, 333)
  assert.equal((a.store.get(createShapeId('geo')) as TLShape & { props: { color: string } }).props.color, 'red')
  assert.equal(a.store.get(createShapeId('video')), undefined)
})

test('concurrent edits to different props of one shape both survive', () => {
  const a = makeClient()
  const b = makeClient()
  const geo = shapeOf('geo', 0)
  a.store.put([geo])
  a.runFrames()
  connect(a.doc, b.doc)() // sync once, then work offline

  const fromA = a.store.get(geo.id) as TLShape
  a.store.put([{ ...fromA, props: { ...fromA.props, color: 'blue' } } as TLShape])
  const fromB = b.store.get(geo.id) as TLShape
  b.store.put([{ ...fromB, x: 500, props: { ...fromB.props, fill: 'solid' } } as TLShape])
  a.runFrames()
  b.runFrames()
  connect(a.doc, b.doc)

  for (const client of [a, b]) {
    const shape = client.store.get(geo.id) as TLShape & { props: { color: string; fill: string } }
    assert.equal(shape.props.color, 'blue')
    assert.equal(shape.props.fill, 'solid')
    assert.equal(shape.x, 500)
  }
})

test('records a foreign writer stored as plain JSON load, and invalid ones are skipped and reported', () => {
  const doc = new Y.Doc()
  const invalid: string[] = []
  const client = makeClient(doc, { onInvalidRecord: (id) => invalid.push(id) })
  const geo = shapeOf('geo', 0)
  doc.getMap('records').set(geo.id, structuredClone(geo))
  doc.getMap('records').set('shape:broken', { id: 'shape:broken', typeName: 'shape', type: 'geo' })
  assert.deepEqual(client.store.get(geo.id), geo)
  assert.equal(client.store.get('shape:broken' as never), undefined)
  assert.deepEqual(invalid, ['shape:broken'])
})
