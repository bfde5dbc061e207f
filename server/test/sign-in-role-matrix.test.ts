/**
 * Issue 16's role matrix, in sign-in mode against a real OpenID Provider, on a LevelDB store on disk: every API route
 * of a board (taken from the server's own route tables: ROOM_ROUTES, BOARD_ROUTES, PEOPLE_ROUTES, plus the boards
 * list, import and /new) called by each kind of caller, and both WebSocket endpoints opened and written to by each.
 * Each check runs on a fresh board, so an allowed change (trash, transfer, revoke) never decides the next check.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BOARD_ROUTES } from '../src/http/boards-api.ts';
import { type Access, ROOM_ROUTES } from '../src/http/room-api.ts';
import { PEOPLE_ROUTES } from '../src/people/people-api.ts';
import { waitFor } from './harness.ts';
import { openBoardSocket } from './oidc-fixtures.ts';
import { type Answer, type Call, type MatrixBoard, type MatrixRole, type MatrixWorld, PNG, ROLES, boardFor, call, must, startMatrixWorld } from './sign-in-matrix-fixtures.ts';

/** What a route needs: nothing, someone signed in, a role on the board, or an admin. */
type Need = 'open' | 'signed-in' | 'viewer' | 'editor' | 'owner' | 'admin';

/** One expectation: a route of one of the tables, what it needs, and a well-formed request for it on a board. */
interface Expectation {
  table: 'room' | 'board' | 'people' | 'top';
  /** room: `<METHOD> <path after /api/rooms/:room>`; board and people: the table's key; top: a name. */
  key: string;
  need: Need;
  /** Makes the request (alice prepares what it needs first: a version, an asset, the trash...). */
  request: (board: MatrixBoard) => Promise<Call>;
}

let world: MatrixWorld;
/** alice's board every matrix board is a duplicate of. */
const BASE = 'matrix-base';
/** A template (made by carol, an admin) for `/new?template=`. */
let template: string;
/** The base board as a .tldr file, for the import route. */
let tldrFile: Buffer;

const VERSION_SAMPLE = 'abcdefghi-0123abcd';
const alice = (request: Call) => must(world.srv, world.alice, request);
const saveVersion = async (room: string) => (await alice({ method: 'POST', path: `/api/rooms/${room}/versions`, body: { label: 'v' } })).body.id as string;
const trash = (room: string) => alice({ method: 'DELETE', path: `/api/boards/${room}` });
const thumbnailUrl = async (room: string) => {
  await alice({ method: 'PUT', path: `/api/boards/${room}/thumbnail`, raw: PNG, type: 'image/png' });
  return (await alice({ method: 'GET', path: `/api/boards/${room}` })).body.thumbnailUrl as string;
};

/** The expectation table: the rules (docs/protocol.md, "People") for each route. */
const EXPECTATIONS: Expectation[] = [
  { table: 'room', key: 'GET ', need: 'admin', request: async (b) => ({ method: 'GET', path: `/api/rooms/${b.room}` }) },
  { table: 'room', key: 'GET /state', need: 'viewer', request: async (b) => ({ method: 'GET', path: `/api/rooms/${b.room}/state` }) },
  { table: 'room', key: 'GET /export', need: 'viewer', request: async (b) => ({ method: 'GET', path: `/api/rooms/${b.room}/export?format=tldr` }) },
  { table: 'room', key: 'GET /comments', need: 'viewer', request: async (b) => ({ method: 'GET', path: `/api/rooms/${b.room}/comments` }) },
  { table: 'room', key: 'POST /assets', need: 'editor', request: async (b) => ({ method: 'POST', path: `/api/rooms/${b.room}/assets`, raw: PNG, type: 'image/png' }) },
  {
    // Open in open and token mode (an <img> sends no token); in sign-in mode without AUTH_SECRET, a viewer's.
    table: 'room',
    key: 'GET /assets/x.png',
    need: 'viewer',
    request: async (b) => ({ method: 'GET', path: (await alice({ method: 'POST', path: `/api/rooms/${b.room}/assets`, raw: PNG, type: 'image/png' })).body.url }),
  },
  { table: 'room', key: 'GET /versions', need: 'viewer', request: async (b) => ({ method: 'GET', path: `/api/rooms/${b.room}/versions` }) },
  { table: 'room', key: 'POST /versions', need: 'editor', request: async (b) => ({ method: 'POST', path: `/api/rooms/${b.room}/versions`, body: { label: 'x' } }) },
  { table: 'room', key: `GET /versions/${VERSION_SAMPLE}`, need: 'viewer', request: async (b) => ({ method: 'GET', path: `/api/rooms/${b.room}/versions/${await saveVersion(b.room)}` }) },
  {
    table: 'room',
    key: `PATCH /versions/${VERSION_SAMPLE}`,
    need: 'editor',
    request: async (b) => ({ method: 'PATCH', path: `/api/rooms/${b.room}/versions/${await saveVersion(b.room)}`, body: { label: 'relabelled' } }),
  },
  {
    table: 'room',
    key: `POST /versions/${VERSION_SAMPLE}/restore`,
    need: 'editor',
    request: async (b) => ({ method: 'POST', path: `/api/rooms/${b.room}/versions/${await saveVersion(b.room)}/restore` }),
  },
  { table: 'room', key: 'POST /share', need: 'editor', request: async (b) => ({ method: 'POST', path: `/api/rooms/${b.room}/share`, body: { mode: 'ro' } }) },

  { table: 'board', key: 'GET ', need: 'viewer', request: async (b) => ({ method: 'GET', path: `/api/boards/${b.room}` }) },
  { table: 'board', key: 'PATCH ', need: 'editor', request: async (b) => ({ method: 'PATCH', path: `/api/boards/${b.room}`, body: { title: 'Renamed', starred: true } }) },
  { table: 'board', key: 'DELETE ', need: 'owner', request: async (b) => ({ method: 'DELETE', path: `/api/boards/${b.room}` }) },
  {
    table: 'board',
    key: 'DELETE ',
    need: 'owner',
    request: async (b) => (await trash(b.room), { method: 'DELETE', path: `/api/boards/${b.room}?forever=1` }),
  },
  { table: 'board', key: 'POST /restore', need: 'owner', request: async (b) => (await trash(b.room), { method: 'POST', path: `/api/boards/${b.room}/restore` }) },
  { table: 'board', key: 'POST /duplicate', need: 'viewer', request: async (b) => ({ method: 'POST', path: `/api/boards/${b.room}/duplicate`, body: {} }) },
  { table: 'board', key: 'PUT /thumbnail', need: 'editor', request: async (b) => ({ method: 'PUT', path: `/api/boards/${b.room}/thumbnail`, raw: PNG, type: 'image/png' }) },
  // Like asset files: open in token mode (the version in the URL is the key), a viewer's in sign-in mode without AUTH_SECRET.
  { table: 'board', key: 'GET /thumbnail', need: 'viewer', request: async (b) => ({ method: 'GET', path: await thumbnailUrl(b.room) }) },
  { table: 'board', key: 'HEAD /thumbnail', need: 'viewer', request: async (b) => ({ method: 'HEAD', path: await thumbnailUrl(b.room) }) },

  { table: 'people', key: 'GET members', need: 'viewer', request: async (b) => ({ method: 'GET', path: `/api/boards/${b.room}/members` }) },
  { table: 'people', key: 'HEAD members', need: 'viewer', request: async (b) => ({ method: 'HEAD', path: `/api/boards/${b.room}/members` }) },
  {
    table: 'people',
    key: 'PUT members/:item',
    need: 'owner',
    request: async (b) => ({ method: 'PUT', path: `/api/boards/${b.room}/members/erin@example.com`, body: { role: 'viewer' } }),
  },
  {
    table: 'people',
    key: 'DELETE members/:item',
    need: 'owner',
    request: async (b) => {
      await alice({ method: 'PUT', path: `/api/boards/${b.room}/members/dave@example.com`, body: { role: 'editor' } });
      return { method: 'DELETE', path: `/api/boards/${b.room}/members/dave@example.com` };
    },
  },
  { table: 'people', key: 'POST links', need: 'owner', request: async (b) => ({ method: 'POST', path: `/api/boards/${b.room}/links`, body: { access: 'edit' } }) },
  { table: 'people', key: 'DELETE links/:item', need: 'owner', request: async (b) => ({ method: 'DELETE', path: `/api/boards/${b.room}/links/${b.linkId}` }) },
  { table: 'people', key: 'POST links/:item/accept', need: 'signed-in', request: async (b) => ({ method: 'POST', path: `/api/boards/${b.room}/links/${b.linkId}/accept` }) },
  { table: 'people', key: 'PUT owner', need: 'owner', request: async (b) => ({ method: 'PUT', path: `/api/boards/${b.room}/owner`, body: { email: 'alice@example.com' } }) },

  { table: 'top', key: 'list', need: 'signed-in', request: async () => ({ method: 'GET', path: '/api/boards' }) },
  { table: 'top', key: 'search', need: 'signed-in', request: async () => ({ method: 'GET', path: '/api/boards?q=matrix' }) },
  { table: 'top', key: 'import', need: 'signed-in', request: async () => ({ method: 'POST', path: '/api/boards/import', raw: tldrFile, type: 'application/json' }) },
  // A page, not an API call: nobody signed in is sent to the login (303 /auth/login?next=/new; counted as 401).
  { table: 'top', key: 'new', need: 'signed-in', request: async () => ({ method: 'GET', path: '/new' }) },
  { table: 'top', key: 'new from a template', need: 'signed-in', request: async () => ({ method: 'GET', path: `/new?template=${template}` }) },
];

/** How strong each caller is, and what each need asks for, on one scale. */
const STRENGTH: Record<Exclude<MatrixRole, 'none'>, number> = { 'no-access': 0, viewer: 1, 'view-link': 1, editor: 2, 'edit-link': 2, owner: 3, admin: 4 };
const NEEDED: Record<Exclude<Need, 'open'>, number> = { 'signed-in': 0, viewer: 1, editor: 2, owner: 3, admin: 4 };
/** What ROOM_ROUTES' access means in sign-in mode without AUTH_SECRET (room-api.ts, authorize): 'open' is asset files. */
const ROOM_ACCESS_NEED: Record<Access, Need> = { open: 'viewer', read: 'viewer', write: 'editor', admin: 'admin' };

function expected(need: Need, role: MatrixRole): 401 | 403 | 'allowed' {
  if (need === 'open') return 'allowed';
  if (role === 'none') return 401;
  return STRENGTH[role] >= NEEDED[need] ? 'allowed' : 403;
}

/** The answer's class; a page route sends nobody-signed-in to the login, which counts as 401. */
function outcome(answer: Answer): 401 | 403 | 'allowed' {
  if (answer.status === 401 || answer.status === 403) return answer.status;
  if (answer.status === 303 && answer.location?.startsWith('/auth/login')) return 401;
  return 'allowed';
}

before(async () => {
  world = await startMatrixWorld();
  const s = await openBoardSocket(world.srv.wsUrl, 'yjs', BASE, { cookie: world.alice.cookieHeader(world.srv.httpUrl), origin: world.srv.httpUrl });
  assert.equal(s.outcome, 'open');
  s.write('title', 'matrix');
  await waitFor(async () => (await world.srv.server.boards!.catalog.get(BASE)) !== null, 10_000);
  s.ws.close();
  template = (await must(world.srv, world.carol, { method: 'POST', path: `/api/boards/${BASE}/duplicate`, body: { template: true } })).body.id;
  const exported = await fetch(`${world.srv.httpUrl}/api/rooms/${BASE}/export?format=tldr`, { headers: { cookie: world.alice.cookieHeader(world.srv.httpUrl) } });
  assert.equal(exported.status, 200);
  tldrFile = Buffer.from(await exported.arrayBuffer());
});
after(async () => world?.stop());

test('the expectation table covers every route of the route tables, and agrees with ROOM_ROUTES on access', () => {
  const room = EXPECTATIONS.filter((e) => e.table === 'room');
  for (const route of ROOM_ROUTES) {
    const matches = room.filter((e) => e.key.split(' ')[0] === route.method && route.path.test(e.key.slice(e.key.indexOf(' ') + 1)));
    assert.ok(matches.length > 0, `no expectation for ${route.method} /api/rooms/:room ${route.path}`);
    for (const e of matches) assert.equal(e.need, ROOM_ACCESS_NEED[route.access], `${e.key}: the table says ${route.access}`);
  }
  for (const e of room) {
    const [method, rest] = [e.key.split(' ')[0], e.key.slice(e.key.indexOf(' ') + 1)];
    assert.ok(ROOM_ROUTES.some((r) => r.method === method && r.path.test(rest)), `${e.key} is no room route`);
  }
  for (const [table, keys] of [['board', BOARD_ROUTES], ['people', PEOPLE_ROUTES]] as const) {
    const mine = new Set(EXPECTATIONS.filter((e) => e.table === table).map((e) => e.key));
    assert.deepEqual([...mine].sort(), [...keys].sort(), `the ${table} routes and their expectations`);
  }
});

test('the boards list: a person sees only boards they may see; an admin sees all', async () => {
  const { srv, alice: a, bob, carol } = world;
  const only = (await boardFor(world, BASE, 'owner')).room;
  const member = (await boardFor(world, BASE, 'viewer')).room;
  const linked = (await boardFor(world, BASE, 'view-link')).room;
  const ids = async (browser: typeof a, query = '') =>
    ((await must(srv, browser, { method: 'GET', path: `/api/boards?limit=100${query}` })).body.boards as { id: string }[]).map((e) => e.id).sort();
  assert.deepEqual(await ids(bob), [member, linked].sort(), 'bob: the board he is a member of and the one he opened through a link');
  const alices = await ids(a);
  for (const room of [BASE, only, member, linked]) assert.ok(alices.includes(room), `alice owns ${room}`);
  const all = await ids(carol);
  for (const room of alices) assert.ok(all.includes(room), `the admin lists ${room}`);
  assert.equal(all.includes(template), false, 'templates are in their own view');
  const templates = await ids(bob, '&view=templates');
  assert.ok(templates.includes(template), 'every signed-in person sees the templates');
  // Search filters the same way (titles reach the index after the change settles, off the request path).
  for (const room of [only, member, linked]) await must(srv, a, { method: 'PATCH', path: `/api/boards/${room}`, body: { title: `Quarterly ${room}` } });
  const quarterly = [only, member, linked].sort();
  await waitFor(async () => JSON.stringify(await ids(carol, '&q=quarterly')) === JSON.stringify(quarterly), 10_000);
  assert.deepEqual(await ids(a, '&q=quarterly'), quarterly);
  assert.deepEqual(await ids(bob, '&q=quarterly'), [member, linked].sort(), "bob's search finds only his boards");
  assert.equal((await call(srv, null, { method: 'GET', path: '/api/boards' })).status, 401);
});

test('every API route, for every kind of caller', async (t) => {
  for (const expectation of EXPECTATIONS) {
    for (const role of ROLES) {
      await t.test(`${expectation.table} ${expectation.key} as ${role}`, async () => {
        const board = await boardFor(world, BASE, role);
        const request = await expectation.request(board);
        const answer = await call(world.srv, board.caller, request);
        const want = expected(expectation.need, role);
        assert.equal(outcome(answer), want, `${request.method} ${request.path} as ${role}: ${answer.status} ${JSON.stringify(answer.body)}`);
        // Every request here is well-formed: allowed means done (2xx, or /new's redirect to the board).
        if (want === 'allowed') assert.ok(answer.status >= 200 && answer.status < 303, `${request.method} ${request.path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      });
    }
  }
});

test('asset files and thumbnails, checked per person in sign-in mode, are never cached by shared caches', async () => {
  const board = await boardFor(world, BASE, 'viewer');
  const asset = (await alice({ method: 'POST', path: `/api/rooms/${board.room}/assets`, raw: PNG, type: 'image/png' })).body.url as string;
  for (const path of [asset, await thumbnailUrl(board.room)]) {
    const response = await fetch(`${world.srv.httpUrl}${path}`, { headers: { cookie: world.bob.cookieHeader(world.srv.httpUrl) } });
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get('cache-control'), 'private, max-age=31536000, immutable', path);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), PNG);
  }
});

test('/sync and /yjs/:room: nobody 4401, no access 4403, viewers read only, editors, owners and admins write', async (t) => {
  const { srv, alice: a } = world;
  for (const role of ROLES) {
    await t.test(role, async () => {
      const board = await boardFor(world, BASE, role);
      const headers = { cookie: board.caller?.cookieHeader(srv.httpUrl), origin: srv.httpUrl };
      const owner = await openBoardSocket(srv.wsUrl, 'yjs', board.room, { cookie: a.cookieHeader(srv.httpUrl), origin: srv.httpUrl });
      assert.equal(owner.outcome, 'open');
      const stored = (key: string) => srv.server.hocuspocus.documents.get(board.room)?.getMap('m').get(key);
      for (const endpoint of ['sync', 'yjs'] as const) {
        const s = await openBoardSocket(srv.wsUrl, endpoint, board.room, headers);
        if (role === 'none' || role === 'no-access') {
          assert.equal(s.outcome === 'open' ? 'open' : s.outcome.code, role === 'none' ? 4401 : 4403, `${role} on ${endpoint}`);
          continue;
        }
        assert.equal(s.outcome, 'open', `${role} on ${endpoint}`);
        s.write(`${endpoint}-${role}`, 'written');
        owner.write(`marker-${endpoint}`, 'after');
        await waitFor(() => stored(`marker-${endpoint}`) === 'after');
        if (role === 'viewer' || role === 'view-link') {
          // The marker came after the viewer's update on the server; wait a little more for any late arrival.
          await new Promise((resolve) => setTimeout(resolve, 150));
          assert.equal(stored(`${endpoint}-${role}`), undefined, `a ${role}'s ${endpoint} update is not stored`);
        } else {
          await waitFor(() => stored(`${endpoint}-${role}`) === 'written');
        }
        s.ws.close();
      }
      owner.ws.close();
    });
  }
});
