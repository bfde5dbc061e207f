import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'
import { b64Vecs, createShapeId, type TLDrawShape } from '@tldraw/tlschema'
import { metaMap, recordsMap } from '../src/board/docLayout.ts'
import { encodeRecord, type PlainRecord } from '../src/board/recordCodec.ts'
import { compareSchemas } from '../src/board/schemaVersion.ts'
import { createHeadlessStore } from '../src/board/headlessStore.ts'
import { geoShape, makeClient } from './helpers.ts'

const ourSchema = createHeadlessStore().schema.serialize()
const strokeId = createShapeId('old-stroke')
const oldPoints = [
  { x: 0, y: 0, z: 0.5 },
  { x: 10, y: 5, z: 0.5 },
  { x: 20, y: 12, z: 0.5 },
]

/** A board as a client with draw shapes at version 2 wrote it: points arrays, no scaleX/scaleY. */
function oldDoc(): Y.Doc {
  const doc = new Y.Doc()
  const seed = makeClient(doc) // document, page and meta as usual...
  seed.binding.dispose()
  doc.transact(() => {
    metaMap(doc).set('schema', { ...ourSchema, sequences: { ...ourSchema.sequences, 'com.tldraw.shape.draw': 2 } })
    recordsMap(doc).set(
      strokeId,
      encodeRecord({
        id: strokeId, typeName: 'shape', type: 'draw', parentId: 'page:page', index: 'a1', x: 0, y: 0, rotation: 0,
        isLocked: false, opacity: 1, meta: {},
        props: { segments: [{ type: 'free', points: oldPoints }], color: 'black', fill: 'none', dash: 'draw', size: 'm', isComplete: true, isClosed: false, isPen: false, scale: 1 },
      } as PlainRecord),
    )
  })
  return doc
}

test('schema relations: same, older, newer, unknown', () => {
  const older = { ...ourSchema, sequences: { ...ourSchema.sequences, 'com.tldraw.shape.draw': 2 } }
  const newer = { ...ourSchema, sequences: { ...ourSchema.sequences, 'com.tldraw.shape.draw': 99 } }
  const withNewType = { ...ourSchema, sequences: { ...ourSchema.sequences, 'com.example.shape.sticker': 1 } }
  assert.equal(compareSchemas(ourSchema, ourSchema), 'same')
  assert.equal(compareSchemas(ourSchema, older), 'older')
  assert.equal(compareSchemas(ourSchema, newer), 'newer')
  assert.equal(compareSchemas(ourSchema, withNewType), 'newer')
  assert.equal(compareSchemas(ourSchema, { schemaVersion: 1, storeVersion: 4, recordVersions: {} }), 'unknown')
})

test('an older document is migrated on load, in the store and in the doc', () => {
  const doc = oldDoc()
  const client = makeClient(doc)
  assert.equal(client.binding.state.get().kind, 'ready')

  const shape = client.store.get(strokeId) as TLDrawShape
  assert.equal(shape.props.scaleX, 1)
  assert.deepEqual(b64Vecs.decodePoints(shape.props.segments[0].path), oldPoints)

  assert.deepEqual(metaMap(doc).get('schema'), ourSchema, 'the doc now declares the current schema')
  const stored = (recordsMap(doc).get(strokeId) as Y.Map<unknown>).toJSON()
  assert.deepEqual(stored, shape, 'the migrated record was written back')
  const ySegment = ((recordsMap(doc).get(strokeId) as Y.Map<any>).get('props') as Y.Map<any>).get('segments').get(0)
  assert.ok(ySegment.get('path') instanceof Y.Text, 'and in the stroke layout')

  // A second client opening the migrated doc migrates nothing and sees the same record.
  const again = makeClient(cloneDoc(doc))
  assert.deepEqual(again.store.get(strokeId), shape)
})

test('a document from a newer schema is neither loaded nor written; the client asks for a reload', () => {
  const doc = new Y.Doc()
  makeClient(doc).binding.dispose()
  metaMap(doc).set('schema', { ...ourSchema, sequences: { ...ourSchema.sequences, 'com.tldraw.shape.draw': 99 } })
  const before = Y.encodeStateVector(doc)

  const client = makeClient(doc)
  assert.equal(client.binding.state.get().kind, 'needs-reload')
  client.store.put([geoShape(client.store, 'local')])
  client.runFrames()
  client.binding.flush()
  assert.deepEqual(Y.encodeStateVector(doc), before, 'nothing was written to the doc')
  assert.equal(recordsMap(doc).has(createShapeId('local')), false)
})

test('a newer client arriving mid-session stops this one from writing', () => {
  const client = makeClient()
  client.store.put([geoShape(client.store, 'before')])
  client.runFrames()
  assert.ok(recordsMap(client.doc).has(createShapeId('before')))

  const remote = new Y.Doc()
  Y.applyUpdate(remote, Y.encodeStateAsUpdate(client.doc))
  metaMap(remote).set('schema', { ...ourSchema, sequences: { ...ourSchema.sequences, 'com.tldraw.shape.geo': 99 } })
  Y.applyUpdate(client.doc, Y.encodeStateAsUpdate(remote))

  assert.equal(client.binding.state.get().kind, 'needs-reload')
  client.store.put([geoShape(client.store, 'after')])
  client.runFrames()
  assert.equal(recordsMap(client.doc).has(createShapeId('after')), false)
})

function cloneDoc(doc: Y.Doc): Y.Doc {
  const copy = new Y.Doc()
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
  return copy
}
