/**
 * The direct path for updates (src/sync/direct-messages.ts): it must never change what clients, the store and
 * extensions see. Most other tests run through it (it is the default); these pin where it stands aside and how it fails.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Extension, beforeSyncPayload, onChangePayload } from '@hocuspocus/server';
import * as Y from 'yjs';
import { MemoryStore } from '../src/persistence/memory-store.ts';
import { closed, hocuspocusClient, openRawSocket, startServer, synced, waitFor, watchBystanders, yjsClient, yjsSyncFrame } from './harness.ts';

test('an extension that listens to every message sees every update from both endpoints', async () => {
  // Everything the hook was shown, applied to one document (an update alone may depend on earlier ones).
  const heard = new Y.Doc();
  const origins: string[] = [];
  const listener: Extension = {
    async beforeSync({ type, payload }: beforeSyncPayload) {
      if (type === 1 || type === 2) Y.applyUpdate(heard, payload);
    },
    async onChange({ transactionOrigin }: onChangePayload) {
      origins.push((transactionOrigin as { source?: string } | undefined)?.source ?? 'none');
    },
  };
  const srv = await startServer({ extensions: [listener] });
  const viaSync = hocuspocusClient(srv.wsUrl, 'heard');
  const viaYjs = yjsClient(srv.wsUrl, 'heard');
  try {
    await Promise.all([synced(viaSync), synced(viaYjs)]);
    for (let i = 0; i < 10; i++) {
      viaSync.document.getArray<string>('items').push([`sync-${i}`]);
      viaYjs.doc.getArray<string>('items').push([`yjs-${i}`]);
    }
    await waitFor(() => viaSync.document.getArray('items').length === 20 && viaYjs.doc.getArray('items').length === 20);
    await waitFor(() => heard.getArray('items').length === 20);
    assert.deepEqual(
      heard.getArray<string>('items').toArray().sort(),
      [...Array.from({ length: 10 }, (_, i) => `sync-${i}`), ...Array.from({ length: 10 }, (_, i) => `yjs-${i}`)].sort(),
    );
    assert.ok(origins.length >= 20 && origins.every((source) => source === 'connection'), `origins: ${origins.join(',')}`);
  } finally {
    viaSync.destroy();
    viaYjs.destroy();
    await srv.stop();
  }
});

test('updates taken directly are stored, acknowledged and relayed with the client connection as their origin', async () => {
  const store = new MemoryStore();
  const origins: unknown[] = [];
  const srv = await startServer({ store });
  const room = 'direct';
  const writer = hocuspocusClient(srv.wsUrl, room);
  const reader = yjsClient(srv.wsUrl, room);
  try {
    await Promise.all([synced(writer), synced(reader)]);
    srv.server.hocuspocus.documents.get(room)!.on('update', (_update: Uint8Array, origin: unknown) => origins.push(origin));
    for (let i = 0; i < 20; i++) writer.document.getMap('m').set(`k${i}`, i);
    await waitFor(() => reader.doc.getMap('m').size === 20);
    // Acknowledged: the provider has no unsynced changes left, and then the store holds every one of them.
    await waitFor(() => writer.unsyncedChanges === 0);
    const stored = new Y.Doc();
    for (const update of await store.load(room)) Y.applyUpdate(stored, update);
    assert.equal(stored.getMap('m').size, 20);
    assert.ok(origins.length > 0);
    for (const origin of origins) {
      const { source, connection } = origin as { source: string; connection: { document: { name: string } } };
      assert.equal(source, 'connection');
      assert.equal(connection.document.name, room);
    }
  } finally {
    writer.destroy();
    reader.destroy();
    await srv.stop();
  }
});

test('an update that cannot be applied closes only its own connection, with 1011', async () => {
  const srv = await startServer();
  const bystanders = await watchBystanders(srv.wsUrl);
  const room = 'failing';
  const neighbour = yjsClient(srv.wsUrl, room);
  try {
    await synced(neighbour);
    const ws = await openRawSocket(`${srv.wsUrl}/yjs/${room}`);
    // A fault inside the server while applying (here: a throwing document observer), not a malformed message.
    const document = srv.server.hocuspocus.documents.get(room)!;
    const fail = () => {
      throw new Error('observer failed');
    };
    document.on('update', fail);
    const source = new Y.Doc();
    source.getMap('m').set('k', 'v');
    const closing = closed(ws);
    ws.send(yjsSyncFrame(2, Y.encodeStateAsUpdate(source)));
    const { code } = await closing;
    assert.equal(code, 1011);
    document.off('update', fail);

    // The room and every other room carry on.
    neighbour.doc.getMap('m').set('after', 1);
    await waitFor(() => srv.server.hocuspocus.documents.get(room)?.getMap('m').get('after') === 1);
    bystanders.yjs.doc.getMap('m').set('x', 1);
    await waitFor(() => bystanders.hocuspocus.document.getMap('m').get('x') === 1);
    assert.deepEqual(bystanders.closes, []);
    assert.equal((await fetch(`${srv.httpUrl}/healthz`)).status, 200);
  } finally {
    neighbour.destroy();
    bystanders.destroy();
    await srv.stop();
  }
});
