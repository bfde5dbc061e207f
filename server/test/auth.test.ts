import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HocuspocusProvider } from '@hocuspocus/provider';
import { SignJWT } from 'jose';
import * as Y from 'yjs';
import { TokenVerifier } from '../src/sync/auth.ts';
import { encodeAuthFrame } from '../src/sync/frames.ts';
import { closed, openRawSocket, startLevelDbServer, synced, tempDir, waitFor, yjsClient, type TestServer } from './harness.ts';

const SECRET = 'test-secret-that-is-long-enough-for-hs256!';
const tokens = new TokenVerifier(SECRET);
const dir = tempDir();
let srv: TestServer;
before(async () => {
  srv = await startLevelDbServer(dir.path, { authSecret: SECRET });
});
after(async () => {
  await srv.stop();
  dir.remove();
});

const expired = () =>
  new SignJWT({ room: 'board', mode: 'rw' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(new TextEncoder().encode(SECRET));
const forged = () =>
  new SignJWT({ room: 'board', mode: 'rw' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode('another-secret-that-is-long-enough!!'));

async function yjsCloseCode(token: string | null): Promise<number> {
  const ws = await openRawSocket(`${srv.wsUrl}/yjs/board${token === null ? '' : `?token=${token}`}`);
  return (await closed(ws)).code;
}

async function syncCloseCode(token: string): Promise<number> {
  const ws = await openRawSocket(`${srv.wsUrl}/sync`);
  const closing = closed(ws);
  ws.send(encodeAuthFrame('board', token));
  return (await closing).code;
}

test('the auth matrix on both endpoints: missing, other room, expired, forged', async () => {
  const cases: [string, () => Promise<string | null>, number][] = [
    ['no token', async () => null, 4401],
    ['empty token', async () => '', 4401],
    ['token for another room', () => tokens.mint({ room: 'elsewhere', mode: 'rw' }), 4403],
    ['expired token', expired, 4401],
    ['forged signature', forged, 4401],
    ['not a JWT', async () => 'garbage', 4401],
  ];
  for (const [name, make, code] of cases) {
    const token = await make();
    assert.equal(await yjsCloseCode(token), code, `/yjs: ${name}`);
    assert.equal(await syncCloseCode(token ?? ''), code, `/sync: ${name}`);
  }
});

test('the API needs a Bearer token for the room: 401 without, 403 for another room, 200 with', async () => {
  const url = `${srv.httpUrl}/api/rooms/board/state`;
  assert.equal((await fetch(url)).status, 401);
  assert.equal((await fetch(url, { headers: { authorization: `Bearer ${await expired()}` } })).status, 401);
  const other = await tokens.mint({ room: 'elsewhere', mode: 'rw' });
  assert.equal((await fetch(url, { headers: { authorization: `Bearer ${other}` } })).status, 403);
  const wildcard = await tokens.mint({ room: '*', mode: 'ro' });
  assert.equal((await fetch(url, { headers: { authorization: `Bearer ${wildcard}` } })).status, 200);
  assert.equal((await fetch(`${srv.httpUrl}/healthz`)).status, 200, 'health stays open');
});

test('read-only clients receive everything and show presence, but their writes are refused on both protocols', async () => {
  const rw = await tokens.mint({ room: 'board', mode: 'rw' });
  const ro = await tokens.mint({ room: 'board', mode: 'ro' });
  const writer = yjsClient(srv.wsUrl, 'board', new Y.Doc(), { token: rw });
  const viewerYjs = yjsClient(srv.wsUrl, 'board', new Y.Doc(), { token: ro });
  const viewerSync = new HocuspocusProvider({ url: `${srv.wsUrl}/sync`, name: 'board', token: ro });
  try {
    await Promise.all([synced(writer), synced(viewerYjs), synced(viewerSync)]);
    writer.doc.getMap('m').set('by', 'writer');
    await waitFor(() => viewerYjs.doc.getMap('m').get('by') === 'writer' && viewerSync.document.getMap('m').get('by') === 'writer');

    viewerSync.awareness!.setLocalStateField('user', { name: 'Viewer' });
    await waitFor(() => [...writer.awareness.getStates().values()].some((s) => s.user?.name === 'Viewer'));

    viewerYjs.doc.getMap('m').set('vandal', 'y-websocket');
    viewerSync.document.getMap('m').set('vandal2', 'hocuspocus');
    // A marker written after the refused writes: once the writer has it, the refused ones would have arrived too.
    await new Promise((r) => setTimeout(r, 200));
    writer.doc.getMap('m').set('marker', 1);
    await waitFor(() => viewerYjs.doc.getMap('m').get('marker') === 1);
    assert.equal(writer.doc.getMap('m').get('vandal'), undefined);
    assert.equal(writer.doc.getMap('m').get('vandal2'), undefined);
  } finally {
    writer.destroy();
    viewerYjs.destroy();
    viewerSync.destroy();
    viewerSync.document.destroy();
  }
  // And nothing of theirs was stored: a restart on the same data shows only the writer's keys.
  await srv.stop();
  srv = await startLevelDbServer(dir.path, { authSecret: SECRET });
  const res = await fetch(`${srv.httpUrl}/api/rooms/board/state`, { headers: { authorization: `Bearer ${rw}` } });
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(await res.arrayBuffer()));
  assert.deepEqual(Object.keys(doc.getMap('m').toJSON()).sort(), ['by', 'marker']);
});
