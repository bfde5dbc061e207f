import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { forwardRawUpdates, syncUpdateOf } from '../src/sync/rawUpdates.ts'

const provider = { name: 'provider' }

/** A document with `n` records of some text each, as one update. */
function boardUpdate(n: number): Uint8Array {
  const doc = new Y.Doc()
  const records = doc.getMap('records')
  doc.transact(() => {
    for (let i = 0; i < n; i++) {
      const record = new Y.Map<unknown>()
      record.set('id', `shape:${i}`)
      record.set('text', `label number ${i} `.repeat(4))
      records.set(`shape:${i}`, record)
    }
  })
  return Y.encodeStateAsUpdate(doc)
}

function listen(doc: Y.Doc) {
  const calls: Array<{ update: Uint8Array; origin: unknown }> = []
  doc.on('update', (update: Uint8Array, origin: unknown) => calls.push({ update, origin }))
  return calls
}

test('a large remote update reaches the update listeners as received, not encoded again', () => {
  const raw = boardUpdate(2_000)
  assert.ok(raw.byteLength > 64 * 1024)
  const doc = new Y.Doc()
  const calls = listen(doc)
  const forwarding = forwardRawUpdates(doc, provider)
  forwarding.noteIncoming(raw)
  Y.applyUpdate(doc, raw, provider)
  assert.equal(calls.length, 1)
  assert.equal(calls[0]!.update, raw, 'the very bytes received')
  assert.equal(calls[0]!.origin, provider)
  assert.equal(forwarding.forwarded, 1)
  assert.equal(doc.getMap('records').size, 2_000)

  // A copy built from what the listener got is the same document.
  const copy = new Y.Doc()
  Y.applyUpdate(copy, calls[0]!.update)
  assert.deepEqual(copy.getMap('records').toJSON(), doc.getMap('records').toJSON())

  // The listeners are back: a local change is encoded for them as usual.
  doc.getMap('records').delete('shape:0')
  assert.equal(calls.length, 2)
  assert.equal(calls[1]!.origin, null)
  Y.applyUpdate(copy, calls[1]!.update)
  assert.equal(copy.getMap('records').size, 1_999)
  forwarding.dispose()
})

test('a change an observer makes while the remote update is applied still reaches the listeners', () => {
  const raw = boardUpdate(2_000)
  const doc = new Y.Doc()
  const calls = listen(doc)
  const forwarding = forwardRawUpdates(doc, provider)
  // E.g. the binding writing back a migrated record in reaction to the remote change.
  doc.getMap('records').observe((_event, transaction) => {
    if (transaction.origin === provider) doc.getMap('meta').set('migrated', true)
  })
  forwarding.noteIncoming(raw)
  Y.applyUpdate(doc, raw, provider)
  assert.equal(calls.filter((c) => c.update === raw).length, 1)
  const local = calls.filter((c) => c.origin !== provider)
  assert.equal(local.length, 1, 'the local change was encoded and emitted')
  const copy = new Y.Doc()
  for (const { update } of calls) Y.applyUpdate(copy, update)
  assert.equal(copy.getMap('meta').get('migrated'), true)
  assert.equal(copy.getMap('records').size, 2_000)
  forwarding.dispose()
})

test('small updates, other origins and updates not announced are left to Yjs', () => {
  const doc = new Y.Doc()
  const calls = listen(doc)
  const forwarding = forwardRawUpdates(doc, provider)
  const small = boardUpdate(3)
  forwarding.noteIncoming(small)
  Y.applyUpdate(doc, small, provider)
  assert.equal(calls.length, 1)
  assert.notEqual(calls[0]!.update, small)

  const big = boardUpdate(2_000)
  forwarding.noteIncoming(big)
  Y.applyUpdate(doc, big, 'someone else')
  assert.notEqual(calls[1]!.update, big)

  forwarding.noteIncoming(big)
  forwarding.noteIncoming(null)
  Y.applyUpdate(new Y.Doc(), big, provider)
  const other = new Y.Doc()
  const otherCalls = listen(other)
  forwardRawUpdates(other, provider)
  Y.applyUpdate(other, big, provider)
  assert.notEqual(otherCalls[0]!.update, big, 'nothing announced: encoded by Yjs')
  assert.equal(forwarding.forwarded, 0)
  forwarding.dispose()
})

test('an update that brings nothing new is not forwarded, and the listeners come back', () => {
  const raw = boardUpdate(2_000)
  const doc = new Y.Doc()
  Y.applyUpdate(doc, raw)
  const calls = listen(doc)
  const forwarding = forwardRawUpdates(doc, provider)
  forwarding.noteIncoming(raw)
  Y.applyUpdate(doc, raw, provider)
  assert.equal(calls.length, 0)
  doc.getMap('meta').set('x', 1)
  assert.equal(calls.length, 1)
  forwarding.dispose()
})

test("syncUpdateOf finds the update in a Hocuspocus sync message and nothing in others", () => {
  const update = boardUpdate(10)
  const message = (write: (encoder: encoding.Encoder) => void) => {
    const encoder = encoding.createEncoder()
    encoding.writeVarString(encoder, 'room-ü-1')
    write(encoder)
    return encoding.toUint8Array(encoder)
  }
  const step2 = message((e) => (encoding.writeVarUint(e, 0), syncProtocol.writeSyncStep2(e, (() => { const d = new Y.Doc(); Y.applyUpdate(d, update); return d })())))
  const found = syncUpdateOf(step2)
  assert.ok(found)
  const copy = new Y.Doc()
  Y.applyUpdate(copy, found)
  assert.equal(copy.getMap('records').size, 10)

  const live = message((e) => (encoding.writeVarUint(e, 0), syncProtocol.writeUpdate(e, update)))
  assert.deepEqual(syncUpdateOf(live), update)
  const step1 = message((e) => (encoding.writeVarUint(e, 0), syncProtocol.writeSyncStep1(e, new Y.Doc())))
  assert.equal(syncUpdateOf(step1), null)
  const awareness = message((e) => (encoding.writeVarUint(e, 1), encoding.writeVarUint8Array(e, new Uint8Array([1, 2, 3]))))
  assert.equal(syncUpdateOf(awareness), null)
  assert.equal(syncUpdateOf(new Uint8Array([5, 1, 2])), null, 'truncated')
})
