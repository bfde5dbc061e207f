import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'
import { normalizeBoardTitle, observeBoardTitle, readBoardTitle, tabTitleFor, writeBoardTitle } from '../src/board/boardTitle.ts'
import { MAX_TITLE_LENGTH, TITLE_KEY, metaMap } from '../src/board/docLayout.ts'
import { connect, documentRecords, geoShape, makeClient } from './helpers.ts'

test('a rename is written into meta.title and reaches the other clients, who are told', () => {
  const a = new Y.Doc()
  const b = new Y.Doc()
  connect(a, b)
  const seen: string[] = []
  const stop = observeBoardTitle(b, (title) => seen.push(title))
  assert.equal(readBoardTitle(b), '')
  writeBoardTitle(a, '  Sprint\n retro  ')
  assert.equal(metaMap(a).get(TITLE_KEY), 'Sprint retro')
  assert.equal(readBoardTitle(b), 'Sprint retro')
  writeBoardTitle(a, 'Sprint retro')
  writeBoardTitle(a, '')
  stop()
  writeBoardTitle(a, 'after stop')
  assert.deepEqual(seen, ['Sprint retro', ''], 'an unchanged title writes nothing; unsubscribed observers hear nothing')
})

test('titles are cut to 200 characters without splitting an emoji; foreign values read as untitled', () => {
  assert.equal(normalizeBoardTitle('x'.repeat(300)).length, MAX_TITLE_LENGTH)
  const emojiAtCut = 'x'.repeat(MAX_TITLE_LENGTH - 1) + '😀'
  assert.equal(normalizeBoardTitle(emojiAtCut), 'x'.repeat(MAX_TITLE_LENGTH - 1))
  const doc = new Y.Doc()
  metaMap(doc).set(TITLE_KEY, 42)
  assert.equal(readBoardTitle(doc), '')
  assert.equal(tabTitleFor(''), 'Untitled board · Scrawl')
  assert.equal(tabTitleFor('Retro'), 'Retro · Scrawl')
})

test('the binding is not confused by meta.title: renames from either side leave records and writes alone', () => {
  const a = makeClient()
  const b = makeClient()
  connect(a.doc, b.doc)
  a.store.put([geoShape(a.store, 'box')])
  a.runFrames()
  writeBoardTitle(b.doc, 'Planning')
  writeBoardTitle(a.doc, 'Planning 2')
  assert.equal(a.binding.state.get().kind, 'ready')
  assert.equal(b.binding.state.get().kind, 'ready')
  b.store.put([geoShape(b.store, 'second', 200)])
  b.runFrames()
  assert.deepEqual(documentRecords(a.store), documentRecords(b.store))
  assert.equal(documentRecords(a.store).filter((r) => r.typeName === 'shape').length, 2)
  assert.ok(!documentRecords(a.store).some((r) => (r.id as string).includes('title')), 'the title is no record')
  assert.equal(readBoardTitle(a.doc), 'Planning 2')
})
