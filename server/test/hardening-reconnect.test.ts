/**
 * Hardening: a reconnect storm. 500 clients in 50 rooms (per room: 4 y-websocket providers, 2 HocuspocusProviders,
 * 4 raw clients, 2 on each endpoint) are connected to a child-process server, each writes a key, and the server is
 * restarted (SIGTERM, then started again on the same port and DATA_DIR). While it is down every client writes a second
 * key offline. The providers reconnect by themselves; the raw clients all reconnect at the same instant, as soon as the
 * new server answers. /healthz, polled from another process, must answer 200 with a p99 under 100 ms from the moment the
 * new server is up, and every client must end with its room's full state (all 20 keys, equal to the server's state).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as Y from 'yjs';
import { canonicalJson, hocuspocusClient, waitFor, yjsClient } from './harness.ts';
import { RawSyncClient, percentiles, startHardeningChild, startHealthProbe, type HealthProbe, type RawOutcome } from './hardening-clients.ts';
import * as YDoc from 'yjs';

const ROOMS = 50;
const PER_ROOM = { yjsProviders: 4, hocuspocusProviders: 2, raw: 4 };
const CLIENTS_PER_ROOM = PER_ROOM.yjsProviders + PER_ROOM.hocuspocusProviders + PER_ROOM.raw;
// Each y-websocket provider adds a process 'exit' listener (see harness.ts): 200 of them here, on top of the test's own.
process.setMaxListeners(Math.max(process.getMaxListeners(), ROOMS * PER_ROOM.yjsProviders + 50));

interface Member {
  doc: Y.Doc;
  isSynced(): boolean;
  destroy(): void;
  raw?: RawSyncClient;
}

test(`reconnect storm: ${ROOMS * CLIENTS_PER_ROOM} clients reconnect after a restart; /healthz keeps answering and all end in sync`, async () => {
  let server = await startHardeningChild();
  const { port, dataDir, removeDataDir } = server;
  const rooms: Member[][] = [];
  let probes: HealthProbe[] = [];
  try {
    for (let r = 0; r < ROOMS; r++) {
      const room = `storm-room-${r}`;
      const members: Member[] = [];
      for (let i = 0; i < PER_ROOM.yjsProviders; i++) {
        const p = yjsClient(server.wsUrl, room);
        members.push({ doc: p.doc, isSynced: () => p.synced, destroy: () => p.destroy() });
      }
      for (let i = 0; i < PER_ROOM.hocuspocusProviders; i++) {
        const p = hocuspocusClient(server.wsUrl, room);
        members.push({ doc: p.document, isSynced: () => p.synced, destroy: () => p.destroy() });
      }
      for (let i = 0; i < PER_ROOM.raw; i++) {
        const raw = new RawSyncClient(server.wsUrl, i % 2 ? 'sync' : 'yjs', room);
        members.push({ doc: raw.doc, isSynced: () => raw.synced && raw.ws?.readyState === 1, destroy: () => raw.destroy(), raw });
      }
      rooms.push(members);
    }
    const all = rooms.flat();
    const firstConnects = all.flatMap((m) => (m.raw ? [m.raw.connect()] : []));
    assert.ok((await Promise.all(firstConnects)).every((o) => o.kind === 'synced'), 'a raw client did not sync');
    await waitFor(() => all.every((m) => m.isSynced()), 30_000, () => `${all.filter((m) => !m.isSynced()).length} clients not synced`);
    rooms.forEach((members) => members.forEach((m, i) => m.doc.getMap('m').set(`online-${i}`, i)));
    const hasAll = (m: Member, prefixes: string[]) =>
      prefixes.every((prefix) => Array.from({ length: CLIENTS_PER_ROOM }, (_, i) => m.doc.getMap('m').has(`${prefix}-${i}`)).every(Boolean));
    await waitFor(() => all.every((m) => hasAll(m, ['online'])), 30_000, () => 'clients did not converge before the restart');

    // Restart: graceful stop (every socket closed with 1001), edits while down, start again on the same port and data.
    // The probes poll throughout, as a load balancer does; only the samples taken once the new server is up count. Two
    // of them: one alone takes ~80 samples in the storm's second or two, so its "p99" would be the single worst sample.
    probes = [startHealthProbe(server.httpUrl, 5), startHealthProbe(server.httpUrl, 5)];
    const stopCode = await server.stop();
    assert.equal(stopCode, 0, 'the server did not stop cleanly');
    rooms.forEach((members) => members.forEach((m, i) => m.doc.getMap('m').set(`offline-${i}`, i)));
    const downAt = performance.now();
    server = await startHardeningChild({}, dataDir, port);
    const upAt = performance.now();
    const upWallClock = Date.now();
    const raws = all.flatMap((m) => (m.raw ? [m.raw] : []));
    // All raw clients at once; one refused by an upgrade limit retries after a short pause, as a real client would.
    const reconnect = async (raw: RawSyncClient): Promise<RawOutcome> => {
      for (let attempt = 0; ; attempt++) {
        const outcome = await raw.connect(20_000);
        if (outcome.kind === 'synced' || attempt >= 20) return outcome;
        await new Promise((resolve) => setTimeout(resolve, 250 + Math.random() * 500));
      }
    };
    const rawOutcomes = await Promise.all(raws.map(reconnect));
    await waitFor(
      () => all.every((m) => m.isSynced() && hasAll(m, ['online', 'offline'])),
      60_000,
      () => `${all.filter((m) => !(m.isSynced() && hasAll(m, ['online', 'offline']))).length} clients without the full state`,
    );
    const convergedMs = performance.now() - upAt;
    const health = (await Promise.all(probes.map((probe) => probe.stop()))).flat().filter((sample) => sample.startedAt >= upWallClock);

    // Everyone holds exactly the server's state.
    for (let r = 0; r < ROOMS; r++) {
      const response = await fetch(`${server.httpUrl}/api/rooms/storm-room-${r}/state`);
      const serverDoc = new YDoc.Doc();
      YDoc.applyUpdate(serverDoc, new Uint8Array(await response.arrayBuffer()));
      const expected = canonicalJson(serverDoc.getMap('m').toJSON());
      assert.equal(Object.keys(serverDoc.getMap('m').toJSON()).length, 2 * CLIENTS_PER_ROOM);
      for (const m of rooms[r]) assert.equal(canonicalJson(m.doc.getMap('m').toJSON()), expected);
    }

    const h = percentiles(health.map((s) => s.latencyMs));
    const rawMs = percentiles(rawOutcomes.map((o) => o.ms));
    console.log(
      `reconnect storm: ${all.length} clients; server down for ${(upAt - downAt).toFixed(0)} ms (start of the new process); ` +
        `raw clients (${raws.length}) resynced p50 ${rawMs.p50} ms p99 ${rawMs.p99} ms max ${rawMs.max} ms; every client held the full state ` +
        `${convergedMs.toFixed(0)} ms after the new server was up; /healthz n=${h.n} p50 ${h.p50} ms p99 ${h.p99} ms max ${h.max} ms`,
    );
    assert.ok(rawOutcomes.every((o) => o.kind === 'synced'), `raw reconnects: ${JSON.stringify(rawOutcomes.filter((o) => o.kind !== 'synced').slice(0, 3))}`);
    assert.ok(health.length >= 10, `too few /healthz samples: ${health.length}`);
    assert.ok(health.every((s) => s.status === 200), `/healthz failed during the storm: ${JSON.stringify(health.filter((s) => s.status !== 200))}`);
    assert.ok(h.p99 < 100, `/healthz p99 ${h.p99} ms during the storm (bound: 100 ms); samples ${JSON.stringify(health)}`);
  } finally {
    await Promise.all(probes.map((probe) => probe.stop()));
    for (const m of rooms.flat()) m.destroy();
    await server.stop();
    removeDataDir();
  }
});
