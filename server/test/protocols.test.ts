import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as Y from 'yjs';
import { fingerprint, hocuspocusClient, startServer, synced, waitFor, yjsClient, type TestServer } from './harness.ts';

let srv: TestServer;
before(async () => {
  srv = await startServer();
});
after(() => srv.stop());

test('a y-websocket client and a Hocuspocus client on one room see each other\'s edits', async () => {
  const a = hocuspocusClient(srv.wsUrl, 'interop');
  const b = yjsClient(srv.wsUrl, 'interop');
  try {
    await Promise.all([synced(a), synced(b)]);
    a.document.getMap('m').set('from', 'hocuspocus');
    b.doc.getMap('m').set('to', 'y-websocket');
    await waitFor(() => b.doc.getMap('m').get('from') === 'hocuspocus');
    await waitFor(() => a.document.getMap('m').get('to') === 'y-websocket');
    assert.deepEqual(fingerprint(a.document), fingerprint(b.doc));
  } finally {
    a.destroy();
    b.destroy();
  }
});

test('awareness flows both ways and a disconnect removes the state within 1 s', async () => {
  const a = hocuspocusClient(srv.wsUrl, 'presence');
  const b = yjsClient(srv.wsUrl, 'presence');
  try {
    await Promise.all([synced(a), synced(b)]);
    a.awareness!.setLocalStateField('user', { name: 'Ada' });
    b.awareness.setLocalStateField('user', { name: 'Bob' });
    const names = (aw: { getStates(): Map<number, Record<string, any>> }) =>
      [...aw.getStates().values()].map((s) => s.user?.name).filter(Boolean).sort();
    await waitFor(() => names(b.awareness).join() === 'Ada,Bob');
    await waitFor(() => names(a.awareness!).join() === 'Ada,Bob');

    // y-websocket client leaves: the Hocuspocus client must drop Bob at once, not after the 30 s awareness timeout.
    const started = Date.now();
    b.destroy();
    await waitFor(() => names(a.awareness!).join() === 'Ada', 1_000);
    const bobGoneMs = Date.now() - started;

    const c = yjsClient(srv.wsUrl, 'presence');
    await synced(c);
    await waitFor(() => names(c.awareness).join() === 'Ada');
    const started2 = Date.now();
    a.destroy();
    await waitFor(() => names(c.awareness).length === 0, 1_000);
    c.destroy();
    console.log(`awareness removal: y-websocket -> hocuspocus ${bobGoneMs} ms, hocuspocus -> y-websocket ${Date.now() - started2} ms`);
  } finally {
    a.destroy();
    b.destroy();
  }
});

test('setLocalState(null) reaches the others (the upstream re-encoding dropped it)', async () => {
  const a = hocuspocusClient(srv.wsUrl, 'presence-null');
  const b = yjsClient(srv.wsUrl, 'presence-null');
  try {
    await Promise.all([synced(a), synced(b)]);
    a.awareness!.setLocalStateField('user', { name: 'Ada' });
    await waitFor(() => b.awareness.getStates().has(a.document.clientID));
    a.awareness!.setLocalState(null);
    await waitFor(() => !b.awareness.getStates().has(a.document.clientID), 1_000);
  } finally {
    a.destroy();
    b.destroy();
  }
});

test('a late joiner on either endpoint receives the whole state in its first sync', async () => {
  const writer = yjsClient(srv.wsUrl, 'late');
  await synced(writer);
  const text = writer.doc.getText('t');
  for (let i = 0; i < 50; i++) text.insert(text.length, `line ${i}\n`);
  await waitFor(() => srv.server.hocuspocus.documents.get('late')?.getText('t').length === text.length);
  const viaSync = hocuspocusClient(srv.wsUrl, 'late');
  const viaYjs = yjsClient(srv.wsUrl, 'late');
  try {
    await Promise.all([synced(viaSync), synced(viaYjs)]);
    assert.equal(viaSync.document.getText('t').toString(), text.toString());
    assert.equal(viaYjs.doc.getText('t').toString(), text.toString());
  } finally {
    writer.destroy();
    viaSync.destroy();
    viaYjs.destroy();
  }
});

test('the room unloads after the last client leaves', async () => {
  const a = hocuspocusClient(srv.wsUrl, 'unload');
  const b = yjsClient(srv.wsUrl, 'unload');
  await Promise.all([synced(a), synced(b)]);
  a.document.getMap('m').set('k', 1);
  await waitFor(() => b.doc.getMap('m').get('k') === 1);
  assert.ok(srv.server.hocuspocus.documents.has('unload'));
  a.destroy();
  b.destroy();
  await waitFor(() => !srv.server.hocuspocus.documents.has('unload'), 5_000, () => 'room stayed loaded');
  const res = await fetch(`${srv.httpUrl}/api/rooms/unload/state`);
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(await res.arrayBuffer()));
  assert.equal(doc.getMap('m').get('k'), 1);
});
