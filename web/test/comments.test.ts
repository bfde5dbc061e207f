import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'
import {
  commentsMap,
  createThread,
  deleteMessage,
  detachThreadsFromShapes,
  editMessage,
  isThreadVisible,
  moveThread,
  readThread,
  readThreads,
  reopenThread,
  reply,
  resolveThread,
} from '../src/board/comments.ts'
import { anchorAt, pinPagePoint, type ShapeFrame } from '../src/board/commentsAnchor.ts'
import { createUnreadTracker, seenStorageKey } from '../src/board/commentsUnread.ts'
import { commentIdFromUrl, commentLink } from '../src/comments/deepLink.ts'
import { connect } from './helpers.ts'

const ann = { id: 'ann@example.com', name: 'Ann' }
const bob = { id: 'user:bob', name: 'Bob' }
const point = { type: 'point' as const, x: 10, y: 20 }

/** A shape of size w x h at (x, y) rotated by `rotation` radians about its origin, as the editor would describe it. */
function frame(shape: { x: number; y: number; w: number; h: number; rotation?: number }): ShapeFrame {
  const cos = Math.cos(shape.rotation ?? 0)
  const sin = Math.sin(shape.rotation ?? 0)
  return {
    bounds: { x: 0, y: 0, w: shape.w, h: shape.h },
    toPage: (p) => ({ x: shape.x + p.x * cos - p.y * sin, y: shape.y + p.x * sin + p.y * cos }),
    toLocal: (p) => {
      const dx = p.x - shape.x
      const dy = p.y - shape.y
      return { x: dx * cos + dy * sin, y: -dx * sin + dy * cos }
    },
  }
}

const close = (actual: { x: number; y: number }, expected: { x: number; y: number }) => {
  assert.ok(Math.abs(actual.x - expected.x) < 1e-9 && Math.abs(actual.y - expected.y) < 1e-9, `${JSON.stringify(actual)} != ${JSON.stringify(expected)}`)
}

test('create, reply, edit and delete your own, resolve and reopen', () => {
  const doc = new Y.Doc()
  const id = createThread(doc, { pageId: 'page:page', anchor: point, author: ann, text: '  Is this the final colour?  ', now: 1000 })
  assert.match(id, /^[a-z0-9]{12}$/)
  const replyId = reply(doc, id, { author: bob, text: 'Not yet', now: 2000 })
  assert.ok(replyId)
  let thread = readThread(doc, id)!
  assert.equal(thread.pageId, 'page:page')
  assert.deepEqual(thread.createdBy, ann)
  assert.deepEqual(thread.messages.map((m) => [m.authorName, m.text]), [['Ann', 'Is this the final colour?'], ['Bob', 'Not yet']])
  assert.equal(thread.updatedAt, 2000)

  // Only the author edits or deletes a message.
  assert.equal(editMessage(doc, id, replyId!, { author: ann, text: 'hijacked' }), false)
  assert.equal(deleteMessage(doc, id, replyId!, { author: ann }), false)
  assert.equal(editMessage(doc, id, replyId!, { author: bob, text: 'Not yet: blue', now: 3000 }), true)
  thread = readThread(doc, id)!
  assert.deepEqual([thread.messages[1].text, thread.messages[1].editedAt], ['Not yet: blue', 3000])
  assert.equal(deleteMessage(doc, id, replyId!, { author: bob, now: 4000 }), true)
  thread = readThread(doc, id)!
  assert.deepEqual([thread.messages[1].deleted, thread.messages[1].text], [true, ''])
  assert.equal(editMessage(doc, id, replyId!, { author: bob, text: 'back' }), false, 'a deleted message stays deleted')
  assert.equal(isThreadVisible(thread), true)

  assert.throws(() => reply(doc, id, { author: bob, text: '   ' }), /needs some text/)
  assert.equal(reply(doc, 'no-such-thread', { author: bob, text: 'hi' }), null)

  assert.equal(resolveThread(doc, id, { author: bob, now: 5000 }), true)
  assert.deepEqual(readThread(doc, id)!.resolved, { at: 5000, by: bob })
  assert.equal(reopenThread(doc, id, { author: ann, now: 6000 }), true)
  assert.equal(readThread(doc, id)!.resolved, null)

  // A thread whose every message is deleted is no longer shown.
  assert.equal(deleteMessage(doc, id, thread.messages[0].id, { author: ann }), true)
  assert.equal(isThreadVisible(readThread(doc, id)!), false)
})

test('concurrent changes by two documents converge and keep every reply', () => {
  const a = new Y.Doc()
  const b = new Y.Doc()
  const disconnect = connect(a, b)
  const id = createThread(a, { pageId: 'page:page', anchor: point, author: ann, text: 'Start', now: 1 })
  const first = readThread(b, id)!.messages[0].id
  disconnect()
  // Offline from each other: both reply, Ann edits her message while Bob resolves, and both move the pin.
  reply(a, id, { author: ann, text: 'from Ann', now: 2 })
  reply(b, id, { author: bob, text: 'from Bob', now: 2 })
  editMessage(a, id, first, { author: ann, text: 'Start (edited)', now: 3 })
  resolveThread(b, id, { author: bob, now: 3 })
  reopenThread(a, id, { author: ann, now: 4 })
  const otherThread = createThread(b, { pageId: 'page:page', anchor: point, author: bob, text: 'Elsewhere', now: 5 })
  const annsSpot = { type: 'point' as const, x: 300, y: 40 }
  const bobsSpot = anchorAt({ x: 150, y: 150 }, { id: 'shape:box', frame: frame({ x: 100, y: 100, w: 200, h: 100 }) })
  assert.equal(moveThread(a, id, { pageId: 'page:page', anchor: annsSpot }), true)
  assert.equal(moveThread(b, id, { pageId: 'page:other', anchor: bobsSpot }), true)
  assert.equal(moveThread(b, 'no-such-thread', { pageId: 'page:page', anchor: point }), false)
  connect(a, b)
  assert.deepEqual(readThreads(a), readThreads(b), 'both documents read the same threads')
  const thread = readThread(a, id)!
  assert.deepEqual(thread.messages.map((m) => m.text).sort(), ['Start (edited)', 'from Ann', 'from Bob'].sort())
  assert.equal(thread.messages[0].text, 'Start (edited)')
  // Resolve and reopen raced: one of them won as a whole (the flag, who and when together).
  assert.ok(thread.resolved === null || (thread.resolved.by.id === bob.id && thread.resolved.at === 3))
  assert.ok(readThread(a, otherThread))
  // Both moved the pin: one of the two moves won, its anchor and page together (each writer set both keys, and Yjs
  // settles both keys between the same two writers the same way).
  const won = JSON.stringify({ anchor: thread.anchor, pageId: thread.pageId })
  assert.ok(
    [JSON.stringify({ anchor: annsSpot, pageId: 'page:page' }), JSON.stringify({ anchor: bobsSpot, pageId: 'page:other' })].includes(won),
    won,
  )
})

test('a foreign writer\'s unreadable thread is skipped, not fatal', () => {
  const doc = new Y.Doc()
  commentsMap(doc).set('junk', 'not a thread')
  const broken = new Y.Map<unknown>()
  commentsMap(doc).set('broken', broken)
  broken.set('pageId', 42)
  createThread(doc, { pageId: 'page:page', anchor: point, author: ann, text: 'fine' })
  assert.equal(readThreads(doc).length, 1)
  assert.equal(readThread(doc, 'junk'), null)
})

test('a pin on a shape follows it as it moves, resizes and rotates', () => {
  const shape = { x: 100, y: 100, w: 200, h: 100 }
  const anchor = anchorAt({ x: 250, y: 125 }, { id: 'shape:box', frame: frame(shape) })
  assert.deepEqual(anchor, { type: 'shape', shapeId: 'shape:box', x: 0.75, y: 0.25, pageX: 250, pageY: 125 })
  const at = (s: typeof shape & { rotation?: number }) => pinPagePoint(anchor, (id) => (id === 'shape:box' ? frame(s) : null))
  close(at(shape), { x: 250, y: 125 })
  close(at({ ...shape, x: 400 }), { x: 550, y: 125 })
  close(at({ ...shape, w: 400, h: 200 }), { x: 400, y: 150 })
  close(at({ ...shape, rotation: Math.PI / 2 }), { x: 100 - 25, y: 100 + 150 })
  // A point pin stays put; a pin outside a shape's bounds is clamped onto it.
  close(pinPagePoint(point, () => null), { x: 10, y: 20 })
  assert.equal((anchorAt({ x: 900, y: 125 }, { id: 'shape:box', frame: frame(shape) }) as { x: number }).x, 1)
})

test('deleting a shape leaves its threads where it was; undoing the deletion puts them back on it', () => {
  const a = new Y.Doc()
  const b = new Y.Doc()
  connect(a, b)
  let shape = { x: 100, y: 100, w: 200, h: 100 }
  const frames = new Map([['shape:box', () => frame(shape)]])
  const frameOf = (id: string) => frames.get(id)?.() ?? null
  const onShape = createThread(a, { pageId: 'page:page', anchor: anchorAt({ x: 150, y: 150 }, { id: 'shape:box', frame: frame(shape) }), author: ann, text: 'on the box' })
  const onPage = createThread(a, { pageId: 'page:page', anchor: point, author: ann, text: 'on the page' })
  shape = { ...shape, x: 300 }
  const before = pinPagePoint(readThread(b, onShape)!.anchor, frameOf)
  close(before, { x: 350, y: 150 })

  // The deleting client detaches the threads, with the pin's last position.
  const changed = detachThreadsFromShapes(a, new Set(['shape:box']), (_id, anchor) => pinPagePoint(anchor, frameOf))
  frames.delete('shape:box')
  assert.deepEqual(changed, [onShape])
  const detached = readThread(b, onShape)!
  assert.equal(detached.anchor.type, 'point')
  close(pinPagePoint(detached.anchor, frameOf), before)
  assert.deepEqual(readThread(b, onPage)!.anchor, point, 'other threads are untouched')
  assert.equal(isThreadVisible(detached), true, 'the conversation is kept')

  // Undo brings the shape back (maybe moved): the pin rides on it again.
  shape = { ...shape, x: 0 }
  frames.set('shape:box', () => frame(shape))
  close(pinPagePoint(readThread(b, onShape)!.anchor, frameOf), { x: 50, y: 150 })

  // Deleted by a client that knows nothing of comments (a Node script): the pin falls back to where it was dropped.
  const stale = createThread(a, { pageId: 'page:page', anchor: anchorAt({ x: 20, y: 120 }, { id: 'shape:box', frame: frame(shape) }), author: ann, text: 'x' })
  frames.delete('shape:box')
  close(pinPagePoint(readThread(a, stale)!.anchor, frameOf), { x: 20, y: 120 })
})

test('unread: others\' new and edited messages, per browser, never your own', () => {
  const doc = new Y.Doc()
  const storage = new Map<string, string>()
  const localStorageLike = { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v) }
  const annTracker = createUnreadTracker('room1', localStorageLike, () => new Set([ann.id]))
  const id = createThread(doc, { pageId: 'page:page', anchor: point, author: ann, text: 'Mine', now: 1 })
  assert.equal(annTracker.count(readThread(doc, id)!), 0, 'your own message is not unread')
  const replyId = reply(doc, id, { author: bob, text: 'Reply', now: 2 })!
  assert.equal(annTracker.count(readThread(doc, id)!), 1)
  annTracker.markSeen(readThread(doc, id)!)
  assert.equal(annTracker.count(readThread(doc, id)!), 0)
  assert.ok(storage.has(seenStorageKey('room1')))

  // Seen state survives a reload (a new tracker over the same storage), and is per board.
  const reloaded = createUnreadTracker('room1', localStorageLike, () => new Set([ann.id]))
  assert.equal(reloaded.count(readThread(doc, id)!), 0)
  assert.equal(createUnreadTracker('room2', localStorageLike, () => new Set([ann.id])).count(readThread(doc, id)!), 1)

  // An edit is news; a reply written on a clock that runs late is too; a deleted message is not.
  editMessage(doc, id, replyId, { author: bob, text: 'Reply, edited', now: 3 })
  reply(doc, id, { author: bob, text: 'From the past', now: -5 })
  assert.equal(reloaded.count(readThread(doc, id)!), 2)
  deleteMessage(doc, id, replyId, { author: bob })
  assert.equal(reloaded.count(readThread(doc, id)!), 1)

  // Broken storage does not break the board.
  const broken = { getItem: () => '{not json', setItem: () => { throw new Error('quota') } }
  const tracker = createUnreadTracker('room1', broken, () => new Set())
  assert.equal(tracker.count(readThread(doc, id)!), 2)
  tracker.markSeen(readThread(doc, id)!)
  assert.equal(tracker.count(readThread(doc, id)!), 0)
})

test('deep links: ?comment=ID is read back, junk is ignored, and a copied link never carries a token', () => {
  assert.equal(commentIdFromUrl('https://board.example.com/b/room1?comment=k2m9x0c4qz7a'), 'k2m9x0c4qz7a')
  assert.equal(commentIdFromUrl('https://board.example.com/b/room1?token=abc&comment=k2m9x0c4qz7a'), 'k2m9x0c4qz7a')
  assert.equal(commentIdFromUrl('https://board.example.com/b/room1'), null)
  assert.equal(commentIdFromUrl('https://board.example.com/b/room1?comment=%3Cscript%3E'), null)
  assert.equal(commentLink('https://board.example.com/', 'room1', 'k2m9x0c4qz7a'), 'https://board.example.com/b/room1?comment=k2m9x0c4qz7a')
  const id = createThread(new Y.Doc(), { pageId: 'page:page', anchor: point, author: ann, text: 'x' })
  assert.equal(commentIdFromUrl(commentLink('http://127.0.0.1:1234', 'room1', id)), id, 'a new thread id survives the round trip')
})
