/**
 * Rooms stored as one snapshot are answered from the stored bytes before the snapshot is applied to the document
 * (persistence/deferred-load.ts). These tests pin both halves: joiners with an empty state vector get the stored bytes
 * verbatim, and everything else that reads the document (a joiner that has state of its own, an update, the REST API)
 * finds the stored state applied.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as decoding from 'lib0/decoding';
import type { WebSocket } from 'ws';
import * as Y from 'yjs';
import { afterLoad, deferLoad, finishLoad, isLoadDeferred } from '../src/persistence/deferred-load.ts';
import { MemoryStore } from '../src/persistence/memory-store.ts';
import { openRawSocket, startServer, waitFor, yjsClient, yjsSyncFrame, synced, type TestServer } from './harness.ts';

test('deferLoad: the apply runs once, on the first finishLoad, and the waiters run after it in order', () => {
  const doc = new Y.Doc();
  const events: string[] = [];
  afterLoad(doc, () => events.push('not deferred: at once'));
  deferLoad(doc, () => {
    events.push('apply');
    // A reader inside the apply must not apply again.
    finishLoad(doc);
  });
  assert.equal(isLoadDeferred(doc), true);
  afterLoad(doc, () => events.push('first waiter'));
  afterLoad(doc, () => {
    events.push('second waiter');
    finishLoad(doc);
  });
  assert.deepEqual(events, ['not deferred: at once'], 'waiters wait for the apply');
  finishLoad(doc);
  finishLoad(doc);
  assert.equal(isLoadDeferred(doc), false);
  assert.deepEqual(events, ['not deferred: at once', 'apply', 'first waiter', 'second waiter']);
  doc.destroy();
});

/** A stored room of one snapshot (as compaction leaves it), and a server on that store. */
async function serverWithSnapshot(room: string): Promise<{ server: TestServer; snapshot: Uint8Array; stored: Y.Doc }> {
  const stored = new Y.Doc();
  stored.getMap('shapes').set('stored', { text: 'stored text '.repeat(5_000) });
  stored.getMap('shapes').set('second', 2);
  const snapshot = Y.encodeStateAsUpdate(stored);
  const store = new MemoryStore();
  await store.open();
  await store.append(room, snapshot);
  await store.compact(room);
  assert.equal((await store.load(room)).length, 1, 'the room is stored as one snapshot');
  return { server: await startServer({ store }), snapshot, stored };
}

/** The sync messages a raw /yjs socket receives, as [sync type, payload]. */
function recordSync(ws: WebSocket): [number, Uint8Array][] {
  const received: [number, Uint8Array][] = [];
  ws.on('message', (data: Buffer) => {
    const decoder = decoding.createDecoder(new Uint8Array(data));
    if (decoding.readVarUint(decoder) !== 0) return;
    const syncType = decoding.readVarUint(decoder);
    received.push([syncType, decoding.readVarUint8Array(decoder)]);
  });
  return received;
}

const stateVectorOf = (update: Uint8Array) => Y.decodeStateVector(Y.encodeStateVectorFromUpdate(update));

test('an empty joiner of a snapshot room gets the stored bytes as its step 2, then the server\'s step 1 with the stored state vector', async () => {
  const { server, snapshot } = await serverWithSnapshot('deferred-empty');
  try {
    const ws = await openRawSocket(`${server.wsUrl}/yjs/deferred-empty`);
    after(() => ws.close());
    const received = recordSync(ws);
    ws.send(yjsSyncFrame(0, Y.encodeStateVector(new Y.Doc())));
    await waitFor(() => received.length >= 2, 5_000, () => 'step 2 and step 1 from the server');
    const [[firstType, firstPayload], [secondType, secondPayload]] = received;
    assert.equal(firstType, 1, 'the step 2 comes first');
    assert.deepEqual(firstPayload, snapshot, 'the stored snapshot, verbatim');
    assert.equal(secondType, 0, 'then the server asks for what the client has');
    assert.deepEqual(Y.decodeStateVector(secondPayload), stateVectorOf(snapshot), 'with the state vector of the applied snapshot');
    assert.equal(isLoadDeferred(server.server.hocuspocus.documents.get('deferred-empty')!), false, 'applied once the answer was sent');
  } finally {
    await server.stop();
  }
});

test('a snapshot room\'s first joiner that has state of its own gets the stored state and sends back its own', async () => {
  const { server } = await serverWithSnapshot('deferred-own-state');
  const doc = new Y.Doc();
  doc.getMap('shapes').set('offline', 'drawn while the server was down');
  const provider = yjsClient(server.wsUrl, 'deferred-own-state', doc);
  try {
    await synced(provider);
    assert.ok(doc.getMap('shapes').has('stored') && doc.getMap('shapes').get('second') === 2, 'the stored state arrived');
    const state = async () => {
      const res = await fetch(`${server.httpUrl}/api/rooms/deferred-own-state/state`);
      const copy = new Y.Doc();
      Y.applyUpdate(copy, new Uint8Array(await res.arrayBuffer()));
      return copy.getMap('shapes').toJSON();
    };
    await waitFor(async () => (await state()).offline !== undefined, 5_000, () => 'the server to hold the offline edit');
    assert.deepEqual(Object.keys(await state()).sort(), ['offline', 'second', 'stored']);
  } finally {
    provider.destroy();
    await server.stop();
  }
});

test('an update sent right behind an empty step 1 is applied on top of the stored state, and later joiners get both', async () => {
  const { server, snapshot } = await serverWithSnapshot('deferred-update');
  const cleanups: (() => void)[] = [];
  try {
    const writer = new Y.Doc();
    Y.applyUpdate(writer, snapshot);
    const updates: Uint8Array[] = [];
    writer.on('update', (update: Uint8Array) => updates.push(update));
    writer.getMap('shapes').delete('second');
    writer.getMap('shapes').set('new', 'drawn at once');
    const ws = await openRawSocket(`${server.wsUrl}/yjs/deferred-update`);
    cleanups.push(() => ws.close());
    const received = recordSync(ws);
    // In one go, before the room has even loaded: the server handles them in order once it has.
    ws.send(yjsSyncFrame(0, Y.encodeStateVector(new Y.Doc())));
    for (const update of updates) ws.send(yjsSyncFrame(2, update));
    await waitFor(() => received.some(([type]) => type === 1), 5_000, () => 'the step 2');
    assert.deepEqual(received.find(([type]) => type === 1)![1], snapshot, 'the first answer is still the stored state');

    const joiner = new Y.Doc();
    const provider = yjsClient(server.wsUrl, 'deferred-update', joiner);
    cleanups.push(() => provider.destroy());
    await synced(provider);
    await waitFor(() => joiner.getMap('shapes').has('new'), 5_000, () => 'the joiner to get the update');
    assert.deepEqual(joiner.getMap('shapes').toJSON(), writer.getMap('shapes').toJSON());
    const res = await fetch(`${server.httpUrl}/api/rooms/deferred-update/state`);
    const viaApi = new Y.Doc();
    Y.applyUpdate(viaApi, new Uint8Array(await res.arrayBuffer()));
    assert.deepEqual(viaApi.getMap('shapes').toJSON(), writer.getMap('shapes').toJSON());
    // The first change after a load keeps an automatic version of the state before it: the stored state.
    const versions = (await (await fetch(`${server.httpUrl}/api/rooms/deferred-update/versions`)).json()) as { id: string; auto: boolean }[];
    assert.equal(versions.filter((v) => v.auto).length, 1, JSON.stringify(versions));
    const version = new Y.Doc();
    Y.applyUpdate(version, new Uint8Array(await (await fetch(`${server.httpUrl}/api/rooms/deferred-update/versions/${versions[0].id}`)).arrayBuffer()));
    assert.deepEqual(Object.keys(version.getMap('shapes').toJSON()).sort(), ['second', 'stored'], 'the version holds the stored state');
  } finally {
    for (const cleanup of cleanups) cleanup();
    await server.stop();
  }
});

test('the REST API reading a snapshot room that no client has opened gets the stored state', async () => {
  const { server, stored } = await serverWithSnapshot('deferred-api');
  try {
    const res = await fetch(`${server.httpUrl}/api/rooms/deferred-api/state`);
    assert.equal(res.status, 200);
    const copy = new Y.Doc();
    Y.applyUpdate(copy, new Uint8Array(await res.arrayBuffer()));
    assert.deepEqual(Object.keys(copy.getMap('shapes').toJSON()).sort(), ['second', 'stored']);
    assert.deepEqual(copy.getMap('shapes').toJSON(), stored.getMap('shapes').toJSON());
  } finally {
    await server.stop();
  }
});
