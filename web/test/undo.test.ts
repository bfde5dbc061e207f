import assert from 'node:assert/strict'
import { test } from 'node:test'
import { HistoryManager } from '@tldraw/editor'
import { createShapeId, type TLRecord, type TLShape } from '@tldraw/tlschema'
import { connect, geoShape, makeClient, type Client } from './helpers.ts'

/** A client with tldraw's own undo history, as the editor has it. */
function withHistory(client: Client) {
  const history = new HistoryManager<TLRecord>({ store: client.store })
  let marks = 0
  return {
    /** One user action: a history stop, then the edit, sent at the end of the frame. */
    act(edit: () => void) {
      // The editor sets these stops (markHistoryStoppingPoint); _mark is how it does so.
      ;(history as unknown as { _mark(id: string): void })._mark(`action-${++marks}`)
      edit()
      client.runFrames()
    },
    undo: () => client.binding.runAsHistoryReplay(() => history.undo()),
    redo: () => client.binding.runAsHistoryReplay(() => history.redo()),
    history,
  }
}

function move(client: Client, name: string, x: number) {
  const shape = client.store.get(createShapeId(name)) as TLShape
  client.store.put([{ ...shape, x }])
  client.runFrames()
}

function recolor(client: Client, name: string, color: string) {
  const shape = client.store.get(createShapeId(name)) as TLShape
  client.store.put([{ ...shape, props: { ...shape.props, color } } as TLShape])
  client.runFrames()
}

const shapeIn = (client: Client, name: string) => client.store.get(createShapeId(name)) as (TLShape & { props: { color: string } }) | undefined

test('undo removes only my own stroke; the other person\'s stays, and remote edits never enter my history', () => {
  const a = makeClient()
  const b = makeClient()
  connect(a.doc, b.doc)
  const ha = withHistory(a)
  ha.act(() => a.store.put([geoShape(a.store, 'mine')]))
  const undosBefore = ha.history.getNumUndos()
  b.store.put([geoShape(b.store, 'theirs', 300)])
  b.runFrames()
  assert.ok(shapeIn(a, 'theirs'), 'a received b\'s shape')
  assert.equal(ha.history.getNumUndos(), undosBefore, 'remote changes are not undoable')

  ha.undo()
  for (const client of [a, b]) {
    assert.equal(shapeIn(client, 'mine'), undefined)
    assert.ok(shapeIn(client, 'theirs'))
  }
  ha.redo()
  for (const client of [a, b]) assert.ok(shapeIn(client, 'mine'))
})

test('undoing my move keeps the colour someone else gave the shape meanwhile', () => {
  const a = makeClient()
  const b = makeClient()
  connect(a.doc, b.doc)
  const ha = withHistory(a)
  ha.act(() => a.store.put([geoShape(a.store, 's')]))
  ha.act(() => move(a, 's', 100))
  recolor(b, 's', 'red')

  ha.undo()
  for (const client of [a, b]) {
    assert.equal(shapeIn(client, 's')!.x, 0, 'my move is undone')
    assert.equal(shapeIn(client, 's')!.props.color, 'red', 'their colour stands')
  }
})

test('undo does not overwrite a field someone else changed after me', () => {
  const a = makeClient()
  const b = makeClient()
  connect(a.doc, b.doc)
  const ha = withHistory(a)
  ha.act(() => a.store.put([geoShape(a.store, 's')]))
  ha.act(() => move(a, 's', 100))
  move(b, 's', 250)

  ha.undo()
  for (const client of [a, b]) assert.equal(shapeIn(client, 's')!.x, 250)
})

test('undo does not resurrect a shape someone else deleted', () => {
  const a = makeClient()
  const b = makeClient()
  connect(a.doc, b.doc)
  const ha = withHistory(a)
  ha.act(() => a.store.put([geoShape(a.store, 's')]))
  ha.act(() => move(a, 's', 100))
  b.store.remove([createShapeId('s')])
  b.runFrames()

  ha.undo()
  for (const client of [a, b]) assert.equal(shapeIn(client, 's'), undefined)
})

test('undo of my own deletion brings my shape back for everyone', () => {
  const a = makeClient()
  const b = makeClient()
  connect(a.doc, b.doc)
  const ha = withHistory(a)
  ha.act(() => a.store.put([geoShape(a.store, 's')]))
  ha.act(() => a.store.remove([createShapeId('s')]))
  assert.equal(shapeIn(b, 's'), undefined)

  ha.undo()
  for (const client of [a, b]) assert.ok(shapeIn(client, 's'))
})
