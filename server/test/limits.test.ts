import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { closed, openRawSocket, startServer, synced, waitFor, yjsClient } from './harness.ts';

test('the Origin allow-list: other origins get 403 at the upgrade and on the API; listed and absent origins pass', async () => {
  const srv = await startServer({ allowedOrigins: ['https://draw.example'] });
  try {
    const upgrade = (origin?: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${srv.wsUrl}/yjs/origins`, origin ? { origin } : {});
        ws.once('open', () => {
          ws.close();
          resolve(101);
        });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      });
    assert.equal(await upgrade('https://evil.example'), 403);
    assert.equal(await upgrade('https://draw.example'), 101);
    assert.equal(await upgrade(), 101, 'non-browser clients send no Origin; tokens protect those');
    const api = (origin?: string) => fetch(`${srv.httpUrl}/api/rooms/origins/state`, { headers: origin ? { origin } : {} });
    assert.equal((await api('https://evil.example')).status, 403);
    assert.equal((await api('https://draw.example')).status, 200);
    assert.equal((await fetch(`${srv.httpUrl}/healthz`, { headers: { origin: 'https://evil.example' } })).status, 200, 'health is not the API');
    // An embedding app on an allowed origin may call the API from the browser (CORS, with its preflight).
    const preflight = await fetch(`${srv.httpUrl}/api/rooms/origins/versions`, {
      method: 'OPTIONS',
      headers: { origin: 'https://draw.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://draw.example');
    assert.match(preflight.headers.get('access-control-allow-headers')!, /Authorization/);
    assert.equal((await api('https://draw.example')).headers.get('access-control-allow-origin'), 'https://draw.example');
  } finally {
    await srv.stop();
  }
});

test('a connection over its message rate is closed with 4429; others in the room carry on', async () => {
  const srv = await startServer({ limits: { messagesPerSecond: 20, messageBurst: 40 } });
  const calm = yjsClient(srv.wsUrl, 'rate');
  try {
    await synced(calm);
    const flood = await openRawSocket(`${srv.wsUrl}/yjs/rate`);
    const closing = closed(flood);
    // Empty awareness updates: well formed and cheap, so only the rate can be the reason.
    for (let i = 0; i < 200; i++) flood.send(new Uint8Array([1, 1, 0]));
    assert.equal((await closing).code, 4429);
    calm.doc.getMap('m').set('still', 'here');
    const check = yjsClient(srv.wsUrl, 'rate');
    await synced(check);
    await waitFor(() => check.doc.getMap('m').get('still') === 'here');
    assert.equal(calm.wsconnected, true);
    check.destroy();
  } finally {
    calm.destroy();
    await srv.stop();
  }
});

test('too many upgrades from one address are refused with 429 before any WebSocket exists', async () => {
  const srv = await startServer({ limits: { upgradesPerSecondPerAddress: 1, upgradeBurstPerAddress: 5 } });
  try {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => openRawSocket(`${srv.wsUrl}/yjs/burst`).then((ws) => (ws.close(), 101), (e: { status?: number }) => e.status)),
    );
    assert.equal(results.filter((s) => s === 101).length, 5);
    assert.equal(results.filter((s) => s === 429).length, 5);
  } finally {
    await srv.stop();
  }
});

test('a socket that opens no document in time is closed with 4401', async () => {
  const srv = await startServer({ heartbeatMs: 50, limits: { authTimeoutMs: 150 } });
  try {
    const idle = await openRawSocket(`${srv.wsUrl}/sync`);
    assert.equal((await closed(idle, 2_000)).code, 4401);
  } finally {
    await srv.stop();
  }
});

test('a client that stops reading is cut off once its buffer passes the bound, while readers carry on', async () => {
  const srv = await startServer({ limits: { maxBufferedBytes: 256 * 1024 } });
  const writer = yjsClient(srv.wsUrl, 'slow');
  const reader = yjsClient(srv.wsUrl, 'slow');
  try {
    await Promise.all([synced(writer), synced(reader)]);
    const slow = await openRawSocket(`${srv.wsUrl}/yjs/slow`);
    await waitFor(() => srv.server.hocuspocus.documents.get('slow')?.getConnectionsCount() === 3);
    // Stop reading: the kernel buffers fill, then the server's send buffer grows. (A paused socket does not see its
    // own close either, so the cut-off is read from the server's side.)
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();
    const cutOff = async () => (await srv.server.metrics.registry.getSingleMetricAsString('scrawl_closes_total')).includes('code="1013"');
    const text = writer.doc.getText('t');
    const chunk = 'x'.repeat(64 * 1024);
    let sent = 0;
    const deadline = Date.now() + 30_000;
    while (!(await cutOff()) && Date.now() < deadline) {
      text.insert(text.length, chunk);
      sent += chunk.length;
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(await cutOff(), `the slow client was not cut off after ${sent} bytes`);
    await waitFor(() => srv.server.hocuspocus.documents.get('slow')?.getConnectionsCount() === 2);
    slow.terminate();
    await waitFor(() => reader.doc.getText('t').length === text.length, 10_000);
    assert.equal(reader.wsconnected, true);
  } finally {
    writer.destroy();
    reader.destroy();
    await srv.stop();
  }
});

void Y;

test('a first sync larger than the unsent-bytes bound is delivered to a client that reads it', async () => {
  const srv = await startServer({ limits: { maxBufferedBytes: 16 * 1024 } });
  const writer = yjsClient(srv.wsUrl, 'big-sync');
  try {
    await synced(writer);
    const text = writer.doc.getText('t');
    text.insert(0, 'y'.repeat(512 * 1024));
    await waitFor(() => srv.server.hocuspocus.documents.get('big-sync')?.getText('t').length === text.length);
    const joiner = yjsClient(srv.wsUrl, 'big-sync');
    try {
      await synced(joiner, 10_000);
      assert.equal(joiner.doc.getText('t').length, 512 * 1024);
      assert.equal(joiner.wsconnected, true);
    } finally {
      joiner.destroy();
    }
  } finally {
    writer.destroy();
    await srv.stop();
  }
});
