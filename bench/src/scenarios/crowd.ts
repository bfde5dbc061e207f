/**
 * Crowd (issue 18): 50 people in one room, drawing freehand at human pace with their cursors moving, for 60 s; the
 * same seeded crowd on Scrawl (`/sync`) and on tldraw sync (anchors/tldraw-sync.ts), each with its own client.
 *
 * Each client is the product's real client stack in Node (crowd/scrawl-client.ts, crowd/tldraw-client.ts) around a
 * real tldraw store; the clients run in worker threads with a browser-like 60 Hz frame loop (crowd/fleet.ts,
 * crowd/frame-clock.ts). Every client draws strokes of 1-2 s at 60 pointer moves/s (each move re-encodes the draw
 * shape's path, as tldraw's draw tool does) with pauses of 1-3 s, from a seeded plan (crowd/schedule.ts), and moves
 * its pointer at 10 Hz, which each product turns into presence (Scrawl: awareness; tldraw sync: instance_presence).
 *
 * Measured, per product, over the run (connect excluded; from the first frame until every stroke reached every client):
 * - latency of each stroke point from the writer's store to each of the 49 readers' stores (crowd/latency.ts), p50
 *   and p99; points stamped in the first 2 s are delivered but not recorded (JIT and first-room warm-up);
 * - server CPU (utime + stime of the server process) and CPU per delivered stroke update, a delivery being one point
 *   reaching one reader: the cursors' traffic is part of the load and of the cost, the same for both;
 * - payload bytes through the clients' sockets per stroke point written, each direction (server -> clients sums the
 *   49 copies), with and without the messages that carried only cursors/presence (crowd/counting-socket.ts);
 * - convergence: after the run settles, every client's shape records compared (crowd/convergence.ts);
 * - the bench process's own CPU and its worker threads' frame lateness, to show whether the clients kept up.
 */
import { cpus } from 'node:os';
import { Fleet, type FleetResult } from '../crowd/fleet.ts';
import { withServer, type Scenario, type Value } from '../scenario.ts';
import type { Target } from '../servers.ts';
import { fmt } from '../stats.ts';

const CLIENTS = 50;
const DEFAULT_SECONDS = 60;
const DEFAULT_SEED = 18;
const WARMUP_MS = 2_000;
const SETTLE_TIMEOUT_MS = 30_000;
/** Worker threads for the clients; more than the cores only adds switching, fewer leaves a core idle. */
const DEFAULT_WORKERS = Math.max(2, cpus().length);

/** Nearest-rank percentile of an ascending sample. */
function percentileSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** "yes (50/50 stores equal, 1,234 shapes)" or what differed. */
function convergence(result: FleetResult): string {
  const groups = new Map<string, number>();
  for (const digest of result.digests) groups.set(digest.sha1, (groups.get(digest.sha1) ?? 0) + 1);
  const shapes = result.digests[0]?.shapes ?? 0;
  const largest = Math.max(...groups.values());
  if (groups.size === 1 && result.unsettled === 0) return `yes (${result.digests.length}/${result.digests.length} equal, ${shapes} shapes)`;
  return `NO (${largest}/${result.digests.length} equal, ${groups.size} variants, ${result.unsettled} strokes unsettled)`;
}

/** The crowd scenario (opt-in): `npm run bench -- crowd`. */
export const crowd: Scenario = {
  name: 'crowd',
  title: `crowd: ${CLIENTS} clients (unless --crowd-clients) in one room drawing strokes at 60 moves/s (1-2 s strokes, 1-3 s pauses) with cursors at 10 Hz`,
  targets: ['scrawl-sync', 'tldraw'],
  optIn: true,
  metrics: [
    { key: 'p50', label: 'stroke point -> each other client, p50 (ms)' },
    { key: 'p99', label: 'stroke point -> each other client, p99 (ms)', target: '<= 50 ms' },
    { key: 'max', label: 'stroke point -> each other client, max (ms)' },
    { key: 'points', label: 'stroke points written', ratio: false },
    { key: 'delivered', label: 'deliveries (point x reader)', ratio: false },
    { key: 'missing', label: 'deliveries missing', ratio: false },
    { key: 'cpuS', label: 'server CPU (s)' },
    { key: 'cpuPct', label: 'server CPU (% of a core)' },
    { key: 'usPerDelivery', label: 'server CPU per delivered stroke update (µs)', target: '<= 0.5x tldraw sync' },
    { key: 'downPerPoint', label: 'server -> clients per stroke point, all traffic (B)' },
    { key: 'upPerPoint', label: 'clients -> server per stroke point, all traffic (B)' },
    { key: 'downStrokePerPoint', label: 'server -> clients per stroke point, without cursor-only messages (B)' },
    { key: 'upStrokePerPoint', label: 'clients -> server per stroke point, without cursor-only messages (B)' },
    { key: 'upMsgsPerPoint', label: 'clients -> server messages per stroke point, all traffic' },
    { key: 'downMsgsPerPoint', label: 'server -> clients messages per stroke point, all traffic' },
    { key: 'converged', label: 'converged (shape records equal)', ratio: false },
    { key: 'benchCpuPct', label: 'bench process CPU, clients (% of a core)' },
    { key: 'frameLateP99', label: 'client frames late, worst worker p99 (ms)' },
    { key: 'elu', label: 'client event loops busy, worst worker (%)' },
  ],
  async run(target: Target, ctx) {
    const seconds = ctx.crowdSeconds ?? DEFAULT_SECONDS;
    const seed = ctx.crowdSeed ?? DEFAULT_SEED;
    const workers = ctx.crowdWorkers ?? DEFAULT_WORKERS;
    // Fewer clients (--crowd-clients) show each product's own latency when the clients are not short of CPU.
    const clients = ctx.crowdClients ?? CLIENTS;
    const product = target.kind === 'tldraw' ? 'tldraw' : 'scrawl';
    return withServer(target.kind, target, ctx, async (server) => {
      const room = `crowd-${seed}`;
      console.log(`  ${target.label}: ${clients} clients in ${workers} worker threads, seed ${seed}, ${seconds} s`);
      const fleet = await Fleet.start({
        product, url: target.url(server.port, room), room, clients, workers: Math.min(workers, clients), seed,
        durationMs: seconds * 1000, warmupMs: WARMUP_MS, settleTimeoutMs: SETTLE_TIMEOUT_MS,
      });
      try {
        const cpu0 = server.cpuSeconds();
        const bench0 = process.cpuUsage();
        const t0 = performance.now();
        const unsettled = await fleet.run();
        const cpuS = server.cpuSeconds() - cpu0;
        const bench = process.cpuUsage(bench0);
        const wallS = (performance.now() - t0) / 1000;
        const result = await fleet.report(unsettled);
        if (result.disconnected > 0) ctx.note(target, `crowd: ${result.disconnected} clients were not connected at the end`);
        if (result.unstamped > 0) ctx.note(target, `crowd: ${result.unstamped} deliveries had no send stamp`);
        const worst = (pick: (w: FleetResult['workers'][number]) => number) => Math.max(...result.workers.map(pick));
        ctx.note(target, `crowd: ${clients} clients, seed ${seed}, ${seconds} s drawing + ${fmt(wallS - seconds)} s to settle; ` +
          `worker threads: CPU ${result.workers.map((w) => fmt(w.threadCpuS)).join(', ')} s, ` +
          `busy ${result.workers.map((w) => `${Math.round(100 * w.eventLoopUtilization)} %`).join(', ')}, ` +
          `frames late p50 ${result.workers.map((w) => fmt(w.frameLateMs.p50)).join(', ')} ms`);
        const values: Record<string, Value> = {
          p50: percentileSorted(result.latencies, 50),
          p99: percentileSorted(result.latencies, 99),
          max: percentileSorted(result.latencies, 100),
          points: result.pointsWritten,
          delivered: result.delivered,
          missing: result.expectedDeliveries - result.delivered,
          cpuS,
          cpuPct: (100 * cpuS) / wallS,
          usPerDelivery: (1e6 * cpuS) / result.delivered,
          downPerPoint: result.bytes.receivedBytes / result.pointsWritten,
          upPerPoint: result.bytes.sentBytes / result.pointsWritten,
          downStrokePerPoint: (result.bytes.receivedBytes - result.bytes.presenceReceivedBytes) / result.pointsWritten,
          upStrokePerPoint: (result.bytes.sentBytes - result.bytes.presenceSentBytes) / result.pointsWritten,
          // A writer whose frames run late puts several points in one update: fewer, larger messages per point.
          upMsgsPerPoint: result.bytes.sentMessages / result.pointsWritten,
          downMsgsPerPoint: result.bytes.receivedMessages / result.pointsWritten,
          converged: convergence(result),
          benchCpuPct: (100 * (bench.user + bench.system)) / 1e6 / wallS,
          frameLateP99: worst((w) => w.frameLateMs.p99),
          elu: 100 * worst((w) => w.eventLoopUtilization),
        };
        return values;
      } finally {
        await fleet.close();
      }
    });
  },
};
