import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { atom } from '@tldraw/state'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { mountPresentation, type PresentationEditor } from '../src/app/presentationController.ts'
import { PRESENCE_FIELD } from '../src/board/presence.ts'
import { PRESENTING_FIELD } from '../src/board/presentation.ts'

interface Box {
  id: string
  x: number
  y: number
  w: number
  h: number
}

/** Every awareness made here: each runs a timer, which would keep the test process alive. */
const made: Awareness[] = []
after(() => made.forEach((awareness) => awareness.destroy()))

/** A room: awareness updates reach every other peer at once, as the server relays them. */
function room() {
  const peers: Awareness[] = []
  const join = (name: string) => {
    const awareness = new Awareness(new Y.Doc())
    made.push(awareness)
    awareness.setLocalState({ [PRESENCE_FIELD]: { typeName: 'instance_presence', userId: `user:${name}`, userName: name, color: '#123456' } })
    // A late joiner gets everyone's state first (the server answers its sync), then live updates both ways.
    for (const other of peers) applyAwarenessUpdate(awareness, encodeAwarenessUpdate(other, [...other.getStates().keys()]), 'relay')
    for (const other of peers) applyAwarenessUpdate(other, encodeAwarenessUpdate(awareness, [awareness.clientID]), 'relay')
    awareness.on('update', ({ added, updated, removed }: Record<string, number[]>, origin: unknown) => {
      if (origin === 'relay') return
      const update = encodeAwarenessUpdate(awareness, [...added, ...updated, ...removed])
      for (const other of peers) if (other !== awareness) applyAwarenessUpdate(other, update, 'relay')
    })
    peers.push(awareness)
    return awareness
  }
  const leave = (awareness: Awareness) => {
    peers.splice(peers.indexOf(awareness), 1)
    for (const other of peers) removeAwarenessStates(other, [awareness.clientID], 'relay')
  }
  return { join, leave }
}

/**
 * The editor calls a presentation makes, with tldraw's rule that following needs the leader's presence record (here:
 * their awareness state, which Scrawl's presence sync turns into that record).
 */
function fakeEditor(awareness: Awareness, frames: Box[] = []) {
  const instance = atom('instance', { followingUserId: null as string | null })
  const zooms: Array<{ x: number; y: number }> = []
  const known = () => new Set([...awareness.getStates().values()].map((state) => (state[PRESENCE_FIELD] as { userId: string }).userId))
  const bounds = (shape: string | { id: string }) => frames.find((f) => f.id === (typeof shape === 'string' ? shape : shape.id))
  const editor = {
    getInstanceState: () => instance.get(),
    startFollowingUser(userId: string) {
      if (known().has(userId)) instance.set({ followingUserId: userId })
      return editor
    },
    stopFollowingUser() {
      instance.set({ followingUserId: null })
      return editor
    },
    getCurrentPageShapes: () => frames.map((f) => ({ ...f, type: 'frame' })),
    getShapePageBounds: bounds,
    zoomToBounds(box: { x: number; y: number }) {
      zooms.push({ x: box.x, y: box.y })
      return editor
    },
    getEditingShapeId: () => null,
  }
  return { editor: editor as unknown as PresentationEditor, zooms, following: () => instance.get().followingUserId }
}

const FRAMES: Box[] = [
  { id: 'shape:c', x: 0, y: 900, w: 400, h: 300 },
  { id: 'shape:b', x: 600, y: 10, w: 400, h: 300 },
  { id: 'shape:a', x: 0, y: 0, w: 400, h: 300 },
]

test('everyone follows the presenter, a late joiner too; Stop releases them', async () => {
  const { join } = room()
  const ann = join('ann')
  const bob = join('bob')
  const a = fakeEditor(ann, FRAMES)
  const b = fakeEditor(bob)
  const presA = mountPresentation(a.editor, ann, null)
  const presB = mountPresentation(b.editor, bob, null)
  assert.equal(presB.view.get().presenter, null)

  presA.start()
  assert.equal(presA.view.get().presenting, true)
  assert.equal(b.following(), 'user:ann')
  assert.deepEqual({ ...presB.view.get(), presenter: presB.view.get().presenter?.userName }, {
    presenter: 'ann',
    presenting: false,
    following: true,
    slideLabel: '',
    slideCount: 0,
  })

  const cara = join('cara')
  const c = fakeEditor(cara)
  const presC = mountPresentation(c.editor, cara, null)
  assert.equal(c.following(), 'user:ann')
  assert.equal(presC.view.get().following, true)

  presA.stop()
  assert.equal(b.following(), null)
  assert.equal(c.following(), null)
  assert.equal(presB.view.get().presenter, null)
  for (const p of [presA, presB, presC]) p.dispose()
})

test('next and previous go through frames in reading order; the slide reaches followers', () => {
  const { join } = room()
  const ann = join('ann')
  const bob = join('bob')
  const a = fakeEditor(ann, FRAMES)
  const presA = mountPresentation(a.editor, ann, null)
  const presB = mountPresentation(fakeEditor(bob).editor, bob, null)
  presA.next() // not presenting: nothing
  assert.equal(a.zooms.length, 0)
  presA.start()
  assert.equal(presA.view.get().slideCount, 3)
  presA.next()
  presA.next()
  presA.next()
  presA.next() // past the last: stays
  presA.previous()
  assert.deepEqual(a.zooms, [
    { x: 0, y: 0 },
    { x: 600, y: 10 },
    { x: 0, y: 900 },
    { x: 600, y: 10 },
  ])
  assert.equal(presA.view.get().slideLabel, '2 / 3')
  assert.equal(presB.view.get().presenter?.slide, 'shape:b')
  presA.dispose()
  presB.dispose()
})

test('leaving is respected until the next presentation; Follow rejoins', async () => {
  const { join } = room()
  const ann = join('ann')
  const bob = join('bob')
  const presA = mountPresentation(fakeEditor(ann, FRAMES).editor, ann, null)
  const b = fakeEditor(bob)
  const presB = mountPresentation(b.editor, bob, null)
  presA.start()
  presB.leave()
  assert.equal(b.following(), null)
  presA.next() // the presenter's awareness changes: Bob is not pulled back
  assert.equal(b.following(), null)
  assert.deepEqual([presB.view.get().following, presB.view.get().presenter?.userName], [false, 'ann'])
  presB.rejoin()
  assert.equal(b.following(), 'user:ann')
  presB.leave()
  presA.stop()
  await sleep(2)
  presA.start() // a new presentation: Bob follows again
  assert.equal(b.following(), 'user:ann')
  presA.dispose()
  presB.dispose()
})

test('a later Present takes over the room; a presenter who goes away releases followers', async () => {
  const { join, leave } = room()
  const ann = join('ann')
  const bob = join('bob')
  const cara = join('cara')
  const a = fakeEditor(ann)
  const b = fakeEditor(bob)
  const c = fakeEditor(cara)
  const presA = mountPresentation(a.editor, ann, null)
  const presB = mountPresentation(b.editor, bob, null)
  const presC = mountPresentation(c.editor, cara, null)
  presA.start()
  await sleep(2)
  presB.start()
  await sleep(0) // Ann's presentation ends outside the awareness event
  assert.equal(ann.getLocalState()?.[PRESENTING_FIELD], null)
  assert.equal(presA.view.get().presenting, false)
  assert.equal(a.following(), 'user:bob')
  assert.equal(c.following(), 'user:bob')
  assert.equal(presB.view.get().presenting, true)

  leave(bob)
  assert.equal(a.following(), null)
  assert.equal(c.following(), null)
  assert.equal(presC.view.get().presenter, null)
  for (const p of [presA, presB, presC]) p.dispose()
})

test('a presence replaced wholesale (back/forward cache) says it is presenting again', async () => {
  const { join } = room()
  const ann = join('ann')
  const bob = join('bob')
  const presA = mountPresentation(fakeEditor(ann).editor, ann, null)
  const b = fakeEditor(bob)
  const presB = mountPresentation(b.editor, bob, null)
  presA.start()
  ann.setLocalState({ [PRESENCE_FIELD]: ann.getLocalState()?.[PRESENCE_FIELD] })
  await sleep(0)
  assert.equal(typeof (ann.getLocalState()?.[PRESENTING_FIELD] as { since?: number } | undefined)?.since, 'number')
  assert.equal(presB.view.get().presenter?.userName, 'ann')
  presA.dispose()
  assert.equal(b.following(), null)
  presB.dispose()
})
