import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NEW_ROOM_ID_LENGTH, ROOM_ID_PATTERN, newRoomId, parseRoute } from '../src/app/route.ts'

test('routes: the boards page, new board, board, embed with options, and invalid ids', () => {
  assert.deepEqual(parseRoute('/'), { kind: 'boards' })
  assert.deepEqual(parseRoute('/new'), { kind: 'new', template: null })
  assert.deepEqual(parseRoute('/new', '?template=tpl_1&token=x'), { kind: 'new', template: 'tpl_1' })
  assert.deepEqual(parseRoute('/new', '?template=not%20an%20id'), { kind: 'new', template: null }, 'a malformed template id is dropped')
  assert.equal(parseRoute('/new/x').kind, 'invalid')
  assert.deepEqual(parseRoute('/b/team-42_x'), { kind: 'board', room: 'team-42_x' })
  assert.deepEqual(parseRoute('/embed/r1', '?ui=minimal&theme=dark&readonly=1&token=abc'), {
    kind: 'embed',
    room: 'r1',
    options: { minimalUi: true, theme: 'dark', readonly: true },
  })
  assert.deepEqual(parseRoute('/embed/r1'), { kind: 'embed', room: 'r1', options: { minimalUi: false, theme: null, readonly: false } })
  assert.equal(parseRoute('/b/has%20space').kind, 'invalid')
  assert.equal(parseRoute(`/b/${'x'.repeat(65)}`).kind, 'invalid')
  assert.equal(parseRoute('/b/a/b').kind, 'invalid')
  assert.equal(parseRoute('/elsewhere/r1').kind, 'invalid')
})

test('new room ids are long, valid and different each time', () => {
  const ids = new Set(Array.from({ length: 200 }, () => newRoomId()))
  assert.equal(ids.size, 200)
  for (const id of ids) {
    assert.match(id, ROOM_ID_PATTERN)
    assert.equal(id.length, NEW_ROOM_ID_LENGTH)
  }
})
