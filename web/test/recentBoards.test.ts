import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  RECENT_BOARDS_CAP,
  RECENT_BOARDS_KEY,
  createRecentBoardsStore,
  parseRecentBoards,
  withBoardOpened,
  withBoardTitle,
  withoutBoard,
} from '../src/boards/recentBoards.ts'

function memoryStorage(initial?: string) {
  const items = new Map<string, string>(initial === undefined ? [] : [[RECENT_BOARDS_KEY, initial]])
  return { getItem: (key: string) => items.get(key) ?? null, setItem: (key: string, value: string) => void items.set(key, value), items }
}

test('opening a board puts it first, once, keeping its title; the list stops at the cap', () => {
  let list = withBoardOpened([], 'a', 1)
  list = withBoardOpened(list, 'b', 2, 'Bee')
  list = withBoardOpened(list, 'a', 3)
  assert.deepEqual(list, [
    { id: 'a', openedAt: 3, title: '' },
    { id: 'b', openedAt: 2, title: 'Bee' },
  ])
  assert.equal(withBoardOpened(list, 'b', 4)[0].title, 'Bee', 'a reopen without a title keeps the known one')

  let many: ReturnType<typeof withBoardOpened> = []
  for (let i = 0; i < RECENT_BOARDS_CAP + 25; i++) many = withBoardOpened(many, `board${i}`, i)
  assert.equal(many.length, RECENT_BOARDS_CAP)
  assert.equal(many[0].id, `board${RECENT_BOARDS_CAP + 24}`, 'newest first')
  assert.ok(!many.some((b) => b.id === 'board0'), 'the oldest fell off')
})

test('a rename updates the title in place without making the board "opened"; forgetting removes it', () => {
  const list = [
    { id: 'a', openedAt: 5, title: 'Old' },
    { id: 'b', openedAt: 4, title: '' },
  ]
  assert.deepEqual(withBoardTitle(list, 'b', 'New'), [list[0], { id: 'b', openedAt: 4, title: 'New' }])
  assert.equal(withBoardTitle(list, 'a', 'Old')[0], list[0], 'an unchanged title keeps the same entry')
  assert.deepEqual(withBoardTitle(list, 'zzz', 'x'), list)
  assert.deepEqual(withoutBoard(list, 'a'), [list[1]])
})

test('a stored list is read defensively: junk, bad ids, duplicates and bad times are dropped, order restored', () => {
  assert.deepEqual(parseRecentBoards(null), [])
  assert.deepEqual(parseRecentBoards('not json'), [])
  assert.deepEqual(parseRecentBoards('{"id":"a"}'), [])
  const raw = JSON.stringify([
    { id: 'old', openedAt: 1 },
    { id: 'new', openedAt: 9, title: 'T' },
    { id: 'new', openedAt: 3 },
    { id: 'bad id!', openedAt: 4 },
    { id: 'x', openedAt: 'yesterday' },
    null,
    'y',
  ])
  assert.deepEqual(parseRecentBoards(raw), [
    { id: 'new', openedAt: 9, title: 'T' },
    { id: 'old', openedAt: 1, title: '' },
  ])
})

test('the store reads and writes localStorage under scrawl.recentBoards, and survives broken storage', () => {
  const storage = memoryStorage()
  let clock = 100
  const store = createRecentBoardsStore(storage, () => clock)
  store.noteOpened('r1')
  clock = 200
  store.noteOpened('r2', 'Retro')
  store.noteTitle('r1', 'Planning')
  assert.deepEqual(store.list(), [
    { id: 'r2', openedAt: 200, title: 'Retro' },
    { id: 'r1', openedAt: 100, title: 'Planning' },
  ])
  assert.deepEqual(JSON.parse(storage.items.get(RECENT_BOARDS_KEY)!), store.list())
  store.forget('r2')
  assert.deepEqual(store.list().map((b) => b.id), ['r1'])

  const broken = createRecentBoardsStore({
    getItem: () => {
      throw new Error('blocked')
    },
    setItem: () => {
      throw new Error('quota')
    },
  })
  broken.noteOpened('r1')
  assert.deepEqual(broken.list(), [])
  assert.deepEqual(createRecentBoardsStore(null).list(), [])
})
