import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { atom } from '@tldraw/state'
import { InstancePresenceRecordType, createUserId, type TLInstancePresence } from '@tldraw/tlschema'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { presenceIdFor, syncPresence } from '../src/board/presence.ts'
import { createHeadlessStore } from '../src/board/headlessStore.ts'

function presence(name: string, x: number): TLInstancePresence {
  return InstancePresenceRecordType.create({
    id: InstancePresenceRecordType.createId('local'),
    userId: createUserId(name),
    userName: name,
    color: '#ff0000',
    currentPageId: 'page:page' as never,
    cursor: { x, y: 10, type: 'default', rotation: 0 },
    lastActivityTimestamp: 1,
  })
}

/** Relays awareness updates between two peers, as the server does. */
function relay(a: Awareness, b: Awareness) {
  const forward = (from: Awareness, to: Awareness) => ({ added, updated, removed }: Record<string, number[]>, origin: unknown) => {
    if (origin === 'relay') return
    applyAwarenessUpdate(to, encodeAwarenessUpdate(from, [...added, ...updated, ...removed]), 'relay')
  }
  a.on('update', forward(a, b))
  b.on('update', forward(b, a))
}

test('a peer\'s cursor, name and colour appear as a presence record and vanish when its awareness goes', async (t) => {
  const awarenessA = new Awareness(new Y.Doc())
  const awarenessB = new Awareness(new Y.Doc())
  t.after(() => {
    awarenessA.destroy()
    awarenessB.destroy()
  })
  relay(awarenessA, awarenessB)
  const storeA = createHeadlessStore()
  const storeB = createHeadlessStore()
  const localA = atom('a', presence('alice', 1))
  const stopA = syncPresence({ store: storeA, awareness: awarenessA, localPresence: localA, throttleMs: 0 })
  const stopB = syncPresence({ store: storeB, awareness: awarenessB, localPresence: atom('b', presence('bob', 2)), throttleMs: 0 })

  await sleep(5)
  const seen = storeB.get(presenceIdFor(awarenessA.clientID))
  assert.equal(seen?.userName, 'alice')
  assert.equal(seen?.color, '#ff0000')
  assert.deepEqual(seen?.cursor, { x: 1, y: 10, type: 'default', rotation: 0 })
  assert.equal(storeA.get(presenceIdFor(awarenessA.clientID)), undefined, 'we do not see ourselves as a peer')

  localA.set(presence('alice', 42))
  await sleep(5)
  assert.equal(storeB.get(presenceIdFor(awarenessA.clientID))?.cursor?.x, 42)

  removeAwarenessStates(awarenessA, [awarenessA.clientID], 'tab closed')
  assert.equal(storeB.get(presenceIdFor(awarenessA.clientID)), undefined)
  stopA()
  stopB()
})

test('cursor broadcasts are throttled', async (t) => {
  const awareness = new Awareness(new Y.Doc())
  t.after(() => awareness.destroy())
  const store = createHeadlessStore()
  const local = atom('local', presence('carol', 0))
  let broadcasts = 0
  awareness.on('change', () => broadcasts++)
  const stop = syncPresence({ store, awareness, localPresence: local, throttleMs: 40 })
  broadcasts = 0
  for (let x = 1; x <= 30; x++) {
    local.set(presence('carol', x))
    await sleep(2)
  }
  await sleep(60)
  assert.ok(broadcasts <= 4, `${broadcasts} broadcasts for 30 moves in ~60 ms`)
  assert.equal((awareness.getLocalState()?.presence as TLInstancePresence).cursor?.x, 30, 'the last position is always sent')
  stop()
})
