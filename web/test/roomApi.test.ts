import assert from 'node:assert/strict'
import { test } from 'node:test'
import { absoluteShareUrl, createRoomApi, RoomApiError, shareLink } from '../src/app/roomApi.ts'

interface Call {
  url: string
  method: string
  headers: Record<string, string>
  body: unknown
}

/** A fetch that records calls and answers from `answer`. */
function fakeFetch(answer: (call: Call) => Response) {
  const calls: Call[] = []
  const doFetch = (async (url: string, init: RequestInit = {}) => {
    const call = { url, method: init.method ?? 'GET', headers: init.headers as Record<string, string>, body: init.body ? JSON.parse(init.body as string) : undefined }
    calls.push(call)
    return answer(call)
  }) as typeof fetch
  return { calls, doFetch }
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

test('every call goes to the room’s API with the Bearer token, JSON bodies as the contract says', async () => {
  const { calls, doFetch } = fakeFetch((call) => {
    if (call.url.endsWith('/versions') && call.method === 'GET') {
      return json([
        { id: 'a', label: '', createdAt: '2026-01-01T00:00:00.000Z', bytes: 10, auto: true },
        { id: 'b', label: 'later', createdAt: '2026-01-02T00:00:00.000Z', bytes: 12 },
      ])
    }
    if (call.url.endsWith('/versions/b')) return call.method === 'PATCH' ? json({ id: 'b', label: call.body && (call.body as { label: string }).label }) : new Response(new Uint8Array([1, 2, 3]))
    if (call.url.endsWith('/restore')) return json({ restoredFrom: 'b', savedAs: 'c' })
    if (call.url.endsWith('/versions')) return json({ id: 'd', label: 'now', createdAt: '2026-01-03T00:00:00.000Z', bytes: 5, auto: false }, 201)
    return json({ mode: 'ro', token: 't2', url: '/b/room_1?token=t2' })
  })
  const api = createRoomApi({ room: 'room_1', token: 'tok', serverUrl: 'https://scrawl.example/', fetch: doFetch })

  const list = await api.listVersions()
  assert.deepEqual(list.map((v) => v.id), ['b', 'a'], 'newest first')
  assert.equal(list[0].auto, false)
  assert.deepEqual([...(await api.versionState('b'))], [1, 2, 3])
  assert.equal((await api.labelVersion('b', 'named'))?.label, 'named')
  assert.equal((await api.saveVersion('now')).id, 'd')
  assert.deepEqual(await api.restoreVersion('b'), { restoredFrom: 'b', savedAs: 'c' })
  assert.equal((await api.share('ro')).token, 't2')

  assert.deepEqual(
    calls.map((c) => `${c.method} ${c.url}`),
    [
      'GET https://scrawl.example/api/rooms/room_1/versions',
      'GET https://scrawl.example/api/rooms/room_1/versions/b',
      'PATCH https://scrawl.example/api/rooms/room_1/versions/b',
      'POST https://scrawl.example/api/rooms/room_1/versions',
      'POST https://scrawl.example/api/rooms/room_1/versions/b/restore',
      'POST https://scrawl.example/api/rooms/room_1/share',
    ],
  )
  for (const call of calls) assert.equal(call.headers.Authorization, 'Bearer tok')
  assert.deepEqual(calls[2].body, { label: 'named' })
  assert.deepEqual(calls[3].body, { label: 'now' })
  assert.deepEqual(calls[5].body, { mode: 'ro' })
})

test('no token, no Authorization header; refusals become RoomApiError with the status and the server’s reason', async () => {
  const { calls, doFetch } = fakeFetch(() => json({ error: 'read-only token' }, 403))
  const api = createRoomApi({ room: 'r', fetch: doFetch })
  await assert.rejects(api.saveVersion('x'), (error: unknown) => error instanceof RoomApiError && error.status === 403 && /read-only token/.test(error.message))
  assert.equal(calls[0].url, '/api/rooms/r/versions')
  assert.equal(calls[0].headers.Authorization, undefined)
  const offline = createRoomApi({ room: 'r', fetch: (async () => { throw new TypeError('Failed to fetch') }) as typeof fetch })
  await assert.rejects(offline.listVersions(), (error: unknown) => error instanceof RoomApiError && error.status === 0)
})

test('share links: from the server; built locally only when auth is off and the server has no share endpoint', async () => {
  const missing = createRoomApi({ room: 'r', fetch: fakeFetch(() => json({ error: 'not found' }, 404)).doFetch })
  assert.deepEqual(await shareLink(missing, 'ro', false), { mode: 'ro', token: null, url: '/b/r?view=1' })
  assert.deepEqual(await shareLink(missing, 'rw', false), { mode: 'rw', token: null, url: '/b/r' })
  await assert.rejects(shareLink(missing, 'ro', true), RoomApiError, 'with auth on, never a link without a token')
  const forbidden = createRoomApi({ room: 'r', fetch: fakeFetch(() => json({ error: 'read-only token' }, 403)).doFetch })
  await assert.rejects(shareLink(forbidden, 'rw', false), RoomApiError)

  const link = { mode: 'ro' as const, token: 't', url: '/b/r?token=t' }
  assert.equal(absoluteShareUrl(link, '', 'http://127.0.0.1:1234'), 'http://127.0.0.1:1234/b/r?token=t')
  assert.equal(absoluteShareUrl(link, 'https://scrawl.example/', 'http://localhost:5173'), 'https://scrawl.example/b/r?token=t')
})
