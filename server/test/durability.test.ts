import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as Y from 'yjs';
import { fingerprint, hocuspocusClient, startChildServer, startLevelDbServer, synced, tempDir, waitFor, yjsClient } from './harness.ts';

const dirs: { remove: () => void }[] = [];
after(() => dirs.forEach((d) => d.remove()));

async function fetchState(httpUrl: string, room: string): Promise<Y.Doc> {
  const res = await fetch(`${httpUrl}/api/rooms/${room}/state`);
  assert.equal(res.status, 200);
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(await res.arrayBuffer()));
  return doc;
}

test('restart on the same DATA_DIR gives byte-equal state vector and equal content', async () => {
  const dir = tempDir();
  dirs.push(dir);
  let srv = await startLevelDbServer(dir.path, { compactAfterUpdates: 40 });
  const a = hocuspocusClient(srv.wsUrl, 'restart');
  const b = yjsClient(srv.wsUrl, 'restart');
  await Promise.all([synced(a), synced(b)]);
  const shapes = a.document.getMap<Y.Map<unknown>>('shapes');
  for (let i = 0; i < 60; i++) {
    const shape = new Y.Map<unknown>();
    shape.set('x', i);
    shapes.set(`shape:${i}`, shape);
  }
  b.doc.getText('title').insert(0, 'Board');
  shapes.delete('shape:3');
  await waitFor(() => a.unsyncedChanges === 0 && b.doc.getMap('shapes').size === 59 && a.document.getText('title').length === 5);
  const before = fingerprint(a.document);
  a.destroy();
  b.destroy();
  await srv.stop();

  srv = await startLevelDbServer(dir.path);
  try {
    const c = hocuspocusClient(srv.wsUrl, 'restart', new Y.Doc());
    await synced(c);
    c.document.getMap('shapes');
    c.document.getText('title');
    assert.deepEqual(fingerprint(c.document), before);
    c.destroy();
    const fromApi = await fetchState(srv.httpUrl, 'restart');
    fromApi.getMap('shapes');
    fromApi.getText('title');
    assert.deepEqual(fingerprint(fromApi), before);
  } finally {
    await srv.stop();
  }
});

test('kill -9 right after the last acknowledgement loses nothing, over several rounds', async () => {
  const dir = tempDir();
  dirs.push(dir);
  const rounds = 5;
  const perRound = 40;
  const expected: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const child = await startChildServer({ DATA_DIR: dir.path });
    const provider = hocuspocusClient(child.wsUrl, 'crash');
    await synced(provider, 10_000);
    const list = provider.document.getArray<number>('acked');
    assert.deepEqual(list.toArray(), expected, `round ${round}: state after restart`);
    // Each push is its own transaction, hence its own message and acknowledgement. Kill the moment the provider
    // counts zero unacknowledged changes: everything it was told is stored must survive.
    const killedAtAck = new Promise<void>((resolve) => {
      provider.on('unsyncedChanges', ({ number }: { number: number }) => {
        if (number === 0 && list.length === expected.length + perRound) {
          child.process.kill('SIGKILL');
          // Destroyed in the same tick, before the provider sees the socket drop and starts its retry timers.
          provider.destroy();
          resolve();
        }
      });
    });
    for (let i = 0; i < perRound; i++) list.push([round * perRound + i]);
    await killedAtAck;
    assert.equal(await child.exited, 'SIGKILL');
    for (let i = 0; i < perRound; i++) expected.push(round * perRound + i);
  }
  const final = await startChildServer({ DATA_DIR: dir.path });
  try {
    const doc = await fetchState(final.httpUrl, 'crash');
    assert.deepEqual(doc.getArray('acked').toArray(), expected);
  } finally {
    final.process.kill('SIGTERM');
    assert.equal(await final.exited, 0);
  }
});

test('SIGTERM closes every socket with 1001, flushes and exits 0', async () => {
  const dir = tempDir();
  dirs.push(dir);
  const child = await startChildServer({ DATA_DIR: dir.path });
  const a = yjsClient(child.wsUrl, 'drain');
  await synced(a);
  const codes: number[] = [];
  a.on('connection-close', (event: { code: number } | null) => event && codes.push(event.code));
  a.shouldConnect = false;
  a.doc.getMap('m').set('last', 'word');
  // Give the write a moment to leave the client; y-websocket has no acknowledgement to wait for.
  await new Promise((r) => setTimeout(r, 100));
  child.process.kill('SIGTERM');
  assert.equal(await child.exited, 0);
  await waitFor(() => codes.length > 0);
  assert.deepEqual(codes, [1001]);
  a.destroy();

  const again = await startChildServer({ DATA_DIR: dir.path });
  try {
    const doc = await fetchState(again.httpUrl, 'drain');
    assert.equal(doc.getMap('m').get('last'), 'word');
  } finally {
    again.process.kill('SIGTERM');
    await again.exited;
  }
});
