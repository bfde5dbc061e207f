import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createShapeId } from '@tldraw/tlschema'
import { exportBoard, importBoard } from '../src/board/boardFile.ts'
import { connect, documentRecords, geoShape, makeClient } from './helpers.ts'

test('a board saved to JSON opens elsewhere, replacing that board and reaching its peers', () => {
  const source = makeClient()
  source.store.put([geoShape(source.store, 'kept', 10, 20)])
  const file = JSON.parse(JSON.stringify(exportBoard(source.store)))
  assert.equal(file.format, 'scrawl-board')

  const target = makeClient()
  const peer = makeClient()
  connect(target.doc, peer.doc)
  target.store.put([geoShape(target.store, 'replaced')])
  target.runFrames()

  importBoard(target.store, file)
  target.runFrames()
  assert.deepEqual(documentRecords(target.store), documentRecords(source.store))
  assert.deepEqual(documentRecords(peer.store), documentRecords(source.store))
  assert.equal(peer.store.get(createShapeId('replaced')), undefined)
})

test('opening something that is not a board file fails without touching the board', () => {
  const client = makeClient()
  const before = documentRecords(client.store)
  assert.throws(() => importBoard(client.store, { hello: 'world' }), /Not a Scrawl board file/)
  assert.deepEqual(documentRecords(client.store), before)
})
