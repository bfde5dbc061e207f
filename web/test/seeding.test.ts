import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'
import { connect, documentRecords, makeClient } from './helpers.ts'

test('two clients seeding an empty room at once converge on one document and one page', () => {
  const a = makeClient()
  const b = makeClient()
  assert.equal(pages(a).length, 1)
  assert.equal(pages(b).length, 1)

  connect(a.doc, b.doc)
  assert.deepEqual(pages(a).map((p) => p.id), ['page:page'])
  assert.deepEqual(documentRecords(a.store), documentRecords(b.store))
  assert.deepEqual(a.doc.getMap('records').toJSON(), b.doc.getMap('records').toJSON())
  assert.equal(a.binding.state.get().kind, 'ready')
  assert.equal(b.binding.state.get().kind, 'ready')
})

test('a client joining a seeded room adds no page of its own', () => {
  const a = makeClient()
  const joined = new Y.Doc()
  Y.applyUpdate(joined, Y.encodeStateAsUpdate(a.doc))
  const b = makeClient(joined)
  connect(a.doc, b.doc)
  assert.equal(pages(a).length, 1)
  assert.equal(pages(b).length, 1)
  assert.deepEqual(documentRecords(a.store), documentRecords(b.store))
})

test('seeding writes the format version and the tldraw schema into meta', () => {
  const a = makeClient()
  const meta = a.doc.getMap('meta')
  assert.equal(meta.get('formatVersion'), 1)
  assert.deepEqual(meta.get('schema'), a.store.schema.serialize())
})

function pages(client: ReturnType<typeof makeClient>) {
  return client.store.allRecords().filter((r) => r.typeName === 'page')
}
