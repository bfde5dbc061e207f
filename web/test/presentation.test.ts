import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { findPresenter, isPresentingState, PRESENTING_FIELD, slideLabel, slideOrder, stepSlide } from '../src/board/presentation.ts'
import { PRESENCE_FIELD } from '../src/board/presence.ts'

const presence = (name: string) => ({ typeName: 'instance_presence', userId: `user:${name}`, userName: name, color: '#123456' })

test('findPresenter: nobody presents until someone with a presence record sets the field', () => {
  const states = new Map<number, Record<string, unknown>>([
    [1, { [PRESENCE_FIELD]: presence('ann') }],
    [2, { [PRESENCE_FIELD]: presence('bob') }],
  ])
  assert.equal(findPresenter(states), null)
  // Presenting without a presence record cannot be followed: ignored.
  states.set(3, { [PRESENTING_FIELD]: { since: 5, slide: null } })
  assert.equal(findPresenter(states), null)
  states.set(2, { [PRESENCE_FIELD]: presence('bob'), [PRESENTING_FIELD]: { since: 10, slide: 'shape:f1' } })
  assert.deepEqual(findPresenter(states), {
    clientId: 2,
    userId: 'user:bob',
    userName: 'bob',
    color: '#123456',
    since: 10,
    slide: 'shape:f1',
    key: '2:10',
  })
})

test('findPresenter: the later start takes over; equal starts pick the lower client id everywhere', () => {
  const states = new Map<number, Record<string, unknown>>([
    [7, { [PRESENCE_FIELD]: presence('ann'), [PRESENTING_FIELD]: { since: 10, slide: null } }],
    [4, { [PRESENCE_FIELD]: presence('bob'), [PRESENTING_FIELD]: { since: 20, slide: null } }],
  ])
  assert.equal(findPresenter(states)?.userName, 'bob')
  states.set(4, { [PRESENCE_FIELD]: presence('bob'), [PRESENTING_FIELD]: { since: 10, slide: null } })
  assert.equal(findPresenter(states)?.clientId, 4)
  // Stopping (null) hands the room back to whoever still presents.
  states.set(4, { [PRESENCE_FIELD]: presence('bob'), [PRESENTING_FIELD]: null })
  assert.equal(findPresenter(states)?.userName, 'ann')
})

test('isPresentingState rejects what another version might send', () => {
  assert.equal(isPresentingState({ since: 1, slide: null }), true)
  assert.equal(isPresentingState({ since: 1 }), true)
  for (const bad of [null, true, 'yes', { since: '1' }, { since: Number.NaN }, { since: 1, slide: 3 }]) {
    assert.equal(isPresentingState(bad), false, JSON.stringify(bad))
  }
})

test('findPresenter reads real awareness states, including a late joiner that only receives them', () => {
  const doc = new Y.Doc()
  const awareness = new Awareness(doc)
  awareness.setLocalState({ [PRESENCE_FIELD]: presence('ann') })
  awareness.setLocalStateField(PRESENTING_FIELD, { since: 3, slide: null })
  const found = findPresenter(awareness.getStates())
  assert.equal(found?.clientId, doc.clientID)
  awareness.setLocalStateField(PRESENTING_FIELD, null)
  assert.equal(findPresenter(awareness.getStates()), null)
  awareness.destroy()
})

test('slides follow the reading order of frames: rows top to bottom, left to right within a row', () => {
  const frames = [
    { id: 'c', x: 0, y: 600, w: 400, h: 300 },
    { id: 'b', x: 500, y: 10, w: 400, h: 300 },
    { id: 'a', x: 0, y: 0, w: 400, h: 300 },
  ]
  assert.deepEqual(slideOrder(frames), ['a', 'b', 'c'])
})

test('stepSlide: first step from nowhere, no wrap-around at the ends, a deleted slide restarts', () => {
  const order = ['a', 'b', 'c']
  assert.equal(stepSlide(order, null, 1), 'a')
  assert.equal(stepSlide(order, null, -1), 'c')
  assert.equal(stepSlide(order, 'a', 1), 'b')
  assert.equal(stepSlide(order, 'b', -1), 'a')
  assert.equal(stepSlide(order, 'c', 1), null)
  assert.equal(stepSlide(order, 'a', -1), null)
  assert.equal(stepSlide(order, 'gone', 1), 'a')
  assert.equal(stepSlide([], null, 1), null)
  assert.equal(slideLabel(order, 'b'), '2 / 3')
  assert.equal(slideLabel(order, null), '')
})
