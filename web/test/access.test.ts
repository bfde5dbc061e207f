import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BOARDS_PAGE_TOKEN_ROOM, searchWithoutToken, takeBoardToken, takePageToken, tokenClaims, tokenStorageKey, viewOnlyReason } from '../src/app/access.ts'

/** An unsigned JWT-shaped token with `payload` (the UI never verifies; only the server does). */
function fakeJwt(payload: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'HS256' })}.${part(payload)}.c2lnbmF0dXJl`
}

function memoryStorage() {
  const items = new Map<string, string>()
  return { getItem: (key: string) => items.get(key) ?? null, setItem: (key: string, value: string) => void items.set(key, value), items }
}

test('token claims are read from the payload, base64url with or without padding; junk gives null', () => {
  assert.deepEqual(tokenClaims(fakeJwt({ room: 'r1', mode: 'ro', exp: 10, name: 'Zoë ✏️' })), { room: 'r1', mode: 'ro', exp: 10, name: 'Zoë ✏️' })
  assert.equal(tokenClaims(fakeJwt({ room: '*', mode: 'rw' }))?.mode, 'rw')
  assert.equal(tokenClaims(fakeJwt({ room: 'r', mode: 'admin' }))?.mode, null)
  assert.equal(tokenClaims('not-a-jwt'), null)
  assert.equal(tokenClaims('a.%%%.c'), null)
  assert.equal(tokenClaims(null), null)
})

test('the page token comes from ?token= and is kept per room for reloads', () => {
  const storage = memoryStorage()
  assert.equal(takePageToken({ room: 'r1', search: '?token=abc&view=1', storage }), 'abc')
  assert.equal(storage.items.get(tokenStorageKey('r1')), 'abc')
  assert.equal(takePageToken({ room: 'r1', search: '', storage }), 'abc', 'a reload without the token in the address still has it')
  assert.equal(takePageToken({ room: 'r2', search: '', storage }), null, 'never another room’s token')
  assert.equal(takePageToken({ room: 'r1', search: '?token=new', storage }), 'new', 'the address wins over the kept one')
  const blocked = { getItem: () => { throw new Error('blocked') }, setItem: () => { throw new Error('blocked') } }
  assert.equal(takePageToken({ room: 'r1', search: '?token=t', storage: blocked }), 't')
  assert.equal(takePageToken({ room: 'r1', search: '', storage: blocked }), null)
})

test('the token is taken out of the query, the rest stays', () => {
  assert.equal(searchWithoutToken('?token=abc&view=1'), '?view=1')
  assert.equal(searchWithoutToken('?token=abc'), '')
  assert.equal(searchWithoutToken('?readonly=1&token=x&ui=minimal'), '?readonly=1&ui=minimal')
})

test('view-only: a read-only token, ?view=1 or the embed option; an edit token alone is not', () => {
  assert.equal(viewOnlyReason({ token: fakeJwt({ room: 'r', mode: 'ro' }), search: '' }), 'token')
  assert.equal(viewOnlyReason({ token: fakeJwt({ room: 'r', mode: 'rw' }), search: '' }), null)
  assert.equal(viewOnlyReason({ token: null, search: '?view=1' }), 'view-link')
  assert.equal(viewOnlyReason({ token: null, search: '?view=0' }), null)
  assert.equal(viewOnlyReason({ token: null, search: '', embedReadonly: true }), 'embed-readonly')
  assert.equal(viewOnlyReason({ token: null, search: '' }), null)
})

test('a board opened from the boards page uses the list token when it covers every room, never another room’s', () => {
  const storage = memoryStorage()
  const everyRoom = fakeJwt({ room: '*', mode: 'rw' })
  takePageToken({ room: BOARDS_PAGE_TOKEN_ROOM, search: `?token=${everyRoom}`, storage })
  assert.equal(takeBoardToken({ room: 'r1', search: '', storage }), everyRoom)
  assert.equal(takeBoardToken({ room: 'r1', search: '?token=own', storage }), 'own', 'the board’s own token wins')

  const other = memoryStorage()
  takePageToken({ room: BOARDS_PAGE_TOKEN_ROOM, search: `?token=${fakeJwt({ room: 'r2', mode: 'rw' })}`, storage: other })
  assert.equal(takeBoardToken({ room: 'r1', search: '', storage: other }), null)
  assert.equal(takeBoardToken({ room: 'r1', search: '', storage: memoryStorage() }), null)
})
