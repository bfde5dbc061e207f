/**
 * Frames a socket is written within one event-loop turn leave it together (src/sync/write-coalescer.ts): held while
 * the turn relays, handed to the kernel once after it, in order and intact, on /sync and /yjs sockets alike; a busy
 * socket's frames wait for the end of its window; the acknowledgements still follow the store, and a socket closed or
 * terminated mid-turn still gets what it was written.
 *
 * The probe is a document `update` listener added after Hocuspocus's: it runs right after the relay wrote each update
 * to every socket, inside the server's turn, and reads the server-side TCP sockets' own state.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import type { Document } from '@hocuspocus/server';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { WebSocket } from 'ws';
import * as Y from 'yjs';
import { LevelDbStore } from '../src/persistence/leveldb-store.ts';
import { ClientSocket } from '../src/sync/client-socket.ts';
import { BUSY_GAP_MS, WINDOW_MS } from '../src/sync/write-coalescer.ts';
import { openRawSocket, startServer, tempDir, waitFor, yjsSyncFrame, type TestServer } from './harness.ts';

/** `[varString room]` then `body`: a /sync frame. */
function syncFrame(room: string, body: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, room);
  encoding.writeUint8Array(encoder, body);
  return encoding.toUint8Array(encoder);
}

/** What a raw client received after its handshake: each update, each acknowledgement, and how its socket closed. */
interface RawClient {
  ws: WebSocket;
  /** `update:<hex>` or `ack`, in arrival order. */
  received: string[];
  /** performance.now() of each acknowledgement. */
  ackTimes: number[];
  closeCode: number | null;
  /** Sends `frames` (already in this endpoint's framing) in one TCP write, so the server reads them in one turn. */
  sendTogether(frames: Uint8Array[]): void;
}

const updateEntry = (update: Uint8Array) => `update:${Buffer.from(update).toString('hex')}`;

/** A raw client on `/yjs/room` or `/sync` (room `room`) that has received the server's sync step 1 and 2. */
async function rawClient(srv: TestServer, endpoint: 'yjs' | 'sync', room: string): Promise<RawClient> {
  const ws = await openRawSocket(endpoint === 'yjs' ? `${srv.wsUrl}/yjs/${room}` : `${srv.wsUrl}/sync`);
  const client: RawClient = {
    ws,
    received: [],
    ackTimes: [],
    closeCode: null,
    sendTogether(frames) {
      const socket = (ws as unknown as { _socket: Socket })._socket;
      socket.cork();
      for (const frame of frames) ws.send(frame);
      socket.uncork();
    },
  };
  let handshake = 0;
  ws.on('close', (code) => (client.closeCode = code));
  ws.on('message', (data: Buffer) => {
    const decoder = decoding.createDecoder(new Uint8Array(data));
    if (endpoint === 'sync') decoding.readVarString(decoder);
    const type = decoding.readVarUint(decoder);
    if (type === 8) {
      client.received.push('ack');
      client.ackTimes.push(performance.now());
      return;
    }
    if (type !== 0) return; // auth replies, awareness
    const syncType = decoding.readVarUint(decoder);
    if (syncType === 2) client.received.push(updateEntry(decoding.readVarUint8Array(decoder)));
    else handshake += 1;
  });
  const step1 = yjsSyncFrame(0, Y.encodeStateVector(new Y.Doc()));
  if (endpoint === 'yjs') ws.send(step1);
  else {
    ws.send(syncFrame(room, Uint8Array.of(2, 0, 0))); // Auth: token ''
    ws.send(syncFrame(room, step1));
  }
  await waitFor(() => handshake >= 2, 5_000, () => `${endpoint} handshake`);
  return client;
}

/** `count` updates of one writer, each its own change (one character appended to a text). */
function separateUpdates(count: number): Uint8Array[] {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  for (let i = 0; i < count; i++) doc.getText('t').insert(i, String.fromCharCode(97 + (i % 26)));
  return updates;
}

/** The server-side TCP socket of each connection of `document`, with its ClientSocket. */
function serverSockets(document: Document): { client: ClientSocket; tcp: Socket }[] {
  return document.getConnections().map((connection) => {
    const client = connection.webSocket as ClientSocket;
    return { client, tcp: (client.ws as unknown as { _socket: Socket })._socket };
  });
}

/** One observation of the server-side sockets, taken inside the server's turn or in an immediate after it. */
interface Observation {
  turn: number;
  /** Unsent bytes (Node's buffer) and cork count of each socket. */
  sockets: { length: number; corked: number }[];
}

/**
 * Records, after each relayed update of `document`, every socket's unsent bytes and cork count (`during`), and the
 * same once the turn's immediates have run (`after`, one per turn).
 */
function observe(document: Document, onUpdate?: (index: number) => void) {
  const during: Observation[] = [];
  const after: Observation[] = [];
  let turn = 0;
  let turnOpen = false;
  let index = 0;
  const read = (): Observation['sockets'] => serverSockets(document).map(({ tcp }) => ({ length: tcp.writableLength, corked: tcp.writableCorked }));
  const probe = () => {
    if (!turnOpen) {
      turnOpen = true;
      turn += 1;
      const thisTurn = turn;
      // Scheduled after the relay's first write of the turn, so it runs after the coalescer's release.
      setImmediate(() => {
        turnOpen = false;
        after.push({ turn: thisTurn, sockets: read() });
      });
    }
    during.push({ turn, sockets: read() });
    onUpdate?.(index++);
  };
  document.on('update', probe);
  return { during, after, stop: () => document.off('update', probe) };
}

test('updates relayed in one turn are held on every socket and leave together, in order and intact, on /sync and /yjs', async () => {
  const srv = await startServer();
  const room = 'coalesce-mixed';
  try {
    const readers = [
      await rawClient(srv, 'yjs', room),
      await rawClient(srv, 'sync', room),
      await rawClient(srv, 'yjs', room),
      await rawClient(srv, 'sync', room),
    ];
    const writer = await rawClient(srv, 'yjs', room);
    const document = srv.server.hocuspocus.documents.get(room)!;
    // Past every socket's window since its handshake: the turn's frames leave at the end of the turn.
    await new Promise((resolve) => setTimeout(resolve, 2 * WINDOW_MS));
    const { during, after, stop } = observe(document);
    const updates = separateUpdates(12);
    writer.sendTogether(updates.map((update) => yjsSyncFrame(2, update)));

    const expected = updates.map(updateEntry);
    await waitFor(() => [...readers, writer].every((c) => c.received.length >= expected.length), 5_000, () =>
      `received ${[...readers, writer].map((c) => c.received.length).join(', ')}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop();
    for (const client of [...readers, writer]) assert.deepEqual(client.received, expected, 'every update once, in order, as sent');

    assert.equal(during.length, updates.length);
    assert.ok(after.length >= 1 && after.length <= updates.length);
    for (const observation of during) {
      for (const socket of observation.sockets) {
        assert.ok(socket.corked >= 1, 'held while the turn relays');
        assert.ok(socket.length > 0, 'the turn\'s frames wait in Node\'s buffer');
      }
    }
    // Within a turn each further update adds its frame to what every socket holds.
    for (let i = 1; i < during.length; i++) {
      if (during[i].turn !== during[i - 1].turn) continue;
      during[i].sockets.forEach((socket, s) => assert.ok(socket.length > during[i - 1].sockets[s].length, `update ${i} adds to socket ${s}`));
    }
    // After the first turn every socket is uncorked and its frames were handed to the kernel in one go. (On a busy
    // machine the turn budget may leave some updates to a later turn, whose frames then wait for the window.)
    for (const socket of after[0].sockets) assert.deepEqual(socket, { length: 0, corked: 0 });
    const turns = new Set(during.map((o) => o.turn)).size;
    console.log(`coalescing: ${updates.length} updates relayed in ${turns} turn(s) to ${during[0].sockets.length} sockets`);
    for (const client of [...readers, writer]) client.ws.close();
  } finally {
    await srv.stop();
  }
});

test('acknowledgements still leave only after the store has the update, behind the echoes of the same turn', async () => {
  const dir = tempDir();
  /** When each append's write completed (the store's own promise), in append order. */
  const storedAt: number[] = [];
  class RecordingStore extends LevelDbStore {
    /** The first appends of a room call append again once they know the room's sequence: count each update once. */
    private readonly seen = new WeakSet<Uint8Array>();
    override append(room: string, update: Uint8Array): Promise<void> {
      const write = super.append(room, update);
      if (!this.seen.has(update)) {
        this.seen.add(update);
        void write.then(() => storedAt.push(performance.now()));
      }
      return write;
    }
  }
  const store = new RecordingStore({ directory: dir.path });
  const srv = await startServer({ store });
  const room = 'coalesce-acks';
  try {
    const writer = await rawClient(srv, 'sync', room);
    const reader = await rawClient(srv, 'yjs', room);
    const updates = separateUpdates(10);
    writer.sendTogether(updates.map((update) => syncFrame(room, yjsSyncFrame(2, update))));
    await waitFor(() => writer.ackTimes.length === updates.length && reader.received.length === updates.length, 5_000, () =>
      `acks ${writer.ackTimes.length}, reader ${reader.received.length}`,
    );
    assert.deepEqual(reader.received, updates.map(updateEntry));
    // Each update's echo before its acknowledgement, nothing reordered.
    const echoes = writer.received.map((entry, at) => ({ entry, at })).filter(({ entry }) => entry !== 'ack');
    assert.deepEqual(echoes.map(({ entry }) => entry), updates.map(updateEntry));
    let acks = 0;
    for (const entry of writer.received) {
      if (entry === 'ack') acks += 1;
      else assert.ok(acks < updates.length, 'an echo after every acknowledgement');
    }
    writer.received.forEach((entry, at) => {
      if (entry !== 'ack') return;
      const ackNumber = writer.received.slice(0, at + 1).filter((e) => e === 'ack').length;
      const echoAt = writer.received.indexOf(updateEntry(updates[ackNumber - 1]));
      assert.ok(echoAt < at, `acknowledgement ${ackNumber} after its echo`);
    });
    assert.equal(storedAt.length, updates.length);
    writer.ackTimes.forEach((ackedAt, i) => assert.ok(ackedAt >= storedAt[i], `acknowledgement ${i + 1} after its append was stored`));
    const stored = new Y.Doc();
    for (const update of await store.load(room)) Y.applyUpdate(stored, update);
    assert.equal(stored.getText('t').length, updates.length);
    writer.ws.close();
    reader.ws.close();
  } finally {
    await srv.stop();
    dir.remove();
  }
});

test('a socket closed or terminated in the middle of a turn still gets what it was written before, in order', async () => {
  const srv = await startServer();
  const room = 'coalesce-closing';
  try {
    const closing = await rawClient(srv, 'sync', room);
    const terminated = await rawClient(srv, 'yjs', room);
    const staying = await rawClient(srv, 'sync', room);
    const writer = await rawClient(srv, 'yjs', room);
    const document = srv.server.hocuspocus.documents.get(room)!;
    // Which server-side socket is whose: the connections in the order they joined.
    const [closingSide, terminatedSide] = serverSockets(document).map(({ client }) => client);
    const updates = separateUpdates(8);
    const { stop } = observe(document, (index) => {
      if (index !== 2) return;
      closingSide.close(1000, 'bye');
      terminatedSide.terminate();
    });
    writer.sendTogether(updates.map((update) => yjsSyncFrame(2, update)));
    await waitFor(() => staying.received.length === updates.length && closing.closeCode !== null && terminated.closeCode !== null, 5_000, () =>
      `staying ${staying.received.length}, closing ${closing.closeCode}, terminated ${terminated.closeCode}`,
    );
    stop();
    const firstThree = updates.slice(0, 3).map(updateEntry);
    assert.deepEqual(closing.received, firstThree, 'the closed socket got the frames written before its close');
    assert.equal(closing.closeCode, 1000);
    assert.deepEqual(terminated.received, firstThree, 'the terminated socket got the frames written before it ended');
    assert.equal(terminated.closeCode, 1006);
    assert.deepEqual(staying.received, updates.map(updateEntry));
    await waitFor(() => writer.received.length === updates.length);
    assert.deepEqual(writer.received, updates.map(updateEntry));
    staying.ws.close();
    writer.ws.close();
  } finally {
    await srv.stop();
  }
});

test('a busy socket\'s frames wait for the end of its window and then leave together; a quiet one\'s at the end of the turn', async () => {
  const srv = await startServer();
  const room = 'coalesce-window';
  try {
    const reader = await rawClient(srv, 'yjs', room);
    const syncReader = await rawClient(srv, 'sync', room);
    const writer = await rawClient(srv, 'yjs', room);
    const document = srv.server.hocuspocus.documents.get(room)!;
    await new Promise((resolve) => setTimeout(resolve, 2 * WINDOW_MS));
    const updates = separateUpdates(6);
    const { during, after, stop } = observe(document);
    // Quiet sockets: the first update leaves at the end of its turn. The next ones, each in a turn of its own a few
    // milliseconds apart, find the sockets busy and wait in them until the window that began with that release ends.
    const sentAt: number[] = [];
    const arrivedAt: number[] = [];
    reader.ws.on('message', () => arrivedAt.push(performance.now()));
    for (const update of updates) {
      sentAt.push(performance.now());
      writer.sendTogether([yjsSyncFrame(2, update)]);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await waitFor(() => [reader, syncReader, writer].every((c) => c.received.length === updates.length), 5_000);
    stop();
    for (const client of [reader, syncReader, writer]) assert.deepEqual(client.received, updates.map(updateEntry));
    const turns = new Set(during.map((o) => o.turn)).size;
    assert.ok(turns >= 2, `the updates arrived in ${turns} turns`);
    // The first turn's frames left at its end; a later turn's stayed corked past its end (the window).
    assert.deepEqual(after[0].sockets.map((s) => s.length), after[0].sockets.map(() => 0));
    const held = after.slice(1).filter((o) => o.sockets.every((s) => s.corked >= 1 && s.length > 0));
    assert.ok(held.length >= 1, `a later turn's frames were held: ${JSON.stringify(after)}`);
    // Nothing waited much longer than a window (plus timer lateness on a busy machine).
    const lastDelay = arrivedAt[arrivedAt.length - 1] - sentAt[sentAt.length - 1];
    assert.ok(lastDelay < WINDOW_MS + 100, `last update took ${lastDelay.toFixed(1)} ms`);
    // The frames held over the window reached the reader together: fewer arrival moments than updates.
    const moments = new Set(arrivedAt.map((t) => Math.round(t))).size;
    console.log(`window: ${updates.length} updates in ${turns} turns reached the reader at ${moments} moments`);
    for (const client of [reader, syncReader, writer]) client.ws.close();
  } finally {
    await srv.stop();
  }
});

test('a steady stream slower than the busy gap (a lone writer at 60 Hz) is never held past its turn', async () => {
  const srv = await startServer();
  const room = 'coalesce-steady';
  try {
    const reader = await rawClient(srv, 'sync', room);
    const writer = await rawClient(srv, 'yjs', room);
    const document = srv.server.hocuspocus.documents.get(room)!;
    await new Promise((resolve) => setTimeout(resolve, 2 * WINDOW_MS));
    const updates = separateUpdates(5);
    const { during, after, stop } = observe(document);
    for (const update of updates) {
      writer.sendTogether([yjsSyncFrame(2, update)]);
      // Well past the busy gap (with room for a late timer on a busy machine).
      await new Promise((resolve) => setTimeout(resolve, 5 * BUSY_GAP_MS));
    }
    await waitFor(() => reader.received.length === updates.length && writer.received.length === updates.length);
    stop();
    assert.deepEqual(reader.received, updates.map(updateEntry));
    assert.equal(new Set(during.map((o) => o.turn)).size, updates.length, 'one update per turn');
    for (const observation of after) {
      for (const socket of observation.sockets) assert.deepEqual(socket, { length: 0, corked: 0 }, 'released at the end of its turn');
    }
    reader.ws.close();
    writer.ws.close();
  } finally {
    await srv.stop();
  }
});
