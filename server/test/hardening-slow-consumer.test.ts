/**
 * Hardening: a slow consumer. A /yjs client that stops reading its socket (its TCP socket paused) sits in a room while
 * a writer floods that room with ~96 MiB of updates (each replaces one 64 KiB value, so the document itself stays
 * small). The server must keep answering /healthz (polled from another process) and the room's other clients (a
 * HocuspocusProvider and a y-websocket provider) must keep receiving, and /healthz must answer with a p99 under 100 ms.
 * What the server buffers for the slow client (its RSS, and the backlog the client receives once it reads again) is
 * printed; the socket layer bounds it (Limits.maxBufferedBytes, tested in limits.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hocuspocusClient, synced, yjsClient } from './harness.ts';
import { floodRoom, percentiles, type FloodReport } from './hardening-clients.ts';

test('slow consumer: while one client never reads, the server keeps serving and the others keep receiving', async () => {
  const report: FloodReport = await floodRoom(async (child, room) => {
    const hocuspocus = hocuspocusClient(child.wsUrl, room);
    const yjs = yjsClient(child.wsUrl, room);
    const readers = [hocuspocus, yjs];
    await Promise.all(readers.map((r) => synced(r)));
    return {
      lastTick: () =>
        [hocuspocus.document, yjs.doc].map((doc) => [0, 1, 2].map((w) => doc.getMap('m').get(`tick-${w}`) as number | undefined)),
      destroy: () => readers.forEach((r) => r.destroy()),
    };
  });
  const { health, readerLagMs } = report;
  console.log(report.summary);
  assert.ok(health.every((s) => s.status === 200), '/healthz failed during the flood');
  assert.ok(health.length > 20, 'too few /healthz samples');
  assert.ok(readerLagMs.every((lag) => lag < 5_000), `a reader fell behind by ${Math.max(...readerLagMs)} ms`);
  const { p99 } = percentiles(health.map((s) => s.latencyMs));
  assert.ok(p99 < 100, `/healthz p99 ${p99} ms during the flood (bound: 100 ms): ${JSON.stringify(health.filter((s) => s.latencyMs >= 100))}`);
});
