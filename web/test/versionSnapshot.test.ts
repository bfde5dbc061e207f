import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'
import { createHeadlessStore } from '../src/board/headlessStore.ts'
import { versionSnapshot } from '../src/board/versionSnapshot.ts'
import { geoShape, makeClient } from './helpers.ts'

test('a version’s Yjs state reads back as the board’s records, without touching anything else', () => {
  const author = makeClient()
  author.store.put([geoShape(author.store, 'a'), geoShape(author.store, 'b', 200)])
  author.runFrames()
  const update = Y.encodeStateAsUpdate(author.doc)

  const result = versionSnapshot(update, createHeadlessStore)
  assert.equal(result.kind, 'ok')
  if (result.kind !== 'ok') return
  assert.equal(result.shapeCount, 2)
  const ids = Object.keys(result.snapshot.store).sort()
  assert.ok(ids.includes('shape:a') && ids.includes('shape:b') && ids.includes('page:page'))
  assert.ok(result.snapshot.schema, 'the snapshot names its schema')
})

test('an empty version reads as an empty board; bytes that are not a Yjs update are reported, not thrown', () => {
  const empty = versionSnapshot(Y.encodeStateAsUpdate(new Y.Doc()), createHeadlessStore)
  assert.equal(empty.kind, 'ok')
  if (empty.kind === 'ok') assert.equal(empty.shapeCount, 0)
  const junk = versionSnapshot(new Uint8Array([255, 1, 2, 3, 4]), createHeadlessStore)
  assert.equal(junk.kind, 'unreadable')
})
