/**
 * Scrawl's relay of client updates (sync/update-relay.ts): updates applied by the direct path reach every client of
 * both endpoints as the client sent them, an update already known is not relayed, and updates that wait for a missing
 * one reach everyone once it arrives, whichever path each of them came through.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { WebSocket } from 'ws';
import * as Y from 'yjs';
import { hocuspocusClient, openRawSocket, startServer, synced, waitFor, yjsClient, yjsSyncFrame, type TestServer } from './harness.ts';

let srv: TestServer;
before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv.stop();
});

/** A Hocuspocus frame for `room`: `[varString room]` then `body` (y-websocket framing). */
function syncFrame(room: string, body: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, room);
  encoding.writeUint8Array(encoder, body);
  return encoding.toUint8Array(encoder);
}
const authFrame = (room: string) => syncFrame(room, Uint8Array.of(2, 0, 0));

/** Two updates of one writer, the second depending on the first: `first` sets m.a, `second` sets m.b. */
function dependentUpdates(): { first: Uint8Array; second: Uint8Array } {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  doc.getMap('m').set('a', 1);
  doc.getText('t').insert(0, 'hello');
  doc.getText('t').insert(5, ' world');
  doc.getMap('m').set('b', 2);
  return { first: Y.mergeUpdates(updates.slice(0, 2)), second: Y.mergeUpdates(updates.slice(2)) };
}

/** A raw /yjs socket past its handshake: it has received the server's sync step 1 and 2. */
async function rawYjs(room: string): Promise<{ ws: WebSocket; updates: Uint8Array[] }> {
  const ws = await openRawSocket(`${srv.wsUrl}/yjs/${room}`);
  const updates: Uint8Array[] = [];
  let handshake = 0;
  ws.on('message', (data: Buffer) => {
    const decoder = decoding.createDecoder(new Uint8Array(data));
    if (decoding.readVarUint(decoder) !== 0) return;
    const syncType = decoding.readVarUint(decoder);
    if (syncType === 2) updates.push(decoding.readVarUint8Array(decoder));
    else handshake += 1;
  });
  ws.send(yjsSyncFrame(0, Y.encodeStateVector(new Y.Doc())));
  await waitFor(() => handshake >= 2);
  return { ws, updates };
}

const content = (doc: Y.Doc) => JSON.stringify({ m: doc.getMap('m').toJSON(), t: doc.getText('t').toString() });
const EXPECTED = JSON.stringify({ m: { a: 1, b: 2 }, t: 'hello world' });

test('an update relayed by the direct path reaches /yjs and /sync clients as sent, and its echo its sender', async () => {
  const room = 'relay-bytes';
  const reader = yjsClient(srv.wsUrl, room);
  const hocuspocus = hocuspocusClient(srv.wsUrl, room);
  await Promise.all([synced(reader), synced(hocuspocus)]);
  const writer = await rawYjs(room);
  const { first } = dependentUpdates();
  writer.ws.send(yjsSyncFrame(2, first));
  await waitFor(() => reader.doc.getText('t').toString() === 'hello' && hocuspocus.document.getText('t').toString() === 'hello');
  await waitFor(() => writer.updates.length === 1);
  assert.deepEqual(writer.updates[0], first, 'the echo carries the bytes the writer sent');
  writer.ws.close();
  reader.destroy();
  hocuspocus.destroy();
});

test('an update the room already holds is not relayed again', async () => {
  const room = 'relay-duplicate';
  const writer = await rawYjs(room);
  const watcher = await rawYjs(room);
  const { first, second } = dependentUpdates();
  writer.ws.send(yjsSyncFrame(2, first));
  await waitFor(() => watcher.updates.length === 1);
  writer.ws.send(yjsSyncFrame(2, first)); // a duplicate, as a reconnecting client's step 2 may carry
  writer.ws.send(yjsSyncFrame(2, second));
  await waitFor(() => watcher.updates.length >= 2);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(watcher.updates, [first, second], 'the duplicate was not relayed; the next update was');
  writer.ws.close();
  watcher.ws.close();
});

test('an update that waits for a missing one is relayed, and every client converges when the missing one arrives', async () => {
  const room = 'relay-out-of-order';
  const reader = yjsClient(srv.wsUrl, room);
  const hocuspocus = hocuspocusClient(srv.wsUrl, room);
  await Promise.all([synced(reader), synced(hocuspocus)]);
  const late = await rawYjs(room);
  const early = await rawYjs(room);
  const { first, second } = dependentUpdates();
  early.ws.send(yjsSyncFrame(2, second));
  await waitFor(() => late.updates.length === 1, 2_000, () => 'the waiting update was relayed');
  late.ws.send(yjsSyncFrame(2, first));
  await waitFor(() => content(reader.doc) === EXPECTED && content(hocuspocus.document) === EXPECTED, 5_000, () =>
    `reader ${content(reader.doc)}, hocuspocus ${content(hocuspocus.document)}`,
  );
  const state = new Y.Doc();
  Y.applyUpdate(state, new Uint8Array(await (await fetch(`${srv.httpUrl}/api/rooms/${room}/state`)).arrayBuffer()));
  assert.equal(content(state), EXPECTED);
  for (const client of [late, early]) client.ws.close();
  reader.destroy();
  hocuspocus.destroy();
});

// The case that made the relay fall back to Yjs's encoding while anything waits: an update that waits, taken by
// Hocuspocus's pipeline (which relays nothing that waits), then the missing update taken by the direct path.
test('an update waiting after Hocuspocus\'s pipeline reaches everyone once the direct path brings the missing one', async () => {
  const room = 'relay-mixed-paths';
  const reader = yjsClient(srv.wsUrl, room);
  await synced(reader);
  const { first, second } = dependentUpdates();
  // Frames sent with the Auth frame arrive before the document connection exists: Hocuspocus queues them and runs
  // them through its own pipeline once the client is authenticated.
  const sync = await openRawSocket(`${srv.wsUrl}/sync`);
  sync.send(authFrame(room));
  sync.send(syncFrame(room, yjsSyncFrame(1, second)));
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(content(reader.doc), JSON.stringify({ m: {}, t: '' }), 'the waiting update changed nothing yet');
  const writer = await rawYjs(room);
  writer.ws.send(yjsSyncFrame(2, first));
  await waitFor(() => content(reader.doc) === EXPECTED, 5_000, () => `reader holds ${content(reader.doc)}`);
  sync.close();
  writer.ws.close();
  reader.destroy();
});
