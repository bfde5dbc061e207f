/**
 * Sign-in mode against a real OpenID Provider (oidc-provider on 127.0.0.1, signed in through its own dev login and
 * consent forms): the session cookie and its attributes, open redirects, fixation, tampered and expired sessions,
 * CSRF, logout, and the role matrix (owner, viewer, editor, link visitors, nobody) on /sync, /yjs/:room and the API,
 * with live revocation. Tokens still work beside it (AUTH_SECRET set too).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TokenVerifier } from '../src/sync/auth.ts';
import type { SignInOptions } from '../src/people/sign-in.ts';
import { safeNext } from '../src/people/auth-routes.ts';
import { serializeCookie } from '../src/people/session-cookie.ts';
import { loadConfig } from '../src/config.ts';
import { Browser, CLIENT, freePort, openBoardSocket, startProvider, type TestProvider } from './oidc-fixtures.ts';
import { startLevelDbServer, startServer, tempDir, waitFor, type TestServer } from './harness.ts';

const AUTH_SECRET = 'a-token-secret-that-is-long-enough-for-hs256';
const SESSION_SECRET = 'a-session-secret-that-is-long-enough-0123456789';
let provider: TestProvider;
let srv: TestServer;
/** A second server, on LevelDB (so it serves backups): sessions of 1.5 s, carol an admin, a tight /auth/* rate limit. */
let short: TestServer;
const shortData = tempDir('scrawl-sign-in-');

function signInOptions(issuer: string, publicUrl: string, extra: Partial<SignInOptions> = {}): SignInOptions {
  return {
    issuerUrl: issuer,
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    scopes: 'openid profile email',
    sessionSecret: SESSION_SECRET,
    publicUrl,
    adminEmails: [],
    allowHttpIssuer: true,
    ...extra,
  };
}

before(async () => {
  const [port, shortPort] = [await freePort(), await freePort()];
  const urls = [`http://127.0.0.1:${port}`, `http://127.0.0.1:${shortPort}`];
  provider = await startProvider(urls);
  srv = await startServer({ authSecret: AUTH_SECRET, signIn: signInOptions(provider.issuer, urls[0]) }, port);
  short = await startLevelDbServer(
    shortData.path,
    { signIn: signInOptions(provider.issuer, urls[1], { sessionTtlMs: 1500, adminEmails: ['carol@example.com'], authRateLimit: { perSecond: 1, burst: 12 } }) },
    shortPort,
  );
});
after(async () => {
  await srv?.stop();
  await short?.stop();
  await provider?.stop();
  shortData.remove();
});

/** A browser with `login` signed in to `server`. */
async function signedIn(login: string, server = srv, next = '/'): Promise<Browser> {
  const browser = new Browser();
  const { response } = await browser.signIn(`${server.httpUrl}/auth/login?next=${encodeURIComponent(next)}`, login);
  assert.equal(response.status, 303, `sign-in of ${login} ends with a redirect`);
  return browser;
}

/** An API call from `browser`, same origin unless `origin` says otherwise. */
async function api(browser: Browser | null, method: string, path: string, body?: unknown, origin: string | null = srv.httpUrl, server = srv) {
  const headers: Record<string, string> = {};
  if (browser) headers.cookie = browser.cookieHeader(server.httpUrl);
  if (origin) headers.origin = origin;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.httpUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = response.headers.get('content-type')?.startsWith('application/json');
  // JSON answers of many shapes, checked by the asserts.
  const answer: any = json ? await response.json() : (await response.arrayBuffer(), null);
  return { status: response.status, body: answer };
}

const socket = (browser: Browser | null, endpoint: 'sync' | 'yjs', room: string, origin: string | null = srv.httpUrl, server = srv) =>
  openBoardSocket(server.wsUrl, endpoint, room, { cookie: browser?.cookieHeader(server.httpUrl), origin: origin ?? undefined });

/** The live document's value of m[key] on `server`. */
const stored = (room: string, key: string, server = srv) => server.server.hocuspocus.documents.get(room)?.getMap('m').get(key);

test('sign-in through the provider sets an HttpOnly, SameSite=Lax session cookie; /api/me names the person', async () => {
  const browser = await signedIn('alice', srv, '/b/board-1');
  const cookie = browser.setCookies.get('scrawl_session')!;
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  assert.match(cookie, /Path=\//);
  assert.doesNotMatch(cookie, /Secure/, 'plain http: not Secure (the browser would drop it)');
  assert.match(browser.setCookies.get('scrawl_login')!, /HttpOnly; SameSite=Lax/);
  const me = await api(browser, 'GET', '/api/me');
  assert.deepEqual(me.body.person, { email: 'alice@example.com', name: 'Alice Archer', picture: null, admin: false });
  assert.equal((await api(null, 'GET', '/api/me')).body.person, null);
  assert.equal((await api(null, 'GET', '/api/config')).body.signIn, true);
  // Under https the cookie is Secure (and __Host- prefixed, see People.cookieName).
  assert.match(serializeCookie('__Host-scrawl_session', 'v', { maxAgeSeconds: 60, secure: true }), /; Secure$/);
});

test('the login returns to the same-origin path asked for, and nowhere else', async () => {
  const landing = async (next: string) => {
    const browser = new Browser();
    const { response } = await browser.signIn(`${srv.httpUrl}/auth/login?next=${encodeURIComponent(next)}`, 'alice');
    return response.headers.get('location');
  };
  assert.equal(await landing('/b/board-1?link=abc'), '/b/board-1?link=abc');
  for (const evil of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'evil', '/auth/logout', 'javascript:alert(1)']) {
    assert.equal(await landing(evil), '/', `next=${evil}`);
  }
  assert.equal(safeNext('/%2F%2Fevil.example', 'https://board.example'), '/%2F%2Fevil.example', 'an encoded path stays a path');
  // `/new` acts for a person, so sends the others to sign in first; board pages are the web app, which shows its own
  // sign-in page (so no redirect there).
  const fresh = await fetch(`${srv.httpUrl}/new?template=t1`, { redirect: 'manual' });
  assert.equal(fresh.status, 303);
  assert.equal(fresh.headers.get('location'), `/auth/login?next=${encodeURIComponent('/new?template=t1')}`);
  const page = await fetch(`${srv.httpUrl}/b/board-1`, { redirect: 'manual' });
  assert.notEqual(page.status, 303, 'a board page is not redirected: the app shows the sign-in page');
});

test('a new session id at every sign-in; tampered and unknown cookies are refused', async () => {
  const browser = new Browser();
  browser.setCookie(srv.httpUrl, 'scrawl_session', 'planted-by-an-attacker');
  await browser.signIn(`${srv.httpUrl}/auth/login`, 'alice');
  const first = browser.cookie(srv.httpUrl, 'scrawl_session')!;
  assert.notEqual(first, 'planted-by-an-attacker');
  await browser.signIn(`${srv.httpUrl}/auth/login`, 'alice');
  const second = browser.cookie(srv.httpUrl, 'scrawl_session')!;
  assert.notEqual(second, first, 'signing in again starts a new session');
  assert.equal((await api(browser, 'GET', '/api/me')).body.person.email, 'alice@example.com');
  const [id, mac] = second.split('.');
  const flip = (text: string) => (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
  for (const tampered of [`${flip(id)}.${mac}`, `${id}.${flip(mac)}`, id, `${id}.${mac}.x`]) {
    browser.setCookie(srv.httpUrl, 'scrawl_session', tampered);
    assert.equal((await api(browser, 'GET', '/api/me')).body.person, null, tampered);
    assert.equal((await api(browser, 'GET', '/api/boards')).status, 401);
  }
});

test('a callback without its login cookie, or with a forged state, starts no session', async () => {
  const browser = new Browser();
  const start = await browser.request(`${srv.httpUrl}/auth/login`);
  const authorize = new URL(start.headers.get('location')!);
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(authorize.searchParams.get('state') && authorize.searchParams.get('nonce'));
  const bare = await fetch(`${srv.httpUrl}/auth/callback?code=x&state=${authorize.searchParams.get('state')}`, { redirect: 'manual' });
  assert.equal(bare.status, 400);
  const forged = await browser.request(`${srv.httpUrl}/auth/callback?code=x&state=not-the-state&iss=${encodeURIComponent(provider.issuer)}`);
  assert.equal(forged.status, 403);
  assert.equal(browser.cookie(srv.httpUrl, 'scrawl_session'), undefined);
});

test('an expired session is refused on the API and both endpoints', async () => {
  const browser = await signedIn('alice', short);
  assert.equal((await api(browser, 'GET', '/api/me', undefined, short.httpUrl, short)).body.person.email, 'alice@example.com');
  await new Promise((resolve) => setTimeout(resolve, 1600));
  assert.equal((await api(browser, 'GET', '/api/me', undefined, short.httpUrl, short)).body.person, null);
  assert.equal((await api(browser, 'GET', '/api/boards', undefined, short.httpUrl, short)).status, 401);
  for (const endpoint of ['sync', 'yjs'] as const) {
    const s = await socket(browser, endpoint, 'expired-room', short.httpUrl, short);
    assert.deepEqual(s.outcome === 'open' ? 'open' : s.outcome.code, 4401, endpoint);
  }
});

test('the role matrix on /sync, /yjs/:room and the API, with live revocation', async () => {
  const [alice, bob] = [await signedIn('alice'), await signedIn('bob')];
  const room = 'matrix-room';
  // Nobody signed in: 4401 and 401.
  for (const endpoint of ['sync', 'yjs'] as const) {
    const s = await socket(null, endpoint, room);
    assert.deepEqual(s.outcome === 'open' ? 'open' : s.outcome.code, 4401, `anonymous on ${endpoint}`);
  }
  assert.equal((await api(null, 'GET', `/api/rooms/${room}/state`)).status, 401);

  // Alice opens the board first: she owns it and writes on both endpoints.
  const aliceYjs = await socket(alice, 'yjs', room);
  assert.equal(aliceYjs.outcome, 'open');
  const aliceSync = await socket(alice, 'sync', room);
  assert.equal(aliceSync.outcome, 'open');
  aliceYjs.write('by', 'alice-yjs');
  aliceSync.write('also', 'alice-sync');
  await waitFor(() => stored(room, 'by') === 'alice-yjs' && stored(room, 'also') === 'alice-sync');
  assert.equal((await api(alice, 'GET', `/api/boards/${room}/members`)).body.owner.email, 'alice@example.com');

  // Bob has no access: 4403 on both endpoints, 403 on every API route of the board.
  for (const endpoint of ['sync', 'yjs'] as const) {
    const s = await socket(bob, endpoint, room);
    assert.deepEqual(s.outcome === 'open' ? 'open' : s.outcome.code, 4403, `bob on ${endpoint}`);
  }
  for (const [method, path] of [
    ['GET', `/api/rooms/${room}/state`],
    ['GET', `/api/rooms/${room}/versions`],
    ['POST', `/api/rooms/${room}/versions`],
    ['GET', `/api/rooms/${room}/export?format=tldr`],
    ['GET', `/api/boards/${room}/members`],
    ['PUT', `/api/boards/${room}/members/bob@example.com`],
    ['POST', `/api/boards/${room}/links`],
    ['DELETE', `/api/boards/${room}`],
  ]) {
    assert.equal((await api(bob, method, path, method === 'GET' ? undefined : { role: 'owner', access: 'edit' })).status, 403, `${method} ${path}`);
  }
  // The refusal names whom to ask (the web app's no-access page shows it).
  assert.deepEqual((await api(bob, 'GET', `/api/boards/${room}/members`)).body, {
    error: 'no access to this board',
    owner: { email: 'alice@example.com', name: 'Alice Archer' },
  });
  assert.deepEqual((await api(bob, 'GET', '/api/boards/nobody-owns-this/members')).body, { error: 'no access to this board', owner: null });

  // Viewer: receives, but writes are refused on both endpoints, and changing routes answer 403.
  assert.equal((await api(alice, 'PUT', `/api/boards/${room}/members/Bob@Example.com`, { role: 'viewer' })).status, 200);
  const bobYjs = await socket(bob, 'yjs', room);
  const bobSync = await socket(bob, 'sync', room);
  assert.equal(bobYjs.outcome, 'open');
  assert.equal(bobSync.outcome, 'open');
  bobYjs.write('vandal', 'yjs');
  bobSync.write('vandal2', 'sync');
  aliceYjs.write('marker', 'after-bob');
  await waitFor(() => stored(room, 'marker') === 'after-bob');
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(stored(room, 'vandal'), undefined, "a viewer's /yjs update is refused");
  assert.equal(stored(room, 'vandal2'), undefined, "a viewer's /sync update is refused");
  assert.equal((await api(bob, 'GET', `/api/rooms/${room}/state`)).status, 200);
  assert.equal((await api(bob, 'POST', `/api/rooms/${room}/versions`, { label: 'x' })).status, 403);

  // Editor: the same sockets are closed (4403 "role changed" only when lowered); new ones write.
  assert.equal((await api(alice, 'PUT', `/api/boards/${room}/members/bob@example.com`, { role: 'editor' })).status, 200);
  const bobEditor = await socket(bob, 'yjs', room);
  bobEditor.write('bob', 'edits');
  await waitFor(() => stored(room, 'bob') === 'edits');

  // Lowered back to viewer: his connections close within 1 s; removed: refused next time.
  const lowered = Date.now();
  assert.equal((await api(alice, 'PUT', `/api/boards/${room}/members/bob@example.com`, { role: 'viewer' })).status, 200);
  assert.equal((await bobEditor.closed).code, 4403);
  assert.ok(Date.now() - lowered < 1000, 'closed within 1 s');
  const bobViewer = await socket(bob, 'sync', room);
  assert.equal(bobViewer.outcome, 'open');
  const removed = Date.now();
  const removal = await fetch(`${srv.httpUrl}/api/boards/${room}/members/bob@example.com`, {
    method: 'DELETE',
    headers: { cookie: alice.cookieHeader(srv.httpUrl), origin: srv.httpUrl },
  });
  assert.equal(removal.status, 204);
  for (const s of [bobViewer, bobYjs, bobSync]) assert.equal((await s.closed).code, 4403);
  assert.ok(Date.now() - removed < 1000, 'closed within 1 s');
  const again = await socket(bob, 'yjs', room);
  assert.deepEqual(again.outcome === 'open' ? 'open' : again.outcome.code, 4403, 'the next attempt is refused');
  assert.equal(aliceYjs.ws.readyState, aliceYjs.ws.OPEN, "the owner's own connections stay");
  for (const s of [aliceYjs, aliceSync, again]) s.ws.close();
});

test('links: a signed-in visitor gets the link access until it is revoked', async () => {
  const [alice, carol] = [await signedIn('alice'), await signedIn('carol')];
  const room = 'linked-room';
  const opened = await socket(alice, 'yjs', room);
  const link = await api(alice, 'POST', `/api/boards/${room}/links`, { access: 'view' });
  assert.equal(link.status, 201);
  assert.equal(link.body.url, `${srv.httpUrl}/b/${room}?link=${link.body.id}`);
  assert.match(link.body.id, /^[A-Za-z0-9_-]{22}$/);
  assert.equal((await api(carol, 'POST', `/api/boards/${room}/links/not-a-link/accept`)).status, 404);
  const accepted = await api(carol, 'POST', `/api/boards/${room}/links/${link.body.id}/accept`);
  assert.deepEqual(accepted.body, { room, role: 'viewer' });
  const listed = await api(carol, 'GET', '/api/boards');
  assert.equal(listed.status, 200);
  const carolSync = await socket(carol, 'sync', room);
  assert.equal(carolSync.outcome, 'open');
  carolSync.write('carol', 'tries');
  opened.write('alice', 'here');
  await waitFor(() => stored(room, 'alice') === 'here');
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(stored(room, 'carol'), undefined, 'a view link is read-only');
  assert.equal((await api(alice, 'GET', `/api/boards/${room}/members`)).body.links.length, 1);
  assert.deepEqual((await api(carol, 'GET', `/api/boards/${room}/members`)).body.links, [], 'link ids are for owners');

  const revoked = Date.now();
  const revoke = await fetch(`${srv.httpUrl}/api/boards/${room}/links/${link.body.id}`, {
    method: 'DELETE',
    headers: { cookie: alice.cookieHeader(srv.httpUrl), origin: srv.httpUrl },
  });
  assert.equal(revoke.status, 204);
  assert.equal((await carolSync.closed).code, 4403);
  assert.ok(Date.now() - revoked < 1000);
  const again = await socket(carol, 'sync', room);
  assert.deepEqual(again.outcome === 'open' ? 'open' : again.outcome.code, 4403);
  assert.equal((await api(carol, 'POST', `/api/boards/${room}/links/${link.body.id}/accept`)).status, 404);
  opened.ws.close();
});

test('state-changing calls need the same origin; WebSocket upgrades from another origin do not use the cookie', async () => {
  const alice = await signedIn('alice');
  const room = 'csrf-room';
  (await socket(alice, 'yjs', room)).ws.close();
  const evil = await api(alice, 'POST', `/api/boards/${room}/links`, { access: 'edit' }, 'https://evil.example');
  assert.equal(evil.status, 403);
  const fetchSite = await fetch(`${srv.httpUrl}/api/boards/${room}/links`, {
    method: 'POST',
    headers: { cookie: alice.cookieHeader(srv.httpUrl), 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
    body: JSON.stringify({ access: 'edit' }),
  });
  assert.equal(fetchSite.status, 403);
  assert.equal((await api(alice, 'GET', `/api/boards/${room}/members`)).body.links.length, 0, 'nothing was made');
  assert.equal((await api(alice, 'POST', `/api/boards/${room}/links`, { access: 'edit' })).status, 201);
  const logout = await fetch(`${srv.httpUrl}/auth/logout`, { method: 'POST', headers: { cookie: alice.cookieHeader(srv.httpUrl), origin: 'https://evil.example' } });
  assert.equal(logout.status, 403);
  const hijack = await socket(alice, 'yjs', room, 'https://evil.example');
  assert.deepEqual(hijack.outcome === 'open' ? 'open' : hijack.outcome.code, 4401);
});

test('the boards list shows only what a person may see; admins see all; ownership moves and the owner stays', async () => {
  const [alice, bob] = [await signedIn('alice', short), await signedIn('bob', short)];
  const carol = await signedIn('carol', short);
  const call = (b: Browser, method: string, path: string, body?: unknown) => api(b, method, path, body, short.httpUrl, short);
  for (const room of ['list-a1', 'list-a2']) {
    const s = await socket(alice, 'yjs', room, short.httpUrl, short);
    s.write('t', room);
    await waitFor(() => stored(room, 't', short) === room);
    s.ws.close();
  }
  await waitFor(async () => (await short.server.boards!.catalog.get('list-a2')) !== null, 10_000);
  const ids = async (b: Browser) => (await call(b, 'GET', '/api/boards')).body.boards.map((e: { id: string }) => e.id).sort();
  assert.deepEqual(await ids(alice), ['list-a1', 'list-a2']);
  assert.deepEqual(await ids(bob), []);
  assert.deepEqual(await ids(carol), ['list-a1', 'list-a2'], 'an admin lists every board');
  assert.equal((await call(carol, 'GET', '/api/me')).body.person.admin, true);
  await call(alice, 'PUT', '/api/boards/list-a2/members/bob@example.com', { role: 'viewer' });
  assert.deepEqual(await ids(bob), ['list-a2']);

  assert.equal((await call(alice, 'DELETE', '/api/boards/list-a2/members/alice@example.com')).status, 409, 'the owner cannot leave');
  assert.equal((await call(bob, 'PUT', '/api/boards/list-a2/owner', { email: 'bob@example.com' })).status, 403);
  const moved = await call(alice, 'PUT', '/api/boards/list-a2/owner', { email: 'bob@example.com' });
  assert.equal(moved.status, 200);
  assert.equal(moved.body.owner.email, 'bob@example.com');
  assert.equal((await call(bob, 'DELETE', '/api/boards/list-a2/members/alice@example.com')).status, 204);
  assert.deepEqual(await ids(alice), ['list-a1']);
  assert.equal((await call(alice, 'DELETE', '/api/boards/list-a2')).status, 403, 'no longer hers to trash');
  assert.equal((await call(bob, 'DELETE', '/api/boards/list-a2')).status, 200, 'the owner moves it to the trash');
});

test('logout ends the session here and sends the browser to the provider to end it there too', async () => {
  const browser = await signedIn('bob');
  const before = browser.cookieHeader(srv.httpUrl);
  const out = await browser.request(`${srv.httpUrl}/auth/logout`, { method: 'POST', headers: { origin: srv.httpUrl } });
  assert.equal(out.status, 303);
  const location = new URL(out.headers.get('location')!);
  assert.equal(location.origin, provider.issuer);
  assert.ok(location.searchParams.get('id_token_hint'));
  assert.equal(location.searchParams.get('post_logout_redirect_uri'), `${srv.httpUrl}/`);
  const stale = await fetch(`${srv.httpUrl}/api/me`, { headers: { cookie: before } });
  assert.equal(((await stale.json()) as { person: unknown }).person, null, 'the old cookie no longer opens a session');
});

test("logout closes the sockets opened with that session (4401), not the person's other sessions", async () => {
  const tab = await signedIn('carol');
  const otherDevice = await signedIn('carol');
  const room = 'carol-signs-out';
  const onSync = await socket(tab, 'sync', room);
  const onYjs = await socket(tab, 'yjs', room);
  const elsewhere = await socket(otherDevice, 'yjs', room);
  for (const open of [onSync, onYjs, elsewhere]) assert.equal(open.outcome, 'open');
  onYjs.write('before', 'sign-out');
  await waitFor(() => stored(room, 'before') === 'sign-out');

  const out = await tab.request(`${srv.httpUrl}/auth/logout`, { method: 'POST', headers: { origin: srv.httpUrl } });
  assert.equal(out.status, 303);
  for (const closed of await Promise.all([onSync.closed, onYjs.closed])) assert.deepEqual(closed, { code: 4401, reason: 'signed out' });
  elsewhere.write('after', 'still here');
  await waitFor(() => stored(room, 'after') === 'still here');
  assert.equal(elsewhere.ws.readyState, elsewhere.ws.OPEN, "the other session's socket stays");
  elsewhere.ws.close();
});

test('a signed-in admin downloads a backup from one of the site\'s pages; others, and other sites, are refused', async () => {
  const backup = (browser: Browser, headers: Record<string, string> = {}) =>
    fetch(`${short.httpUrl}/api/admin/backup`, { headers: { cookie: browser.cookieHeader(short.httpUrl), ...headers } });
  const carol = await signedIn('carol', short);
  const sameSite = await backup(carol, { 'sec-fetch-site': 'same-origin' });
  assert.equal(sameSite.status, 200);
  assert.equal(sameSite.headers.get('content-type'), 'application/x-tar');
  const archive = Buffer.from(await sameSite.arrayBuffer());
  assert.equal(archive.subarray(257, 262).toString('latin1'), 'ustar', 'a tar archive');
  assert.ok(archive.includes(Buffer.from('manifest')), 'complete, with its manifest');

  const fromElsewhere = await backup(carol, { 'sec-fetch-site': 'cross-site' });
  assert.equal(fromElsewhere.status, 403, 'a navigation from another site carries the cookie, and is refused');
  await fromElsewhere.arrayBuffer();
  const bob = await signedIn('bob', short);
  const notAdmin = await backup(bob, { 'sec-fetch-site': 'same-origin' });
  assert.equal(notAdmin.status, 403);
  assert.match(((await notAdmin.json()) as { error: string }).error, /admin/);
});

test('tokens still work beside sign-in when AUTH_SECRET is set', async () => {
  const tokens = new TokenVerifier(AUTH_SECRET);
  const rw = await tokens.mint({ room: 'token-room', mode: 'rw' });
  const s = await openBoardSocket(srv.wsUrl, 'yjs', 'token-room', { token: rw });
  assert.equal(s.outcome, 'open');
  s.write('k', 'from-a-token');
  await waitFor(() => stored('token-room', 'k') === 'from-a-token');
  s.ws.close();
  const state = await fetch(`${srv.httpUrl}/api/rooms/token-room/state`, { headers: { authorization: `Bearer ${rw}` } });
  assert.equal(state.status, 200);
  const embed = await fetch(`${srv.httpUrl}/embed/token-room?token=${rw}`, { redirect: 'manual' });
  assert.notEqual(embed.status, 303, 'a page with a token is not sent to sign in');
});

test('a plain-http issuer on loopback works without OIDC_ALLOW_HTTP_ISSUER (as config.ts accepts it)', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const local = await startProvider([url]);
  const server = await startServer({ signIn: signInOptions(local.issuer, url, { allowHttpIssuer: false, discoveryRetryMs: 50 }) }, port);
  try {
    await waitFor(async () => (await fetch(`${url}/auth/login`, { redirect: 'manual' })).status === 303, 5_000);
    const browser = new Browser();
    const { response } = await browser.signIn(`${url}/auth/login`, 'alice');
    assert.equal(response.status, 303);
    assert.ok(browser.cookie(url, 'scrawl_session'), 'signed in');
  } finally {
    await server.stop();
    await local.stop();
  }
});

test('/auth/* is rate limited per address', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 30; i++) statuses.push((await fetch(`${short.httpUrl}/auth/login`, { redirect: 'manual' })).status);
  assert.ok(statuses.includes(429), `some refused: ${statuses.join(',')}`);
  assert.equal(statuses[0] === 303 || statuses[0] === 429, true);
});

test('an unreachable provider at start: the server runs, sign-in answers 503, and works once the provider is up', async () => {
  const [issuerPort, port] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const server = await startServer({ signIn: signInOptions(`http://127.0.0.1:${issuerPort}`, url, { discoveryRetryMs: 50 }) }, port);
  let late: TestProvider | null = null;
  try {
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/auth/login`, { redirect: 'manual' })).status, 503);
    late = await startProvider([url], issuerPort);
    await waitFor(async () => (await fetch(`${url}/auth/login`, { redirect: 'manual' })).status === 303, 10_000);
  } finally {
    await server.stop();
    await late?.stop();
  }
});

test('configuration: the sign-in variables go together, and a plain-http issuer must be on loopback or allowed', () => {
  const base = {
    OIDC_ISSUER_URL: 'https://id.example.com/realms/acme',
    OIDC_CLIENT_ID: 'scrawl',
    OIDC_CLIENT_SECRET: 'secret',
    SESSION_SECRET: 'x'.repeat(32),
    PUBLIC_URL: 'https://board.example.com/',
  };
  const config = loadConfig({ ...base, ADMIN_EMAILS: 'Root@Example.com, ops@example.com' });
  assert.equal(config.signIn?.publicUrl, 'https://board.example.com');
  assert.deepEqual(config.signIn?.adminEmails, ['root@example.com', 'ops@example.com']);
  assert.equal(config.signIn?.scopes, 'openid profile email');
  assert.equal(loadConfig({}).signIn, null, 'open mode by default');
  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig(env);
      return null;
    } catch (error) {
      return (error as Error).message.split(':')[0];
    }
  };
  for (const name of ['OIDC_ISSUER_URL', 'OIDC_CLIENT_ID', 'SESSION_SECRET', 'PUBLIC_URL']) {
    const env: Record<string, string> = { ...base };
    delete env[name];
    assert.equal(refusal(env), name, `missing ${name}`);
  }
  assert.equal(refusal({ ADMIN_EMAILS: 'a@example.com' }), 'OIDC_ISSUER_URL');
  assert.equal(refusal({ ...base, SESSION_SECRET: 'short' }), 'SESSION_SECRET');
  assert.equal(refusal({ ...base, OIDC_SCOPES: 'profile email' }), 'OIDC_SCOPES');
  assert.equal(refusal({ ...base, PUBLIC_URL: 'https://board.example.com/app' }), 'PUBLIC_URL');
  assert.equal(refusal({ ...base, OIDC_ISSUER_URL: 'http://id.example.com' }), 'OIDC_ISSUER_URL');
  assert.equal(refusal({ ...base, OIDC_ISSUER_URL: 'http://id.example.com', OIDC_ALLOW_HTTP_ISSUER: 'true' }), null);
  assert.equal(refusal({ ...base, OIDC_ISSUER_URL: 'http://127.0.0.1:8080' }), null);
});
