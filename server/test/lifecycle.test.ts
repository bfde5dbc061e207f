import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { MemoryStore } from '../src/persistence/memory-store.ts';
import { closed, hocuspocusClient, startServer, synced, waitFor, yjsClient } from './harness.ts';

test('the heartbeat drops a peer that stops answering pings, and keeps one that answers', async () => {
  const srv = await startServer({ heartbeatMs: 100 });
  try {
    const dead = new WebSocket(`${srv.wsUrl}/yjs/heartbeat`, { autoPong: false });
    const alive = new WebSocket(`${srv.wsUrl}/yjs/heartbeat`);
    await Promise.all([dead, alive].map((ws) => new Promise((r) => ws.once('open', r))));
    const started = Date.now();
    const result = await closed(dead, 2_000);
    assert.equal(result.code, 1006, 'terminated without a close frame, as for a vanished peer');
    assert.ok(Date.now() - started < 1_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(alive.readyState, WebSocket.OPEN);
    alive.close();
  } finally {
    await srv.stop();
  }
});

test('a hundred rooms opened, edited and left are all unloaded', async () => {
  const srv = await startServer();
  try {
    const { hocuspocus } = srv.server;
    for (let batch = 0; batch < 4; batch++) {
      const clients = Array.from({ length: 25 }, (_, i) => {
        const room = `leak-${batch}-${i}`;
        return i % 2 ? hocuspocusClient(srv.wsUrl, room) : yjsClient(srv.wsUrl, room);
      });
      await Promise.all(clients.map((c) => synced(c)));
      for (const c of clients) ('document' in c ? c.document : c.doc).getMap('m').set('k', batch);
      await waitFor(() => clients.every((c) => !('unsyncedChanges' in c) || c.unsyncedChanges === 0));
      clients.forEach((c) => c.destroy());
    }
    await waitFor(
      () => hocuspocus.documents.size === 0 && hocuspocus.loadingDocuments.size === 0 && hocuspocus.unloadingDocuments.size === 0,
      5_000,
      () => `still loaded: ${[...hocuspocus.documents.keys()].join(', ')}`,
    );
    assert.equal(hocuspocus.getConnectionsCount(), 0);
    const stats = await srv.server.store.stats('leak-3-7');
    assert.ok(stats.snapshotBytes > 0, 'the last writes were compacted into a snapshot on unload');
  } finally {
    await srv.stop();
  }
});

test('draining: /healthz never answers 200 and open sockets are closed with 1001', async () => {
  const srv = await startServer();
  const socket = new WebSocket(`${srv.wsUrl}/yjs/drain-health`);
  await new Promise((r) => socket.once('open', r));
  const closing = closed(socket);
  const stopping = srv.stop();
  const health = await fetch(`${srv.httpUrl}/healthz`).catch(() => null);
  // Either the listener is already closed (connection refused) or it answers 503: never 200 while draining.
  if (health) assert.equal(health.status, 503);
  assert.equal((await closing).code, 1001);
  await stopping;
});

/** A memory store that records how many compactions overlap, and which rooms were compacted, and how. */
class WatchedStore extends MemoryStore {
  running = 0;
  mostAtOnce = 0;
  readonly compacted: string[] = [];
  readonly how: { room: string; method: 'live' | 'merge' }[] = [];
  override compact(room: string): Promise<void> {
    return this.watch(room, 'merge', () => super.compact(room));
  }
  override compactTo(room: string, state: Uint8Array): Promise<boolean> {
    return this.watch(room, 'live', () => super.compactTo(room, state));
  }
  private async watch<T>(room: string, method: 'live' | 'merge', compaction: () => Promise<T>): Promise<T> {
    this.running += 1;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
    try {
      // Started at once (compactTo reads the log's position when called), then made to take a while.
      const result = compaction();
      await new Promise((resolve) => setTimeout(resolve, 5));
      const done = await result;
      if (done !== false) {
        this.compacted.push(room);
        this.how.push({ room, method });
      }
      return done;
    } finally {
      this.running -= 1;
    }
  }
}

test('rooms that reach their compaction point together are compacted one after another', async () => {
  const store = new WatchedStore();
  const srv = await startServer({ store, compactAfterUpdates: 10 });
  const rooms = Array.from({ length: 6 }, (_, i) => `together-${i}`);
  const clients = rooms.map((room) => hocuspocusClient(srv.wsUrl, room));
  try {
    await Promise.all(clients.map((c) => synced(c)));
    // Ten edits in every room in the same turns: all six reach the count at once.
    for (let i = 0; i < 10; i++) for (const c of clients) c.document.getMap('m').set(`k${i}`, i);
    await waitFor(() => rooms.every((room) => store.compacted.includes(room)), 5_000, () => `compacted: ${store.compacted}`);
    assert.equal(store.mostAtOnce, 1, 'compactions overlapped');
  } finally {
    clients.forEach((c) => c.destroy());
    await srv.stop();
  }
});

test('a room still being edited is not compacted by Hocuspocus\'s periodic store, only once it goes quiet', async () => {
  const store = new WatchedStore();
  // Hocuspocus stores a changing document every maxDebounce (10 s here) however busy it is; that must not compact.
  const srv = await startServer({ store, compactAfterUpdates: 10_000 });
  const client = hocuspocusClient(srv.wsUrl, 'busy');
  try {
    await synced(client);
    const document = srv.server.hocuspocus.documents.get('busy')!;
    client.document.getMap('m').set('first', 1);
    await waitFor(() => client.unsyncedChanges === 0);
    // What the debounce does at maxDebounce, during an edit burst: the hook must leave the log alone.
    client.document.getMap('m').set('second', 2);
    await waitFor(() => client.unsyncedChanges === 0);
    await srv.server.hocuspocus.storeDocumentHooks(document, { document, documentName: 'busy', instance: srv.server.hocuspocus } as never, true);
    assert.deepEqual(store.compacted, [], 'a busy room was compacted');
    // Quiet for longer than the busy window: the same hook compacts.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await srv.server.hocuspocus.storeDocumentHooks(document, { document, documentName: 'busy', instance: srv.server.hocuspocus } as never, true);
    assert.deepEqual(store.compacted, ['busy']);
  } finally {
    client.destroy();
    await srv.stop();
  }
});

test('a small busy room is compacted from its live document, a large one by merging; both keep every edit', async () => {
  const store = new WatchedStore();
  const srv = await startServer({ store, compactAfterUpdates: 50 });
  const small = hocuspocusClient(srv.wsUrl, 'small-room');
  const large = hocuspocusClient(srv.wsUrl, 'large-room');
  try {
    await Promise.all([synced(small), synced(large)]);
    // Over the live-compaction bound (256 KiB of state): the store merges on its worker thread instead.
    large.document.getMap('m').set('bulk', 'x'.repeat(300_000));
    for (let i = 0; i < 120; i++) {
      // Two values dragged around, as shapes are: mostly overwritten content.
      small.document.getMap('m').set(`w${i % 2}`, i);
      large.document.getMap('m').set(`w${i % 2}`, i);
      if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await waitFor(() => small.unsyncedChanges === 0 && large.unsyncedChanges === 0);
    await waitFor(() => store.how.some((c) => c.room === 'large-room') && store.how.filter((c) => c.room === 'small-room').length >= 2, 5_000, () => JSON.stringify(store.how));
    assert.ok(store.how.filter((c) => c.room === 'small-room').every((c) => c.method === 'live'), JSON.stringify(store.how));
    assert.ok(store.how.filter((c) => c.room === 'large-room').every((c) => c.method === 'merge'), JSON.stringify(store.how));
    const loaded = async (room: string) => {
      const doc = new Y.Doc();
      for (const update of await store.load(room)) Y.applyUpdate(doc, update);
      return doc.getMap('m').toJSON();
    };
    assert.deepEqual(await loaded('small-room'), small.document.getMap('m').toJSON());
    assert.deepEqual(await loaded('large-room'), large.document.getMap('m').toJSON());
    assert.ok((await store.stats('small-room')).logEntries < 50, 'the log was cut');
  } finally {
    small.destroy();
    large.destroy();
    await srv.stop();
  }
});

test('a compaction while an update is between its append and its apply merges the store instead of using the live document', async () => {
  const store = new WatchedStore();
  // Runs after the persistence extension's append (lower priority) and holds the update back from being applied.
  const holdBack = {
    priority: 10,
    async beforeSync({ type }: { type: number }) {
      if (type === 2) await new Promise((resolve) => setTimeout(resolve, 50));
    },
  };
  // Every append triggers a compaction, which therefore runs while that update is still held back.
  const srv = await startServer({ store, compactAfterUpdates: 1, extensions: [holdBack] });
  const client = hocuspocusClient(srv.wsUrl, 'held-back');
  try {
    await synced(client);
    for (let i = 0; i < 3; i++) {
      client.document.getMap('m').set(`k${i}`, i);
      await waitFor(() => client.unsyncedChanges === 0);
      const doc = new Y.Doc();
      for (const update of await store.load('held-back')) Y.applyUpdate(doc, update);
      assert.equal(doc.getMap('m').get(`k${i}`), i, `acknowledged update ${i} is stored`);
    }
    assert.ok(store.how.length >= 3 && store.how.every((c) => c.method === 'merge'), JSON.stringify(store.how));
  } finally {
    client.destroy();
    await srv.stop();
  }
});
