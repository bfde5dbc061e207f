import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'
import { b64Vecs, createShapeId, type TLDrawShape } from '@tldraw/tlschema'
import { patchText } from '../src/board/recordCodec.ts'
import { recordsMap } from '../src/board/docLayout.ts'
import { measureStrokeCost } from '../src/board/strokeCost.ts'
import { connect, makeClient } from './helpers.ts'

test('a stroke costs a small, flat number of bytes per pointer move', () => {
  const short = measureStrokeCost(60)
  const long = measureStrokeCost(300)
  console.log(
    `stroke bytes/update: 60 moves median ${short.medianBytes} max ${short.maxBytes}; ` +
      `300 moves median ${long.medianBytes} max ${long.maxBytes}; shape creation ${long.createBytes}`,
  )
  assert.equal(short.updateBytes.length, 60, 'one update per move')
  assert.equal(long.updateBytes.length, 300)
  assert.ok(long.medianBytes <= 40, `median ${long.medianBytes} <= 40`)
  assert.ok(short.medianBytes <= 40, `median ${short.medianBytes} <= 40`)
  // Flat: the last moves of a long stroke cost no more than the first moves of a short one.
  const tail = long.updateBytes.slice(-60)
  assert.ok(Math.max(...tail) <= short.maxBytes + 4, `late max ${Math.max(...tail)} vs early max ${short.maxBytes}`)
})

test('the path lives in a Y.Text and a move appends only the changed tail', () => {
  const doc = new Y.Doc()
  const text = doc.getText('t')
  patchText(text, 'AAAAAAAAAAAASQBF')
  let inserted = ''
  let deleted = 0
  text.observe((event) => {
    for (const op of event.delta) {
      if (typeof op.insert === 'string') inserted += op.insert
      if (op.delete) deleted += op.delete
    }
  })
  patchText(text, 'AAAAAAAAAAAASQBFAEkARw==')
  assert.equal(text.toString(), 'AAAAAAAAAAAASQBFAEkARw==')
  assert.equal(inserted, 'AEkARw==')
  assert.equal(deleted, 0)
  patchText(text, 'AAAAAAAAAAAASQBFAEkARx==') // the last point moved (tldraw merges close points)
  assert.equal(text.toString(), 'AAAAAAAAAAAASQBFAEkARx==')
  assert.equal(deleted, 3, 'only the differing suffix is replaced')
})

test('a stroke in progress reaches the other client move by move and ends identical', () => {
  const a = makeClient()
  const b = makeClient()
  connect(a.doc, b.doc)
  const id = createShapeId('live')
  const points = [{ x: 0, y: 0, z: 0.5 }]
  const draw = (complete: boolean) => {
    const shape = a.store.get(id) as TLDrawShape
    a.store.put([
      { ...shape, props: { ...shape.props, isComplete: complete, segments: [{ type: 'free', dim: 2, path: b64Vecs.encodePoints(points, 2) }] } },
    ])
  }
  a.store.put([
    a.store.schema.types.shape.create({
      id, type: 'draw', parentId: 'page:page', index: 'a1',
      props: { segments: [{ type: 'free', dim: 2, path: b64Vecs.encodePoints(points, 2) }], color: 'black', fill: 'none', dash: 'draw', size: 'm', isComplete: false, isClosed: false, isPen: false, scale: 1, scaleX: 1, scaleY: 1 },
    } as TLDrawShape),
  ])
  a.runFrames()
  for (let i = 1; i <= 20; i++) {
    points.push({ x: i * 4, y: i * 2, z: 0.5 })
    draw(false)
    a.runFrames()
    const seen = b.store.get(id) as TLDrawShape
    assert.equal(b64Vecs.decodePoints(seen.props.segments[0].path, 2).length, i + 1, 'b sees every move as it happens')
  }
  draw(true)
  a.runFrames()
  assert.deepEqual(b.store.get(id), a.store.get(id))
  const yPath = (recordsMap(a.doc).get(id) as Y.Map<any>).get('props').get('segments').get(0).get('path')
  assert.ok(yPath instanceof Y.Text)
})
