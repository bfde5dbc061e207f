import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as Y from 'yjs';
import { startServer, tempDir, type TestServer } from './harness.ts';

let srv: TestServer;
const web = tempDir('scrawl-web-');
before(async () => {
  mkdirSync(join(web.path, 'assets'));
  writeFileSync(join(web.path, 'index.html'), '<!doctype html><title>Scrawl</title>');
  writeFileSync(join(web.path, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(web.path, 'favicon.svg'), '<svg/>');
  srv = await startServer({ webRoot: web.path, tldrawLicenseKey: 'key-123', assetDir: web.path });
});
after(async () => {
  await srv.stop();
  web.remove();
});

const get = (path: string) => fetch(`${srv.httpUrl}${path}`, { redirect: 'manual' });

test('/ is the boards page; /new redirects to a fresh board, a new id each time', async () => {
  const page = await get('/');
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  const first = await get('/new');
  const second = await get('/new');
  assert.equal(first.status, 302);
  assert.match(first.headers.get('location')!, /^\/b\/[A-Za-z0-9_-]{12}$/);
  assert.notEqual(first.headers.get('location'), second.headers.get('location'));
});

test('/b/:room and /embed/:room serve index.html, revalidated every time', async () => {
  for (const path of ['/b/team-board', '/embed/team_board', '/b/x/']) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.match(res.headers.get('content-type')!, /text\/html/);
    assert.match(await res.text(), /<title>Scrawl/);
  }
  assert.equal((await get('/b/not%20valid')).status, 400);
});

test('hashed assets are immutable; other files cache briefly; nothing outside the build is reachable', async () => {
  const asset = await get('/assets/index-abc123.js');
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get('cache-control')!, /immutable/);
  assert.match(asset.headers.get('content-type')!, /javascript/);
  const icon = await get('/favicon.svg');
  assert.equal(icon.headers.get('cache-control'), 'public, max-age=3600');
  for (const path of ['/../package.json', '/%2e%2e/%2e%2e/package.json', '/assets/../../etc/passwd', '/nope.js']) {
    assert.equal((await get(path)).status, 404, path);
  }
});

test('/api/config hands the canvas its licence key at runtime', async () => {
  const res = await get('/api/config');
  assert.deepEqual(await res.json(), { tldrawLicenseKey: 'key-123', authRequired: false, boardList: true });
});

test('/healthz and the state of an empty room', async () => {
  const health = await get('/healthz');
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });
  const state = await get('/api/rooms/empty-room/state');
  assert.equal(state.status, 200);
  assert.equal(state.headers.get('content-type'), 'application/octet-stream');
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(await state.arrayBuffer()));
  assert.equal(doc.store.clients.size, 0);
  assert.equal((await fetch(`${srv.httpUrl}/api/rooms/empty-room/state`, { method: 'POST' })).status, 405);
});

test('images upload to the room, come back byte-equal with immutable caching, and bad uploads are refused', async () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);
  const upload = await fetch(`${srv.httpUrl}/api/rooms/pics/assets`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png });
  assert.equal(upload.status, 201);
  const { url } = (await upload.json()) as { url: string };
  assert.match(url, /^\/api\/rooms\/pics\/assets\/[0-9a-f]{64}\.png$/);
  const again = await fetch(`${srv.httpUrl}/api/rooms/pics/assets`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png });
  assert.equal(((await again.json()) as { url: string }).url, url, 'content-addressed: same file, same URL');
  const res = await get(url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/png');
  assert.match(res.headers.get('cache-control')!, /immutable/);
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), png);
  const post = (type: string, body: Uint8Array, room = 'pics') =>
    fetch(`${srv.httpUrl}/api/rooms/${room}/assets`, { method: 'POST', headers: { 'content-type': type }, body });
  assert.equal((await post('text/html', png)).status, 415);
  assert.equal((await post('image/png', new Uint8Array(10 * 1024 * 1024 + 1))).status, 413);
  assert.equal((await post('image/png', png, 'bad%20room')).status, 400);
  assert.equal((await get('/api/rooms/pics/assets/..%2F..%2Fstate')).status, 404);
  assert.equal((await get(`/api/rooms/other/assets/${url.split('/').pop()}`)).status, 404, 'assets belong to their room');
});
