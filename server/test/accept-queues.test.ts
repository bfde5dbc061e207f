/**
 * Several accept queues on one port (http/accept-queues.ts): every connection reaches the one HTTP server whichever
 * listening socket accepted it, a taken port is refused as before, and closing stops every listening socket.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { test } from 'node:test';
import { listenWithAcceptQueues } from '../src/http/accept-queues.ts';

const HOST = '127.0.0.1';

function httpServer(): Server {
  return createServer((req, res) => res.end(`ok ${req.url}`));
}

/** Resolves true if a TCP connection to `port` is accepted, false if it is refused. */
function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, HOST);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

test('connections accepted by any of the queues are served by the one HTTP server', async () => {
  const server = httpServer();
  const queues = await listenWithAcceptQueues(server, 0, HOST, 8);
  try {
    assert.ok(queues.address.port > 0);
    // Fresh connections (no keep-alive), so the kernel spreads them over the listening sockets.
    const answers = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const response = await fetch(`http://${HOST}:${queues.address.port}/r${i}`, { headers: { connection: 'close' } });
        return response.text();
      }),
    );
    assert.deepEqual(answers, Array.from({ length: 200 }, (_, i) => `ok /r${i}`));
  } finally {
    queues.close();
    server.close();
  }
});

test('a port held by another server is refused with EADDRINUSE, as with one listening socket', async () => {
  const holder = createNetServer();
  await new Promise<void>((resolve) => holder.listen(0, HOST, resolve));
  const port = (holder.address() as { port: number }).port;
  try {
    const server = httpServer();
    await assert.rejects(listenWithAcceptQueues(server, port, HOST, 8), { code: 'EADDRINUSE' });
    await assert.rejects(listenWithAcceptQueues(httpServer(), port, HOST, 1), { code: 'EADDRINUSE' });
  } finally {
    holder.close();
  }
});

test('a second Scrawl on the same port does not join the first one\'s SO_REUSEPORT group', async () => {
  const first = httpServer();
  const queues = await listenWithAcceptQueues(first, 0, HOST, 4);
  try {
    await assert.rejects(listenWithAcceptQueues(httpServer(), queues.address.port, HOST, 4), { code: 'EADDRINUSE' });
  } finally {
    queues.close();
    first.close();
  }
});

test('closing the server and its queues stops accepting on every listening socket', async () => {
  const server = httpServer();
  const queues = await listenWithAcceptQueues(server, 0, HOST, 8);
  const { port } = queues.address;
  assert.equal(await canConnect(port), true);
  queues.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  // Whichever socket the kernel would pick, none is left to accept.
  const attempts = await Promise.all(Array.from({ length: 20 }, () => canConnect(port)));
  assert.deepEqual(attempts, Array.from({ length: 20 }, () => false));
});
