/**
 * Capacity (issue 18, item 8): how far one Scrawl instance, its PostgreSQL store and its Redis relay go on this
 * machine, measured; docs/scaling.md turns the figures into a plan for a large deployment.
 *
 *   a. idle connections per GiB (capacity/idle-memory.ts)
 *   b. delivered messages/s and rooms at delivery p99 <= 100 ms, clients in worker threads (capacity/delivery.ts)
 *   c. PostgreSQL appends/s with group commit, commit latency p50/p99 (capacity/postgres-appends.ts)
 *   d. Redis relay messages/s between two instances at p99 <= 100 ms, and Redis's own CPU (capacity/relay.ts)
 *
 * Opt-in (`npm run bench -- capacity`): ~5-10 minutes. `--duration S` sets each load step's window (default 10 s;
 * `--duration 3` is a quick look, ~3 minutes), `--idle-clients N` the idle connections per step of part a (4 steps,
 * 2,000 each by default), `CAPACITY_PARTS=idle,delivery,postgres,relay` (any subset, that order) the parts to run.
 * Parts c and d need PostgreSQL and Redis (`source scripts/services.sh && ensure_redis && ensure_postgres`); without
 * them they print "skipped" and the others still run. Every part starts its own servers, so none inherits another's.
 *
 * Every figure comes from two cores shared by server, clients, databases and anything else running: each is a lower
 * bound, printed with the machine's busy share and load average over its window.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { measureDelivery } from '../capacity/delivery.ts';
import { measureIdle, type IdleCapacity } from '../capacity/idle-memory.ts';
import { measureAppends, type AppendCapacity } from '../capacity/postgres-appends.ts';
import { measureRelay } from '../capacity/relay.ts';
import { stepTable, summarise, type Stepped } from '../capacity/steps.ts';
import { ScenarioSkipped, type Context, type Scenario, type Value } from '../scenario.ts';
import type { Target } from '../servers.ts';
import { fmt } from '../stats.ts';

const PARTS = ['idle', 'delivery', 'postgres', 'relay'] as const;
type Part = (typeof PARTS)[number];
/** Threads of load-generating clients: one per core, as the crowd scenario does. */
const WORKERS = Math.max(2, cpus().length);

function selectedParts(): Part[] {
  const asked = (process.env.CAPACITY_PARTS ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = asked.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`CAPACITY_PARTS: unknown part(s) ${unknown.join(', ')}; known: ${PARTS.join(', ')}`);
  return asked.length === 0 ? [...PARTS] : PARTS.filter((p) => asked.includes(p));
}

/**
 * Idle clients per step of part a: --idle-clients, fewer when the open-file limit would not hold four steps' sockets
 * (the bench and the server each hold one per connection; run.ts raised the soft limit to the hard one if it could).
 */
function idlePerStep(ctx: Context): number {
  const match = /Max open files\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  const soft = !match || match[1] === 'unlimited' ? Infinity : Number(match[1]);
  return Math.max(100, Math.min(ctx.idleClients, Math.floor((soft - 1_000) / 4 / 100) * 100));
}

const cell = (v: number | string | undefined) => (typeof v === 'number' ? fmt(v) : (v ?? ''));

function idleRows(a: IdleCapacity): Record<string, Value> {
  console.log(`  capacity idle: RSS / heap after each step: ${a.readings} (connecting took ${fmt(a.connectS)} s)`);
  return {
    idleConns: a.connections,
    idleKib: a.kibPerConn,
    idleHeapKib: a.heapKibPerConn,
    idlePerGiB: a.connsPerGiB,
    idleRss: `${fmt(a.rssBeforeMiB)} -> ${fmt(a.rssAfterMiB)}`,
    idleMachine: `${fmt(a.busyPct)} % / ${fmt(a.load)}${a.lost > 0 ? `, ${a.lost} clients lost` : ''}`,
  };
}

function deliveryRows(b: Stepped): Record<string, Value> {
  console.log(`\n${stepTable('capacity, delivery steps (one instance, LevelDB):', b)}\n`);
  const held = b.lastHeld?.cells;
  // CPU per message is worth showing even when no step held: it is what neighbours disturb least.
  const basis = (b.lastHeld ?? b.firstFailed)?.cells;
  return {
    deliveryMsgs: held?.['delivered msgs/s'] ?? 'none held',
    deliveryHeld: summarise(b.lastHeld, ['rooms', 'clients', 'p50 ms', 'p99 ms'], 'none held'),
    deliveryProjected: typeof basis?.['server µs/msg'] === 'number' ? `${fmt(basis['server µs/msg'])} µs -> ${fmt(1e6 / basis['server µs/msg'])}` : '',
    deliveryCpu: held ? `${cell(held['server CPU %'])} / ${cell(held['client loops busy %'])} / ${cell(held['machine busy %'])} / ${cell(held.load)}` : '',
    deliveryFailed: b.firstFailed
      ? `${summarise(b.firstFailed, ['rooms', 'delivered msgs/s', 'p99 ms'], '')} (${b.firstFailed.why})`
      : `none (${b.stoppedBecause})`,
  };
}

function appendRows(c: AppendCapacity): Record<string, Value> {
  console.log(`\n${stepTable('capacity, PostgreSQL append steps (1,000 rooms, group commit):', c.stepped)}\n`);
  const held = c.stepped.lastHeld?.cells;
  return {
    pgAppends: held?.['committed appends/s'] ?? 'none held',
    pgLatency: held ? `${cell(held['p50 ms'])} / ${cell(held['p99 ms'])}` : '',
    pgCpu: held ? `${cell(held['postgres CPU %'])} / ${cell(held['bench (store) CPU %'])} / ${cell(held['machine busy %'])} / ${cell(held.load)}` : '',
    pgWal: held?.['WAL B/append'] ?? '',
    pgRow: `${fmt(c.bytesPerRow)} (${c.rows} rows)`,
    pgFailed: c.stepped.firstFailed
      ? `${summarise(c.stepped.firstFailed, ['offered appends/s', 'committed appends/s', 'p99 ms'], '')} (${c.stepped.firstFailed.why})`
      : `none (${c.stepped.stoppedBecause})`,
  };
}

function relayRows(d: Stepped): Record<string, Value> {
  console.log(`\n${stepTable('capacity, Redis relay steps (2 instances, writer on 1, reader on 2):', d)}\n`);
  const held = d.lastHeld?.cells;
  const usPerPublish = held?.['Redis µs/PUBLISH'];
  return {
    relayMsgs: held?.['updates/s relayed'] ?? 'none held',
    relayHeld: summarise(d.lastHeld, ['rooms', 'PUBLISH/s', 'p50 ms', 'p99 ms'], 'none held'),
    relayRedis: held ? `${cell(held['Redis CPU %'])} % / ${cell(usPerPublish)} µs` : '',
    relayRedisCeiling: typeof usPerPublish === 'number' && usPerPublish > 0 ? 1e6 / usPerPublish : 'n/a',
    relayBytes: held ? `${cell(held['Redis in B/s'])} / ${cell(held['Redis out B/s'])}` : '',
    relayCpu: held ? `${cell(held['instance 1 CPU %'])} / ${cell(held['instance 2 CPU %'])} / ${cell(held['instances µs/update'])} / ${cell(held['machine busy %'])} / ${cell(held.load)}` : '',
    relayFailed: d.firstFailed
      ? `${summarise(d.firstFailed, ['rooms', 'updates/s relayed', 'p99 ms'], '')} (${d.firstFailed.why})`
      : `none (${d.stoppedBecause})`,
  };
}

/** Runs one part; a part that cannot run here (no PostgreSQL or Redis) fills its rows with the reason. */
async function part(keys: string[], run: () => Promise<Record<string, Value>>): Promise<Record<string, Value>> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof ScenarioSkipped)) throw error;
    console.log(`  capacity: skipped: ${error.message}`);
    return Object.fromEntries(keys.map((k) => [k, `skipped: ${error.message.split(';')[0]}`]));
  }
}

/** The capacity scenario (opt-in): `npm run bench -- capacity`; see the module comment for flags. */
export const capacity: Scenario = {
  name: 'capacity',
  title: 'capacity: one instance\'s ceilings on this machine (idle connections, deliveries, PostgreSQL appends, Redis relay)',
  targets: ['scrawl-sync'],
  optIn: true,
  metrics: [
    { key: 'idleConns', label: 'a. idle connections opened (10 per room)', ratio: false },
    { key: 'idleKib', label: 'a. RSS per idle connection (KiB, slope)', ratio: false },
    { key: 'idleHeapKib', label: 'a. V8 heap per idle connection (KiB, slope)', ratio: false },
    { key: 'idlePerGiB', label: 'a. idle connections per GiB of RSS', ratio: false },
    { key: 'idleRss', label: 'a. server RSS before -> after (MiB)', ratio: false },
    { key: 'idleMachine', label: 'a. machine busy % / load average', ratio: false },
    { key: 'deliveryMsgs', label: 'b. delivered msgs/s, last step at p99 <= 100 ms', ratio: false },
    { key: 'deliveryHeld', label: 'b. that step', ratio: false },
    { key: 'deliveryCpu', label: 'b. that step: server CPU % / client loops busy % / machine busy % / load', ratio: false },
    { key: 'deliveryProjected', label: 'b. server CPU per delivered msg -> msgs/s at 100 % of one core (projected; that step, else the failed one)', ratio: false },
    { key: 'deliveryFailed', label: 'b. first step that failed', ratio: false },
    { key: 'pgAppends', label: 'c. PostgreSQL committed appends/s, last step at p99 <= 100 ms', ratio: false },
    { key: 'pgLatency', label: 'c. that step: commit p50 / p99 (ms)', ratio: false },
    { key: 'pgCpu', label: 'c. that step: postgres CPU % / store (bench) CPU % / machine busy % / load', ratio: false },
    { key: 'pgWal', label: 'c. WAL bytes per append', ratio: false },
    { key: 'pgRow', label: 'c. scrawl_log bytes per row on disk (heap + index)', ratio: false },
    { key: 'pgFailed', label: 'c. first step that failed', ratio: false },
    { key: 'relayMsgs', label: 'd. relayed updates/s (Redis), last step at cross-instance p99 <= 100 ms', ratio: false },
    { key: 'relayHeld', label: 'd. that step', ratio: false },
    { key: 'relayRedis', label: 'd. that step: Redis main thread CPU / per PUBLISH', ratio: false },
    { key: 'relayRedisCeiling', label: 'd. PUBLISH/s one Redis thread would take at 100 % (projected)', ratio: false },
    { key: 'relayBytes', label: 'd. that step: Redis bytes/s in / out', ratio: false },
    { key: 'relayCpu', label: 'd. that step: instance 1 / instance 2 CPU % / both, µs per update / machine busy % / load', ratio: false },
    { key: 'relayFailed', label: 'd. first step that failed', ratio: false },
  ],
  async run(target: Target, ctx) {
    const parts = selectedParts();
    // Rows of parts left out by CAPACITY_PARTS say so rather than "n/a".
    const values: Record<string, Value> = Object.fromEntries(capacity.metrics.map((m) => [m.key, 'not run']));
    const budgetMs = 15 * (ctx.durationS + 3) * 1000;
    console.log(`  capacity: parts ${parts.join(', ')}; ${WORKERS} client worker threads; ${ctx.durationS} s per step`);
    if (parts.includes('idle')) Object.assign(values, idleRows(await measureIdle(target, ctx, idlePerStep(ctx))));
    if (parts.includes('delivery')) Object.assign(values, deliveryRows(await measureDelivery(target, ctx, WORKERS, budgetMs)));
    if (parts.includes('postgres')) {
      Object.assign(values, await part(['pgAppends', 'pgLatency', 'pgCpu', 'pgWal', 'pgRow', 'pgFailed'],
        async () => appendRows(await measureAppends(ctx.durationS, (10 * (ctx.durationS + 2)) * 1000))));
    }
    if (parts.includes('relay')) {
      Object.assign(values, await part(['relayMsgs', 'relayHeld', 'relayRedis', 'relayRedisCeiling', 'relayBytes', 'relayCpu', 'relayFailed'],
        async () => relayRows(await measureRelay(target, ctx, WORKERS, budgetMs))));
    }
    return values;
  },
};
