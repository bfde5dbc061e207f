/**
 * Reconnect storm (issue 5's hardening suite, the long variant of server/test/hardening-reconnect.test.ts): 2,000 raw
 * clients over 200 rooms are connected, synced and have each written one small edit that the server holds; the
 * server is restarted (SIGTERM, then started again on the same port and data directory), and every client reconnects
 * at the same instant once the new server answers, sending its state vector and the edit it made while offline.
 *
 * How: the clients are the bench's RawClients (clients.ts), each with a small Y.Doc so that its SyncStep1 carries a
 * real state vector and its answer to the server's SyncStep1 carries its offline edit, as a provider's would. Before
 * the restart, each room must have converged (every client holds its room's 10 edits; on /sync each client also got
 * the SyncStatus ack of its edit) and GET /api/rooms/:room/state must hold the same state. While the server is down,
 * every client makes one offline edit. Once ServerProcess.spawn() has seen /healthz answer 200, all clients open
 * their sockets in one synchronous loop; one refused (HTTP 429 from the per-address upgrade limit) or timed out
 * retries after 250-750 ms, as a real client would. Per-client times run from that loop's start ("storm start"),
 * so they include the bench's own time to open 2,000 sockets (its CPU is printed). A client is resynced when the
 * server's SyncStep2 arrived and its document holds its room's 20 edits (its own, and those its room-mates sent while
 * reconnecting). A /healthz probe
 * (health-probe.ts) runs in its own process from before the SIGTERM until every client is resynced, one fresh TCP
 * connection per request every ~10 ms; only samples started after the new server first answered count. At the end
 * every room's state on the server (GET /api/rooms/:room/state) is compared with each of its clients' documents by
 * state vector (each edit is one insertion and nothing is deleted, so equal state vectors mean equal documents).
 *
 * Why: after a deploy every client of every room comes back within the same second. The server must let them all
 * back in without losing an edit, and keep answering its health check meanwhile (a load balancer that sees /healthz
 * time out takes the instance out of rotation and turns a restart into an outage); the issue's bound is p99 < 100 ms.
 * Only Scrawl has a health endpoint (and a store), so the anchors get fixed rows.
 *
 * What it does not show: that the store kept the pre-restart edits. Every client still holds them and sends back
 * whatever the server lacks, so a store that lost them would be healed by the clients; the restart and durability
 * scenarios measure the store. The client count follows `--idle-clients` (2,000 unless run.ts scaled it down to the
 * fd limit), 10 per room. About 10-15 s per target (about 25 s for both), so it is part of the default run.
 */
import * as Y from 'yjs';
import { closeAll, connectMany, RawClient } from '../clients.ts';
import { sameStateVector } from '../docs.ts';
import { startHealthProbe, type HealthProbe } from '../health-probe.ts';
import { noteDisconnects, withServer, type Context, type Metric, type Scenario, type Value } from '../scenario.ts';
import type { ServerProcess, Target } from '../servers.ts';
import { percentile, sleep, withTimeout } from '../stats.ts';

const CLIENTS_PER_ROOM = 10;
/** Handshakes in flight while the clients first connect (as in idle.ts: under the listen backlog). */
const CONNECT_CONCURRENCY = 100;
/** One reconnect attempt may take this long before it is given up and retried. */
const ATTEMPT_TIMEOUT_MS = 20_000;
const MAX_ATTEMPTS = 20;
/** Bound on the whole storm: reconnects plus convergence. Whoever is not resynced by then counts as lost. */
const STORM_TIMEOUT_MS = 120_000;
/** Bound on the pre-restart phase's convergence (all edits relayed, acknowledged and held by the server). */
const SETTLE_TIMEOUT_MS = 60_000;
const PROBE_PERIOD_MS = 10;
/** The issue's bound on /healthz during the storm. */
const HEALTH_P99_BOUND_MS = 100;
const MAP = 'm';

/** One simulated user: its room, its document (kept across the restart) and its current connection. */
interface Member {
  readonly room: string;
  /** Position in the room: the keys it writes are `online-<index>` and `offline-<index>`. */
  readonly index: number;
  readonly doc: Y.Doc;
  client: RawClient;
  /** performance.now() when the server's SyncStep2 arrived on the reconnect; -1 until then. */
  resyncedAt: number;
  /** Reconnect attempts made (1 = got in at the first try). */
  attempts: number;
  /** Why the last failed attempt failed. */
  failure: string | undefined;
}

/** Polls `done` every 10 ms until it holds (true) or `timeoutMs` passes (false). */
async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

/** The room's state on the server, as GET /api/rooms/:room/state returns it (a Yjs update). */
async function serverStateVector(port: number, room: string): Promise<Uint8Array> {
  const response = await fetch(`http://127.0.0.1:${port}/api/rooms/${room}/state`, { signal: AbortSignal.timeout(10_000) });
  if (response.status !== 200) throw new Error(`GET /api/rooms/${room}/state answered ${response.status}`);
  return Y.encodeStateVectorFromUpdate(new Uint8Array(await response.arrayBuffer()));
}

/** Rooms whose server state has the same state vector as every one of their clients' documents. */
async function roomsMatchingServer(port: number, rooms: Map<string, Member[]>): Promise<{ equal: number; mismatch: string[] }> {
  let equal = 0;
  const mismatch: string[] = [];
  // One request at a time: the check is not timed, and it should not become a second storm.
  for (const [room, members] of rooms) {
    let sv: Uint8Array;
    try {
      sv = await serverStateVector(port, room);
    } catch (error) {
      mismatch.push(`${room} (${(error as Error).message})`);
      continue;
    }
    if (members.every((m) => sameStateVector(Y.encodeStateVector(m.doc), sv))) equal++;
    else mismatch.push(room);
  }
  return { equal, mismatch };
}

/**
 * The member holds the keys `<prefix>-<index>` for every prefix and every index of its room (`size` members). Those
 * are the only keys written, so the count plus the first and last of each prefix is enough.
 */
function holdsAll(m: Member, size: number, prefixes: string[]): boolean {
  const map = m.doc.getMap(MAP);
  return map.size >= size * prefixes.length && prefixes.every((p) => map.has(`${p}-${size - 1}`) && map.has(`${p}-0`));
}

/**
 * Reconnects one member: a new socket for the same document; a refusal or a timeout is retried after a short random
 * pause (a real client backs off; the jitter spreads the retries), until MAX_ATTEMPTS or `deadline`.
 */
async function reconnect(m: Member, open: (m: Member) => RawClient, deadline: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    m.attempts = attempt;
    const client = open(m);
    m.client = client;
    try {
      await withTimeout(client.synced, Math.max(1, Math.min(ATTEMPT_TIMEOUT_MS, deadline - performance.now())), 'SyncStep2');
      m.resyncedAt = client.syncedAt;
      return;
    } catch (error) {
      client.terminate();
      m.failure = (error as Error).message;
      if (attempt >= MAX_ATTEMPTS || performance.now() + 1_000 > deadline) return;
      await sleep(250 + Math.random() * 500);
    }
  }
}

const METRICS: Metric[] = [
  { key: 'resynced', label: 'clients resynced with their room\'s full state', ratio: false },
  { key: 'lost', label: 'clients lost (not resynced, or dropped after)', ratio: false },
  { key: 'allMs', label: 'SIGTERM -> every client resynced (ms)' },
  { key: 'restartMs', label: '  of which SIGTERM -> new server answers (ms)' },
  { key: 'p50', label: 'per client: storm start -> SyncStep2, p50 (ms)' },
  { key: 'p99', label: 'per client: storm start -> SyncStep2, p99 (ms)' },
  { key: 'max', label: 'per client: storm start -> SyncStep2, max (ms)' },
  { key: 'retried', label: 'clients that needed a retry', ratio: false },
  { key: 'healthP50', label: '/healthz during the storm, p50 (ms)' },
  { key: 'healthP99', label: '/healthz during the storm, p99 (ms)', target: `< ${HEALTH_P99_BOUND_MS} ms` },
  { key: 'healthMax', label: '/healthz during the storm, max (ms)' },
  { key: 'healthN', label: '/healthz samples during the storm (non-200)', ratio: false },
  { key: 'serverCpuS', label: 'server CPU during the storm (s)' },
  { key: 'benchCpuS', label: 'bench clients CPU during the storm (s)', ratio: false },
  { key: 'roomsEqual', label: 'rooms whose server state equals every client\'s', ratio: false },
];

/** The anchors' rows: the reason once, in the first row, then n/a. */
const anchorRow: Record<string, Value> = Object.fromEntries(METRICS.map((m, i) => [m.key, i === 0 ? 'n/a (no health endpoint)' : 'n/a']));

/** The reconnect storm, measured on both Scrawl endpoints (about 25 s in all, so not opt-in). */
export const reconnectStorm: Scenario = {
  name: 'reconnect',
  title: 'reconnect storm: 2,000 clients over 200 rooms reconnect at once after a restart, /healthz polled meanwhile',
  targets: ['scrawl-sync', 'scrawl-yjs'],
  metrics: METRICS,
  // The anchors have no /healthz (and no store to restart on): a row that says so, not blanks.
  fixed: { yws: anchorRow, hp: anchorRow },
  async run(target, ctx) {
    return withServer(target.kind, target, ctx, (server) => storm(server, target, ctx));
  },
};

/** One measurement on a fresh server (see the top of the file). */
async function storm(server: ServerProcess, target: Target, ctx: Context): Promise<Record<string, Value>> {
  const count = ctx.idleClients;
  const note = (text: string) => ctx.note(target, text);
  const members: Member[] = [];
  const rooms = new Map<string, Member[]>();
  for (let i = 0; i < count; i++) {
    const room = `reconnect-${Math.floor(i / CLIENTS_PER_ROOM)}`;
    const m: Member = { room, index: i % CLIENTS_PER_ROOM, doc: new Y.Doc(), client: undefined!, resyncedAt: -1, attempts: 0, failure: undefined };
    members.push(m);
    if (!rooms.has(room)) rooms.set(room, []);
    rooms.get(room)!.push(m);
  }
  const sizeOf = (m: Member) => rooms.get(m.room)!.length;
  // Whatever the server sends is applied to the member's document; the client never sends on a document change
  // (RawClient does not observe the doc), so nothing echoes. Edits go out explicitly (online) or through the
  // answer to the server's SyncStep1 (offline), as a provider's would.
  const open = (m: Member) => {
    const apply = (update: Uint8Array) => Y.applyUpdate(m.doc, update);
    return new RawClient({ protocol: target.protocol, url: target.url(server.port, m.room), room: m.room, doc: m.doc, onSyncStep2: apply, onUpdate: apply });
  };
  let probe: HealthProbe | undefined;
  try {
    // 1. Connected, synced, one edit each, held by the server.
    await withTimeout(connectMany(count, (i) => (members[i].client = open(members[i])), CONNECT_CONCURRENCY), 120_000, `${count} clients to connect`);
    await sleep(500); // the SyncStatus acks of the handshakes' own SyncStep2 arrive first; count the edits' after them
    const acks0 = members.map((m) => m.client.acks);
    for (const m of members) {
      const before = Y.encodeStateVector(m.doc);
      m.doc.getMap(MAP).set(`online-${m.index}`, m.index);
      m.client.sendUpdate(Y.encodeStateAsUpdate(m.doc, before));
    }
    const settled = await until(() => members.every((m, i) =>
      holdsAll(m, sizeOf(m), ['online']) && (target.protocol !== 'hp' || m.client.acks > acks0[i])), SETTLE_TIMEOUT_MS);
    if (!settled) throw new Error(`the rooms did not converge on their first edits within ${SETTLE_TIMEOUT_MS} ms`);
    const stored = await roomsMatchingServer(server.port, rooms);
    if (stored.mismatch.length > 0) throw new Error(`before the restart, ${stored.mismatch.length} rooms' server state differed from their clients' (e.g. ${stored.mismatch[0]})`);
    noteDisconnects(members.map((m) => m.client), target, ctx, 'before the restart');

    // 2. Restart with the probe running; offline edits while the server is down.
    probe = startHealthProbe(`http://127.0.0.1:${server.port}`, PROBE_PERIOD_MS, STORM_TIMEOUT_MS + 60_000);
    await sleep(200); // a few samples of the old server, so a probe that failed to start shows up as no samples at all
    const sigtermAt = performance.now();
    await server.stop();
    if (server.child.signalCode === 'SIGKILL') note('the server did not exit within 15 s of SIGTERM and was killed');
    for (const m of members) {
      // The server closed every socket (1001); make sure none lingers, then edit offline: nothing is sent now.
      m.client.terminate();
      m.doc.getMap(MAP).set(`offline-${m.index}`, m.index);
    }
    await server.spawn();
    const upWallClock = performance.timeOrigin + server.readyAt;
    const cpu0 = server.cpuSeconds();
    const bench0 = process.cpuUsage();

    // 3. The storm: every client at once (the first attempt of each opens its socket before any await).
    const stormAt = performance.now();
    const deadline = stormAt + STORM_TIMEOUT_MS;
    const reconnects = Promise.all(members.map((m) => reconnect(m, open, deadline)));
    await reconnects;
    const full = (m: Member) => m.resyncedAt >= 0 && holdsAll(m, sizeOf(m), ['online', 'offline']);
    const converged = await until(() => members.every(full), Math.max(0, deadline - performance.now()));
    const allAt = performance.now();
    const health = (await probe.stop()).filter((s) => s.startedAt >= upWallClock);
    probe = undefined;
    const serverCpuS = server.cpuSeconds() - cpu0;
    const bench = process.cpuUsage(bench0);

    // 4. Findings.
    const resynced = members.filter(full);
    const dropped = noteDisconnects(resynced.map((m) => m.client), target, ctx, 'after resyncing');
    const notIn = members.filter((m) => m.resyncedAt < 0);
    if (notIn.length > 0) {
      const reasons = new Map<string, number>();
      for (const m of notIn) reasons.set(m.failure ?? 'unknown', (reasons.get(m.failure ?? 'unknown') ?? 0) + 1);
      note(`${notIn.length} clients never got a SyncStep2 (${[...reasons].map(([r, n]) => `${n} x ${r}`).join('; ')})`);
    }
    const partial = members.length - notIn.length - resynced.length;
    if (partial > 0) note(`${partial} clients got a SyncStep2 but not their room's 20 edits within ${STORM_TIMEOUT_MS / 1000} s`);
    const retried = members.filter((m) => m.attempts > 1);
    if (retried.length > 0) {
      const reasons = new Map<string, number>();
      for (const m of retried) reasons.set(m.failure ?? 'unknown', (reasons.get(m.failure ?? 'unknown') ?? 0) + 1);
      note(`${retried.length} clients needed a retry, last refusals: ${[...reasons].map(([r, n]) => `${n} x ${r}`).join('; ')}`);
    }
    const failedHealth = health.filter((s) => s.status !== 200);
    if (failedHealth.length > 0) note(`/healthz did not answer 200 to ${failedHealth.length} of ${health.length} probes during the storm`);
    const latencies = health.map((s) => s.latencyMs);
    const healthP99 = percentile(latencies, 99);
    if (healthP99 >= HEALTH_P99_BOUND_MS) note(`/healthz p99 ${healthP99.toFixed(1)} ms during the storm (bound ${HEALTH_P99_BOUND_MS} ms)`);
    const times = members.filter((m) => m.resyncedAt >= 0).map((m) => m.resyncedAt - stormAt);
    const end = await roomsMatchingServer(server.port, rooms);
    if (end.mismatch.length > 0) note(`${end.mismatch.length} rooms' server state differs from a client's (e.g. ${end.mismatch.slice(0, 3).join(', ')})`);
    return {
      resynced: `${resynced.length}/${count}`,
      lost: count - resynced.length + dropped,
      allMs: converged ? allAt - sigtermAt : `> ${Math.round(allAt - sigtermAt)}`,
      restartMs: server.readyAt - sigtermAt,
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      max: times.length > 0 ? Math.max(...times) : Number.NaN,
      retried: retried.length,
      healthP50: percentile(latencies, 50),
      healthP99,
      healthMax: latencies.length > 0 ? Math.max(...latencies) : Number.NaN,
      healthN: `${health.length} (${failedHealth.length})`,
      serverCpuS,
      benchCpuS: (bench.user + bench.system) / 1e6,
      roomsEqual: `${end.equal}/${rooms.size}`,
    };
  } finally {
    await probe?.stop();
    await closeAll(members.flatMap((m) => (m.client ? [m.client] : [])));
    for (const m of members) m.doc.destroy();
  }
}
