/**
 * Updates a client sends just before it closes its socket are stored, whatever they were waiting for when the close
 * arrived. Found by the leak check on a loaded machine: ~1.5 % of `/sync` clients that edited and closed at once lost
 * their edits. Their frames had waited past the turn's budget (frame-pacer.ts) while `ws` read the client's close
 * frame; the first of them, handled in the next turn, was acknowledged, and Hocuspocus ends a document connection on
 * any send to a socket in the closing state; the rest found no connection and were dropped with the socket.
 * The server here takes its time over each change (a document observer), so frames read together with the first one
 * wait for later turns; and, in the second case, an extension that sees every message keeps them in Hocuspocus's own
 * queue.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Extension } from '@hocuspocus/server';
import * as Y from 'yjs';
import { RawSyncClient, sleep } from './hardening-clients.ts';
import { startLevelDbServer, tempDir, waitFor, type TestServer } from './harness.ts';

/** More than a turn's message budget (10 ms in socket-server.ts), spent synchronously on every change. */
const SLOW_CHANGE_MS = 25;

/**
 * An extension whose document observer works synchronously on every change (as an app indexing its boards may): the
 * frames read together with the first change wait for later turns.
 */
const slowObserver: Extension = {
  async afterLoadDocument({ document }) {
    document.on('update', () => {
      const until = performance.now() + SLOW_CHANGE_MS;
      while (performance.now() < until);
    });
  },
};

/** An embedding app's extension that sees every message and takes its time over each (Hocuspocus's queue). */
const slowEveryMessage: Extension = {
  async beforeHandleMessage() {
    await sleep(SLOW_CHANGE_MS);
  },
};

const servers: Record<string, { srv: TestServer; dir: ReturnType<typeof tempDir> }> = {};
before(async () => {
  for (const [name, extension] of [['paced', slowObserver], ['queued', slowEveryMessage]] as const) {
    const dir = tempDir(`scrawl-close-drain-${name}-`);
    servers[name] = { srv: await startLevelDbServer(dir.path, { extensions: [extension] }), dir };
  }
});
after(async () => {
  for (const { srv, dir } of Object.values(servers)) {
    await srv.stop();
    dir.remove();
  }
});

/** The room's stored content, read back through the API (the room is loaded from the store again). */
async function storedEdit(srv: TestServer, room: string): Promise<unknown> {
  const response = await fetch(`${srv.httpUrl}/api/rooms/${room}/state`);
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(await response.arrayBuffer()));
  return doc.getMap('m').get('edit');
}

for (const [kind, what] of [
  ['paced', 'waiting past the turn budget'],
  ['queued', "waiting in Hocuspocus's queue"],
] as const) {
  for (const endpoint of ['sync', 'yjs'] as const) {
    test(`/${endpoint}: edits sent right before the close are stored, though ${what} when it arrives`, async () => {
      const { srv } = servers[kind];
      const rooms = Array.from({ length: 5 }, (_, i) => `drain-${kind}-${endpoint}-${i}`);
      for (const room of rooms) {
        const client = new RawSyncClient(srv.wsUrl, endpoint, room);
        assert.equal((await client.connect(10_000)).kind, 'synced');
        // Three edits and the close in one synchronous go: the server reads them together.
        for (const n of [1, 2, 3]) client.doc.getMap('m').set('edit', `${room}#${n}`);
        const closing = new Promise((resolve) => client.ws!.once('close', resolve));
        client.close();
        await closing;
        client.doc.destroy();
      }
      // Every room is unloaded once its connection is gone.
      await waitFor(() => rooms.every((room) => !srv.server.hocuspocus.documents.has(room)), 10_000);
      for (const room of rooms) assert.equal(await storedEdit(srv, room), `${room}#3`, room);
    });
  }
}
