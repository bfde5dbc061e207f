import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  PRESENCE_COLOURS,
  accessLossOf,
  currentLink,
  initialsOf,
  linkIdOf,
  loginHref,
  planLinkChange,
  presenceColourFor,
  providerDisplayName,
  searchWithoutLink,
  sortMembers,
  type LinkInfo,
  type MemberInfo,
} from '../src/people/peopleRules.ts'
import { createBoardPeopleApi, loadMe, PeopleApiError } from '../src/people/peopleApi.ts'
import { createCursorPictures, pictureOfPresence, PICTURES_REFRESH_MS } from '../src/people/cursorPictures.ts'

const link = (id: string, access: 'view' | 'edit'): LinkInfo => ({ id, access, url: `http://x/b/r?link=${id}`, createdAt: '2026-01-01T00:00:00Z' })

test("the server's close reasons of the sign-in gate map to what the page does; other refusals are not people's", () => {
  assert.equal(accessLossOf('no access to this board'), 'no-access')
  assert.equal(accessLossOf('access to this board was removed'), 'no-access')
  assert.equal(accessLossOf('your role on this board changed'), 'role-changed')
  assert.equal(accessLossOf('sign in required'), 'signed-out')
  assert.equal(accessLossOf('signed out'), 'signed-out')
  assert.equal(accessLossOf('board is in the trash'), null)
  assert.equal(accessLossOf('token expired'), null)
  assert.equal(accessLossOf(undefined), null)
})

test('the link select leaves exactly one link with the access asked for, and renewing makes a new id', () => {
  assert.deepEqual(planLinkChange([], 'off'), { create: null, revoke: [] })
  assert.deepEqual(planLinkChange([], 'view'), { create: 'view', revoke: [] })
  const view = [link('a', 'view')]
  assert.deepEqual(planLinkChange(view, 'view'), { create: null, revoke: [] }, 'the same access changes nothing')
  assert.deepEqual(planLinkChange(view, 'view', true), { create: 'view', revoke: ['a'] }, 'renew: new id, old one revoked')
  assert.deepEqual(planLinkChange(view, 'edit'), { create: 'edit', revoke: ['a'] })
  assert.deepEqual(planLinkChange(view, 'off'), { create: null, revoke: ['a'] })
  const two = [link('old', 'edit'), link('new', 'view')]
  assert.equal(currentLink(two)?.id, 'new', 'the newest link is the one shown')
  assert.deepEqual(planLinkChange(two, 'view'), { create: null, revoke: ['old'] }, 'older links go on any change')
  assert.deepEqual(planLinkChange(two, 'off'), { create: null, revoke: ['old', 'new'] })
  assert.equal(currentLink([]), null)
})

test('who has access lists the owner first, then by role and name', () => {
  const m = (email: string, role: MemberInfo['role'], name: string | null = null): MemberInfo => ({ email, role, via: 'member', name, picture: null, invited: false })
  const sorted = sortMembers([m('zed@x', 'viewer', 'Zed'), m('bob@x', 'editor', 'Bob'), m('amy@x', 'viewer', 'Amy'), m('own@x', 'owner', 'Zara'), m('co@x', 'owner')], 'own@x')
  assert.deepEqual(sorted.map((x) => x.email), ['own@x', 'co@x', 'bob@x', 'amy@x', 'zed@x'])
})

test('a provider is named for people: well-known hosts by name, others by their host', () => {
  assert.equal(providerDisplayName('accounts.google.com'), 'Google')
  assert.equal(providerDisplayName('login.microsoftonline.com'), 'Microsoft')
  assert.equal(providerDisplayName('acme.okta.com'), 'Okta')
  assert.equal(providerDisplayName('keycloak.example.com'), 'keycloak.example.com')
  assert.equal(providerDisplayName('127.0.0.1:9000'), '127.0.0.1:9000')
  assert.equal(providerDisplayName('evil-accounts.google.com.example'), 'evil-accounts.google.com.example')
})

test('initials and the presence colour come from the signed-in identity, the same everywhere', () => {
  assert.equal(initialsOf('Alice Archer'), 'AA')
  assert.equal(initialsOf('bob@example.com'), 'B')
  assert.equal(initialsOf('Émile de la Tour'), 'ÉT')
  assert.equal(initialsOf(''), '?')
  const colour = presenceColourFor('alice@example.com')
  assert.ok(PRESENCE_COLOURS.includes(colour))
  assert.equal(presenceColourFor(' Alice@Example.com '), colour, 'keyed by the normalised email')
  const colours = new Set(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'].map((n) => presenceColourFor(`${n}@example.com`)))
  assert.ok(colours.size >= 4, `people get different colours (${colours.size} of 8)`)
})

test('the ?link= id is read and then taken out of the address; sign-in returns to the page', () => {
  assert.equal(linkIdOf('?link=AbC_-0123456789xyzXYZ0'), 'AbC_-0123456789xyzXYZ0')
  assert.equal(linkIdOf('?link=<script>'), null)
  assert.equal(linkIdOf('?view=1'), null)
  assert.equal(searchWithoutLink('?link=abc&view=1'), '?view=1')
  assert.equal(searchWithoutLink('?link=abc'), '')
  assert.equal(loginHref('/auth/login', '/b/r1?link=abc'), '/auth/login?next=%2Fb%2Fr1%3Flink%3Dabc')
  assert.equal(loginHref('/auth/login', 'https://evil.example/'), '/auth/login?next=%2F')
})

/** A fetch that answers each call with the next of `answers` and records the requests. */
function scriptedFetch(answers: Array<{ status: number; body: unknown; type?: string }>) {
  const calls: Array<{ url: string; method: string; body: string | null }> = []
  const doFetch = (async (url: string, init: RequestInit = {}) => {
    calls.push({ url, method: init.method ?? 'GET', body: typeof init.body === 'string' ? init.body : null })
    const next = answers.shift()!
    return new Response(next.status === 204 ? null : JSON.stringify(next.body), { status: next.status, headers: { 'content-type': next.type ?? 'application/json' } })
  }) as typeof fetch
  return { doFetch, calls }
}

test('/api/me: sign-in mode with or without a person; open and token modes (404) and no server are "not sign-in"', async () => {
  const person = { email: 'a@x', name: 'A', picture: null, admin: false }
  const signedIn = scriptedFetch([{ status: 200, body: { mode: 'sign-in', provider: 'idp.example', person, loginUrl: '/auth/login' } }])
  assert.deepEqual(await loadMe({ fetch: signedIn.doFetch }), { provider: 'idp.example', person, loginUrl: '/auth/login' })
  const nobody = scriptedFetch([{ status: 200, body: { mode: 'sign-in', provider: 'idp.example', person: null, loginUrl: '/auth/login' } }])
  assert.equal((await loadMe({ fetch: nobody.doFetch }))?.person, null)
  assert.equal(await loadMe({ fetch: scriptedFetch([{ status: 404, body: { error: 'not found' } }]).doFetch }), null)
  assert.equal(await loadMe({ fetch: scriptedFetch([{ status: 200, body: '<html>', type: 'text/html' }]).doFetch }), null)
  assert.equal(await loadMe({ fetch: (async () => Promise.reject(new TypeError('offline'))) as typeof fetch }), null)
})

test("the people API: a 403 carries the owner to ask; changes go to the board's routes", async () => {
  const owner = { email: 'alice@example.com', name: 'Alice Archer' }
  const script = scriptedFetch([
    { status: 403, body: { error: 'no access to this board', owner } },
    { status: 403, body: { error: 'needs the owner role' } },
    { status: 200, body: { room: 'r 1', owner, you: 'owner', members: [], links: [] } },
    { status: 201, body: link('L1', 'view') },
    { status: 204, body: null },
    { status: 200, body: { room: 'r 1', role: 'viewer' } },
    { status: 200, body: { room: 'r 1', owner: { email: 'bob@example.com', name: 'Bob' }, you: 'editor', members: [], links: [] } },
  ])
  const api = createBoardPeopleApi('r 1', { fetch: script.doFetch })
  const refused = await api.members().catch((e: unknown) => e)
  assert.ok(refused instanceof PeopleApiError)
  assert.equal(refused.status, 403)
  assert.deepEqual(refused.owner, owner)
  const other = await api.remove('bob@example.com').catch((e: unknown) => e)
  assert.ok(other instanceof PeopleApiError)
  assert.equal(other.owner, undefined, 'only "no access" names the owner')
  assert.equal((await api.setRole('Bob@Example.com', 'viewer')).you, 'owner')
  assert.equal((await api.createLink('view')).id, 'L1')
  await api.revokeLink('L1')
  assert.equal(await api.acceptLink('L2'), 'viewer')
  assert.equal((await api.transferOwnership('bob@example.com')).owner?.email, 'bob@example.com')
  assert.deepEqual(
    script.calls.map((c) => `${c.method} ${c.url} ${c.body ?? ''}`.trim()),
    [
      'GET /api/boards/r%201/members',
      'DELETE /api/boards/r%201/members/bob%40example.com',
      'PUT /api/boards/r%201/members/Bob%40Example.com {"role":"viewer"}',
      'POST /api/boards/r%201/links {"access":"view"}',
      'DELETE /api/boards/r%201/links/L1',
      'POST /api/boards/r%201/links/L2/accept',
      'PUT /api/boards/r%201/owner {"email":"bob@example.com"}',
    ],
  )
})

test("cursor pictures: only the board's people's pictures and one's own are shown; an unknown one asks again, not too often", async () => {
  const member = (email: string, picture: string | null): MemberInfo => ({ email, role: 'editor', via: 'member', name: email, picture, invited: false })
  const lists = [[member('bob@example.com', 'https://idp.example/bob.png')], [member('bob@example.com', 'https://idp.example/bob.png'), member('eve@example.com', 'https://idp.example/eve.png')]]
  let asked = 0
  let clock = 0
  const api = { members: async () => ({ room: 'r', owner: null, you: 'editor' as const, members: lists[Math.min(asked++, lists.length - 1)], links: [] }) }
  const pictures = createCursorPictures(api, 'https://idp.example/me.png', () => clock)
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(asked, 1)
  assert.equal(pictures.isShown('https://idp.example/me.png'), true, 'my own picture')
  assert.equal(pictures.isShown('https://idp.example/bob.png'), true, "a member's picture")
  assert.equal(pictures.isShown('https://tracker.example/pixel.gif'), false, 'a picture nobody vouched for')
  pictures.unknown('https://idp.example/eve.png')
  assert.equal(asked, 1, 'asked a moment ago: not again')
  clock += PICTURES_REFRESH_MS
  pictures.unknown('https://idp.example/eve.png')
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(asked, 2)
  assert.equal(pictures.isShown('https://idp.example/eve.png'), true, 'someone who joined since')

  assert.equal(pictureOfPresence({ picture: 'https://idp.example/bob.png' }), 'https://idp.example/bob.png')
  assert.equal(pictureOfPresence({ picture: 'javascript:alert(1)' }), null)
  assert.equal(pictureOfPresence({}), null)
  assert.equal(pictureOfPresence(undefined), null)
})
