import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as Y from 'yjs';
import { TokenVerifier } from '../src/sync/auth.ts';
import { hocuspocusClient, startLevelDbServer, synced, tempDir, waitFor, yjsClient, type TestServer } from './harness.ts';

const SECRET = 'versions-test-secret-long-enough-for-hs256';
const tokens = new TokenVerifier(SECRET);
const dir = tempDir();
let srv: TestServer;
let rw: string;
let ro: string;
before(async () => {
  srv = await startLevelDbServer(dir.path, { authSecret: SECRET, autoVersionAfterIdleMs: 300 });
  rw = await tokens.mint({ room: 'history', mode: 'rw' });
  ro = await tokens.mint({ room: 'history', mode: 'ro' });
});
after(async () => {
  await srv.stop();
  dir.remove();
});

const api = (path: string, token: string, init: RequestInit = {}) =>
  fetch(`${srv.httpUrl}/api/rooms/history${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
const records = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('records');
function addShape(doc: Y.Doc, id: string, x: number) {
  const shape = new Y.Map<unknown>();
  shape.set('id', id);
  shape.set('x', x);
  records(doc).set(id, shape);
}
const ids = (doc: Y.Doc) => [...records(doc).keys()].sort();

test('save, list, preview, label and restore a version; both connected clients see the restore, and it can be undone', async () => {
  const a = hocuspocusClient(srv.wsUrl, 'history', new Y.Doc(), rw);
  const b = yjsClient(srv.wsUrl, 'history', new Y.Doc(), { token: rw });
  await Promise.all([synced(a), synced(b)]);
  try {
    addShape(a.document, 'shape:one', 1);
    addShape(a.document, 'shape:two', 2);
    await waitFor(() => ids(b.doc).length === 2 && a.unsyncedChanges === 0);

    const saved = await api('/versions', rw, { method: 'POST', body: JSON.stringify({ label: 'two shapes' }) });
    assert.equal(saved.status, 201);
    const version = (await saved.json()) as { id: string; label: string; bytes: number; auto: boolean };
    assert.equal(version.label, 'two shapes');
    assert.equal(version.auto, false);

    // Later: one shape moved, one deleted, one added, by the other client.
    (records(b.doc).get('shape:one') as Y.Map<unknown>).set('x', 100);
    records(b.doc).delete('shape:two');
    addShape(b.doc, 'shape:three', 3);
    await waitFor(() => ids(a.document).join() === 'shape:one,shape:three');

    const preview = await api(`/versions/${version.id}`, ro);
    assert.equal(preview.status, 200);
    const previewDoc = new Y.Doc();
    Y.applyUpdate(previewDoc, new Uint8Array(await preview.arrayBuffer()));
    assert.deepEqual(ids(previewDoc), ['shape:one', 'shape:two']);

    assert.equal((await api(`/versions/${version.id}/restore`, ro, { method: 'POST' })).status, 403, 'read-only may not restore');
    const restored = await api(`/versions/${version.id}/restore`, rw, { method: 'POST' });
    assert.equal(restored.status, 200);
    const { restoredFrom, savedAs } = (await restored.json()) as { restoredFrom: string; savedAs: string };
    assert.equal(restoredFrom, version.id);
    for (const doc of [a.document, b.doc]) {
      await waitFor(() => ids(doc).join() === 'shape:one,shape:two' && (records(doc).get('shape:one') as Y.Map<unknown>).get('x') === 1);
    }

    // Restoring the state saved before the restore undoes it.
    assert.equal((await api(`/versions/${savedAs}/restore`, rw, { method: 'POST' })).status, 200);
    for (const doc of [a.document, b.doc]) {
      await waitFor(() => ids(doc).join() === 'shape:one,shape:three' && (records(doc).get('shape:one') as Y.Map<unknown>).get('x') === 100);
    }

    const relabel = await api(`/versions/${version.id}`, rw, { method: 'PATCH', body: JSON.stringify({ label: 'renamed' }) });
    assert.equal(((await relabel.json()) as { label: string }).label, 'renamed');
    const list = (await (await api('/versions', ro)).json()) as { id: string; label: string }[];
    assert.ok(list.some((v) => v.id === version.id && v.label === 'renamed'));
    assert.ok(list.some((v) => v.id === savedAs));
    assert.equal((await api('/versions/000000000-00000000', rw)).status, 404);
    assert.equal((await api('/versions', rw, { method: 'POST', body: 'not json' })).status, 400);
  } finally {
    a.destroy();
    b.destroy();
  }
  // The restores were stored: after a restart the room holds the last restored state.
  await srv.stop();
  srv = await startLevelDbServer(dir.path, { authSecret: SECRET, autoVersionAfterIdleMs: 300 });
  const state = await api('/state', ro);
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(await state.arrayBuffer()));
  assert.equal(ids(doc).join(), 'shape:one,shape:three');
});

test('an automatic version keeps the state from before the first change after an idle period', async () => {
  const writer = yjsClient(srv.wsUrl, 'history', new Y.Doc(), { token: rw });
  await synced(writer);
  try {
    const before = (await (await api('/versions', rw)).json()) as { id: string; auto: boolean }[];
    await new Promise((r) => setTimeout(r, 400));
    addShape(writer.doc, 'shape:after-idle', 9);
    const auto = await waitFor(async () => {
      const list = (await (await api('/versions', rw)).json()) as { id: string; auto: boolean; label: string }[];
      return list.find((v) => v.auto && v.label === '' && !before.some((b) => b.id === v.id));
    });
    const state = await api(`/versions/${auto.id}`, rw);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, new Uint8Array(await state.arrayBuffer()));
    assert.ok(!records(doc).has('shape:after-idle'), 'the version holds the state before the change');
    assert.ok(records(doc).has('shape:three'));
  } finally {
    writer.destroy();
  }
});
