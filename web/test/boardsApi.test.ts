import assert from 'node:assert/strict'
import { test } from 'node:test'
import { boardListPath, boardPath, BoardsApiError, createBoardsApi, MAX_IDS_PER_REQUEST, newBoardHref, normalizeSummary } from '../src/boards/boardsApi.ts'

interface Call {
  url: string
  method: string
  headers: Record<string, string>
  body: unknown
}

function fakeFetch(answer: (call: Call) => Response) {
  const calls: Call[] = []
  const doFetch = (async (url: string, init: RequestInit = {}) => {
    const body = init.body instanceof Blob ? init.body : init.body ? JSON.parse(init.body as string) : undefined
    const call = { url, method: init.method ?? 'GET', headers: init.headers as Record<string, string>, body }
    calls.push(call)
    return answer(call)
  }) as typeof fetch
  return { calls, doFetch }
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
const summary = (id: string, extra: object = {}) => ({
  id, title: '', createdAt: '2026-12-07T10:00:00.000Z', updatedAt: '2026-12-07T10:05:12.000Z', shapeCount: 1, bytes: 10,
  lastEditors: [], excerpt: '', thumbnailUrl: null, deletedAt: null, template: false, starred: false, ...extra,
})

test('list URLs: defaults left out, search trimmed and encoded, paging, limits clamped, ids joined and capped', () => {
  assert.equal(boardListPath(), '/api/boards')
  assert.equal(boardListPath({ view: 'recent', q: '   ' }), '/api/boards')
  assert.equal(boardListPath({ view: 'trash' }), '/api/boards?view=trash')
  assert.equal(boardListPath({ q: ' retro & plans ' }), '/api/boards?q=retro+%26+plans')
  assert.equal(boardListPath({ view: 'starred', q: 'x', cursor: 'c1', limit: 48 }), '/api/boards?view=starred&q=x&cursor=c1&limit=48')
  assert.equal(boardListPath({ limit: 500 }), '/api/boards?limit=100')
  assert.equal(boardListPath({ limit: 0 }), '/api/boards?limit=1')
  assert.equal(boardListPath({ q: 'a', ids: ['r1', 'r2'] }), '/api/boards?q=a&ids=r1%2Cr2')
  const many = Array.from({ length: 250 }, (_, i) => `b${i}`)
  const ids = new URLSearchParams(boardListPath({ ids: many }).split('?')[1]).get('ids')!.split(',')
  assert.equal(ids.length, MAX_IDS_PER_REQUEST)
  assert.equal(boardPath('a b'), '/api/boards/a%20b')
  assert.equal(boardPath('r1', 'thumbnail'), '/api/boards/r1/thumbnail')
})

test('new board links: /new, from a template, with the token when the server needs one', () => {
  assert.equal(newBoardHref(), '/new')
  assert.equal(newBoardHref({ template: 'tpl_1' }), '/new?template=tpl_1')
  assert.equal(newBoardHref({ template: 'tpl_1', token: 'a.b.c' }), '/new?template=tpl_1&token=a.b.c')
  assert.equal(newBoardHref({ template: null, token: null }), '/new')
})

test('every call goes to the catalog with the Bearer token, the method and body the protocol names', async () => {
  const { calls, doFetch } = fakeFetch((call) => {
    if (call.url.includes('?forever=1')) return new Response(null, { status: 204 })
    if (call.url.endsWith('/thumbnail')) return new Response(null, { status: 204 })
    if (call.url.includes('/api/boards?')) return json({ boards: [summary('r1')], cursor: 'next' })
    if (call.url.endsWith('/duplicate')) return json(summary('copy', { title: 'T (copy)' }), 201)
    return json(summary('r1', { title: 'T', starred: true }))
  })
  const api = createBoardsApi({ token: 'tok', serverUrl: 'https://scrawl.example/', fetch: doFetch })
  assert.deepEqual((await api.list({ q: 'x' })).cursor, 'next')
  await api.get('r1')
  await api.rename('r1', 'T')
  await api.setStarred('r1', true)
  await api.trash('r1')
  await api.restore('r1')
  await api.deleteForever('r1')
  assert.equal((await api.duplicate('r1', { template: true })).id, 'copy')
  const image = new Blob([new Uint8Array([1, 2, 3])], { type: 'image/webp' })
  await api.putThumbnail('r1', image)

  assert.deepEqual(
    calls.map((c) => `${c.method} ${c.url.replace('https://scrawl.example', '')}`),
    [
      'GET /api/boards?q=x',
      'GET /api/boards/r1',
      'PATCH /api/boards/r1',
      'PATCH /api/boards/r1',
      'DELETE /api/boards/r1',
      'POST /api/boards/r1/restore',
      'DELETE /api/boards/r1?forever=1',
      'POST /api/boards/r1/duplicate',
      'PUT /api/boards/r1/thumbnail',
    ],
  )
  assert.ok(calls.every((c) => c.headers.Authorization === 'Bearer tok'))
  assert.deepEqual(calls[2].body, { title: 'T' })
  assert.deepEqual(calls[3].body, { starred: true })
  assert.deepEqual(calls[7].body, { template: true })
  assert.equal(calls[8].headers['Content-Type'], 'image/webp')
  assert.equal(calls[8].body, image)
  assert.equal(api.resolve('/api/boards/r1/thumbnail?v=1'), 'https://scrawl.example/api/boards/r1/thumbnail?v=1')
})

test('no token, no Authorization; an empty ids list asks nothing; errors carry the status', async () => {
  const { calls, doFetch } = fakeFetch((call) =>
    call.url.includes('r404') ? json({ error: 'unknown board' }, 404) : json({ boards: 'nope' }),
  )
  const api = createBoardsApi({ fetch: doFetch })
  assert.deepEqual(await api.list({ ids: [] }), { boards: [], cursor: null })
  assert.equal(calls.length, 0)
  await assert.rejects(api.get('r404'), (error: unknown) => error instanceof BoardsApiError && error.status === 404 && /unknown board/.test(error.message))
  await assert.rejects(api.list(), (error: unknown) => error instanceof BoardsApiError && error.status === 502)
  assert.equal(calls[0].headers.Authorization, undefined)

  const offline = createBoardsApi({ fetch: (async () => { throw new TypeError('Failed to fetch') }) as typeof fetch })
  await assert.rejects(offline.list(), (error: unknown) => error instanceof BoardsApiError && error.status === 0)
})

test('a summary from an older or newer server gets every field with its type', () => {
  const s = normalizeSummary({ id: 'r1', title: 5, thumbnailUrl: '', lastEditors: ['Ada', 3], highlights: [[0, 2], [1], 'x'], extra: true })
  assert.equal(s.title, '')
  assert.equal(s.thumbnailUrl, null)
  assert.deepEqual(s.lastEditors, ['Ada'])
  assert.deepEqual(s.highlights, [[0, 2]])
  assert.equal(s.titleHighlights, undefined)
  assert.equal(s.starred, false)
  assert.equal(s.deletedAt, null)
})
