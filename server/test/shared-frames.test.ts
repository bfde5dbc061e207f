import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { MAX_SHARED_PAYLOAD_BYTES, SHARED_FRAMES_WS_VERSION, buildFrame, sendBinary, writeFrame } from '../src/sync/shared-frames.ts';
import { waitFor } from './harness.ts';

/** A ws server on port 0 with `count` clients connected; the server's side of each connection, in connect order. */
async function connectedPairs(count: number) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await once(wss, 'listening');
  const port = (wss.address() as { port: number }).port;
  const serverSides: WebSocket[] = [];
  const clients: { ws: WebSocket; received: string[] }[] = [];
  for (let i = 0; i < count; i++) {
    const accepted = once(wss, 'connection');
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    const received: string[] = [];
    ws.on('message', (data: Buffer, isBinary) => received.push(`${isBinary ? 'bin' : 'text'}:${data.toString('hex')}`));
    ws.on('ping', () => received.push('ping'));
    ws.on('close', (code) => received.push(`close:${code}`));
    await once(ws, 'open');
    serverSides.push((await accepted)[0] as WebSocket);
    clients.push({ ws, received });
  }
  return { wss, serverSides, clients };
}

const hex = (bytes: Uint8Array) => `bin:${Buffer.from(bytes).toString('hex')}`;

test('shared-frames is written against the installed ws', () => {
  // The module writes beside ws's Sender and reads its private `_socket` (see its comment): when ws changes, re-read
  // lib/sender.js (does it still queue only to compress or to read a Blob?) and lib/websocket.js, then update this.
  const version = (createRequire(import.meta.url)('ws/package.json') as { version: string }).version;
  assert.equal(version, SHARED_FRAMES_WS_VERSION);
});

test('frames written beside ws keep their order with ws\'s own sends, pings and close, on every socket', async () => {
  const { wss, serverSides, clients } = await connectedPairs(2);
  try {
    const framed = Uint8Array.of(9, 9, 1, 2, 3); // sent from offset 2, as a /yjs frame without its name prefix
    const other = Uint8Array.of(4, 5);
    const big = new Uint8Array(MAX_SHARED_PAYLOAD_BYTES + 10).map((_, i) => i % 251);
    let sentCallback = 0;
    for (const ws of serverSides) {
      sendBinary(ws, framed, 2); // one broadcast: the second socket reuses the first one's frame
      ws.ping();
      sendBinary(ws, other, 0);
      sendBinary(ws, other, 1); // same message, other offset: another frame
      ws.send(Uint8Array.of(6));
      sendBinary(ws, framed, 2); // the same message again after another: framed anew, still right
      sendBinary(ws, big, 0);
      sendBinary(ws, other, 1, () => sentCallback++);
      ws.close(1000);
    }
    const expected = [
      hex(Uint8Array.of(1, 2, 3)),
      'ping',
      hex(other),
      hex(Uint8Array.of(5)),
      hex(Uint8Array.of(6)),
      hex(Uint8Array.of(1, 2, 3)),
      hex(big),
      hex(Uint8Array.of(5)),
      'close:1000',
    ];
    await waitFor(() => clients.every((c) => c.received.length === expected.length), 5_000, () => JSON.stringify(clients.map((c) => c.received.length)));
    for (const client of clients) assert.deepEqual(client.received, expected);
    assert.equal(sentCallback, 2);
  } finally {
    for (const client of clients) client.ws.terminate();
    wss.close();
  }
});

test('frames written beside ws count in its unsent bytes (the slow-client bound reads them)', async () => {
  const { wss, serverSides, clients } = await connectedPairs(1);
  try {
    const [ws] = serverSides;
    (clients[0].ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const payload = new Uint8Array(32 * 1024).fill(7);
    // Far more than the kernel's socket buffers take, so most of it must wait in the server's own buffer.
    for (let i = 0; i < 1_000; i++) sendBinary(ws, payload, 0);
    assert.ok(ws.bufferedAmount > 8 * 1024 * 1024, `bufferedAmount ${ws.bufferedAmount}`);
  } finally {
    clients[0].ws.terminate();
    wss.close();
  }
});

test('frames built once carry messages of every header size (2, 4 and 10 bytes) intact', async () => {
  const { wss, serverSides, clients } = await connectedPairs(1);
  try {
    const [ws] = serverSides;
    const lengths = [0, 1, 125, 126, 65_535, 65_536, 70_000];
    const messages = lengths.map((length) => new Uint8Array(length).map((_, i) => (i * 7 + length) % 256));
    for (const message of messages) writeFrame(ws, buildFrame(message.byteLength, (frame, offset) => frame.set(message, offset)));
    await waitFor(() => clients[0].received.length === messages.length, 5_000);
    assert.deepEqual(clients[0].received, messages.map(hex));
  } finally {
    clients[0].ws.terminate();
    wss.close();
  }
});
