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
  srv = await startServer({ webRoot: web.path, tldrawLicenseKey: 'key-123' });
});
after(async () => {
  await srv.stop();
  web.remove();
});

const get = (path: string) => fetch(`${srv.httpUrl}${path}`, { redirect: 'manual' });

test('/ redirects to a fresh board, a new id each time', async () => {
  const first = await get('/');
  const second = await get('/');
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
  assert.deepEqual(await res.json(), { tldrawLicenseKey: 'key-123' });
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
