/**
 * Scale-out (issue 5): Scrawl instances sharing one PostgreSQL store and one Redis relay (bench/src/scaleout.ts).
 * Each scenario measures the same load on 1 instance and on 3, all with DATABASE_URL and REDIS_URL set, so the
 * difference is what crossing instances costs; the single-instance LevelDB figures are in `fanout` and `cpu`.
 *
 * xfanout: 1 writer on instance A -> 50 readers, 60 updates/s (the fanout scenario's load). With 3 instances the
 *   readers are spread round-robin: 17 on A (relayed in-process, like 1 instance), 17 on B and 16 on C (each update
 *   crosses Redis: A publishes, B and C receive and broadcast). Latency per group, from the send stamp each update
 *   carries (writer and readers share this process's clock).
 * xcpu: the cpu scenario's baseline load (20 rooms x 10 clients, 2 writers per room at 30/s, no cursors), first all
 *   on 1 instance, then client i on instance i mod 3, so every room has clients (and one of its writers) on each
 *   instance. CPU = utime + stime of all instances over the window / messages delivered to clients in it. Redis's
 *   own CPU over the window is shown beside it when one local redis-server is readable in /proc; PostgreSQL's
 *   backends are not counted.
 */
import * as Y from 'yjs';
import { closeAll, connectMany, RawClient } from '../clients.ts';
import { stamp, StampLatency } from '../docs.ts';
import { instanceLogLines, redisCpuSeconds, requireServices, uniqueRoom, withInstances } from '../scaleout.ts';
import { noteDisconnects, type Context, type Scenario, type Value } from '../scenario.ts';
import type { ServerProcess, Target } from '../servers.ts';
import { atRate, percentile, sleep } from '../stats.ts';
import { CLIENTS_PER_ROOM, connectRelayLoad, drive, ROOMS, UPDATES_PER_S, WRITERS_PER_ROOM } from './cpu.ts';

const READERS = 50;
const RATE_PER_S = 60;
const WARMUP_S = 1;

const totalCpu = (servers: ServerProcess[]) => servers.reduce((sum, s) => sum + s.cpuSeconds(), 0);

function noteLogs(instances: ServerProcess[], target: Target, ctx: Context, phase: string): void {
  const lines = instanceLogLines(instances);
  if (lines.length > 0) ctx.note(target, `${phase}: ${lines.length} server log line(s), e.g.:\n      ${lines.slice(0, 3).join('\n      ')}`);
}

/** Runs `measure` on 1 instance, then on 3 fresh ones, noting what the instances logged in each phase. */
async function onOneAndThree<T>(
  scenario: string,
  target: Target,
  ctx: Context,
  measure: (instances: ServerProcess[], phase: string) => Promise<T>,
): Promise<{ one: T; three: T }> {
  const phaseOn = (count: number) => {
    const phase = `${scenario}, ${count} instance${count === 1 ? '' : 's'}`;
    return withInstances(count, async (instances) => {
      try {
        return await measure(instances, phase);
      } finally {
        noteLogs(instances, target, ctx, phase);
      }
    });
  };
  const one = await phaseOn(1);
  const three = await phaseOn(3);
  return { one, three };
}

interface FanoutResult {
  a: number[];
  bc: number[];
  cpuPct: number;
  missing: number;
}

async function fanoutOn(instances: ServerProcess[], target: Target, ctx: Context, phase: string): Promise<FanoutResult> {
  const room = uniqueRoom('xfanout');
  const onA = new StampLatency();
  const onBC = new StampLatency();
  const readers = await connectMany(READERS, (i) => {
    const server = instances[i % instances.length];
    return new RawClient({
      protocol: target.protocol,
      url: target.url(server.port, room),
      room,
      onUpdate: (update, at) => (server === instances[0] ? onA : onBC).add(update, at),
    });
  });
  const doc = new Y.Doc();
  const writer = new RawClient({ protocol: target.protocol, url: target.url(instances[0].port, room), room, doc });
  doc.on('update', (update: Uint8Array) => writer.sendUpdate(update));
  try {
    await writer.synced;
    await sleep(500); // the relay subscribes to the room's channel when the room loads on each instance
    await atRate(RATE_PER_S, RATE_PER_S * WARMUP_S, () => stamp(doc, 'w'));
    const sends = Math.round(RATE_PER_S * ctx.durationS);
    const cpu0 = totalCpu(instances);
    const t0 = performance.now();
    onA.start();
    onBC.start();
    await atRate(RATE_PER_S, sends, () => stamp(doc, 'w'));
    const cpu1 = totalCpu(instances);
    const t1 = performance.now();
    await sleep(500);
    onA.stop();
    onBC.stop();
    const a = onA.samples();
    const bc = onBC.samples();
    noteDisconnects([writer, ...readers], target, ctx, phase);
    const expected = sends * READERS;
    if (a.length + bc.length !== expected) {
      const readersOnA = Math.ceil(READERS / instances.length);
      ctx.note(target, `${phase}: ${a.length + bc.length} of ${expected} deliveries arrived within 0.5 s of the last send ` +
        `(readers on A: ${a.length} of ${sends * readersOnA}; on B/C: ${bc.length} of ${sends * (READERS - readersOnA)})`);
    }
    return { a, bc, cpuPct: (100 * (cpu1 - cpu0)) / ((t1 - t0) / 1000), missing: expected - a.length - bc.length };
  } finally {
    await closeAll([writer, ...readers]);
  }
}

export const xfanout: Scenario = {
  name: 'xfanout',
  title: `cross-instance fan-out: 1 writer on A -> ${READERS} readers, ${RATE_PER_S} updates/s, PostgreSQL + Redis, 1 vs 3 instances`,
  targets: ['scrawl-sync'],
  metrics: [
    { key: 'one50', label: '1 instance: p50 (ms)', ratio: false },
    { key: 'one99', label: '1 instance: p99 (ms)', ratio: false },
    { key: 'a50', label: '3 instances, 17 readers on A: p50 (ms)', ratio: false },
    { key: 'a99', label: '3 instances, 17 readers on A: p99 (ms)', ratio: false },
    { key: 'bc50', label: '3 instances, 33 readers on B/C: p50 (ms)', ratio: false },
    { key: 'bc99', label: '3 instances, 33 readers on B/C: p99 (ms)', ratio: false },
    { key: 'bcMax', label: '3 instances, B/C: max (ms)', ratio: false },
    { key: 'oneCpu', label: '1 instance: server CPU (%)', ratio: false },
    { key: 'threeCpu', label: '3 instances: CPU of all (%)', ratio: false },
    { key: 'missing', label: 'deliveries missing (1 / 3 instances)', ratio: false },
  ],
  async run(target, ctx) {
    await requireServices();
    const { one, three } = await onOneAndThree('xfanout', target, ctx, (instances, phase) => fanoutOn(instances, target, ctx, phase));
    const result: Record<string, Value> = {
      one50: percentile(one.a, 50),
      one99: percentile(one.a, 99),
      a50: percentile(three.a, 50),
      a99: percentile(three.a, 99),
      bc50: percentile(three.bc, 50),
      bc99: percentile(three.bc, 99),
      bcMax: percentile(three.bc, 100),
      oneCpu: one.cpuPct,
      threeCpu: three.cpuPct,
      missing: `${one.missing} / ${three.missing}`,
    };
    return result;
  },
};

interface RelayPhase {
  usPerMsg: number;
  cpuPct: number;
  maxInstancePct: number;
  redisPct: number;
  msgsPerS: number;
  p50: number;
  p99: number;
}

async function relayOn(instances: ServerProcess[], target: Target, ctx: Context, phase: string): Promise<RelayPhase> {
  const latency = new StampLatency();
  const prefix = uniqueRoom('xcpu');
  const { clients, writers } = await connectRelayLoad(target, latency, (i) => ({
    room: `${prefix}-${Math.floor(i / CLIENTS_PER_ROOM)}`,
    port: instances[i % instances.length].port,
  }));
  const stop = drive(writers, false);
  try {
    await sleep(2_000);
    latency.start();
    const delivered0 = clients.reduce((sum, c) => sum + c.delivered, 0);
    const each0 = instances.map((s) => s.cpuSeconds());
    const redis0 = redisCpuSeconds();
    const t0 = performance.now();
    await sleep(ctx.durationS * 1000);
    const each = instances.map((s, i) => s.cpuSeconds() - each0[i]);
    const redis = redisCpuSeconds() - redis0;
    const wallS = (performance.now() - t0) / 1000;
    const delivered = clients.reduce((sum, c) => sum + c.delivered, 0) - delivered0;
    await sleep(300);
    latency.stop();
    const samples = latency.samples();
    const cpuS = each.reduce((a, b) => a + b, 0);
    noteDisconnects(clients, target, ctx, phase);
    return {
      usPerMsg: (cpuS * 1e6) / delivered,
      cpuPct: (100 * cpuS) / wallS,
      maxInstancePct: (100 * Math.max(...each)) / wallS,
      redisPct: (100 * redis) / wallS,
      msgsPerS: delivered / wallS,
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
    };
  } finally {
    stop();
    await sleep(300);
    await closeAll(clients);
  }
}

export const xcpu: Scenario = {
  name: 'xcpu',
  title: `relay cost across instances: ${ROOMS} rooms x ${CLIENTS_PER_ROOM} clients, ${WRITERS_PER_ROOM} writers/room at ${UPDATES_PER_S}/s, PostgreSQL + Redis, 1 vs 3 instances`,
  targets: ['scrawl-sync'],
  metrics: [
    { key: 'oneUs', label: '1 instance: CPU µs / delivered msg', ratio: false },
    { key: 'threeUs', label: '3 instances: CPU µs (all) / delivered msg', ratio: false },
    { key: 'oneCpu', label: '1 instance: server CPU (%)', ratio: false },
    { key: 'threeCpu', label: '3 instances: CPU of all (%)', ratio: false },
    { key: 'threeMax', label: '3 instances: busiest instance (%)', ratio: false },
    { key: 'oneRedis', label: '1 instance: redis-server CPU (%)', ratio: false },
    { key: 'threeRedis', label: '3 instances: redis-server CPU (%)', ratio: false },
    { key: 'oneMsgs', label: '1 instance: delivered msgs/s', ratio: false },
    { key: 'threeMsgs', label: '3 instances: delivered msgs/s', ratio: false },
    { key: 'oneP50', label: '1 instance: latency p50 (ms)', ratio: false },
    { key: 'oneP99', label: '1 instance: latency p99 (ms)', ratio: false },
    { key: 'threeP50', label: '3 instances: latency p50 (ms)', ratio: false },
    { key: 'threeP99', label: '3 instances: latency p99 (ms)', ratio: false },
  ],
  async run(target, ctx) {
    await requireServices();
    const { one, three } = await onOneAndThree('xcpu', target, ctx, (instances, phase) => relayOn(instances, target, ctx, phase));
    const result: Record<string, Value> = {
      oneUs: one.usPerMsg,
      threeUs: three.usPerMsg,
      oneCpu: one.cpuPct,
      threeCpu: three.cpuPct,
      threeMax: three.maxInstancePct,
      oneRedis: Number.isNaN(one.redisPct) ? 'n/a' : one.redisPct,
      threeRedis: Number.isNaN(three.redisPct) ? 'n/a' : three.redisPct,
      oneMsgs: one.msgsPerS,
      threeMsgs: three.msgsPerS,
      oneP50: one.p50,
      oneP99: one.p99,
      threeP50: three.p50,
      threeP99: three.p99,
    };
    return result;
  },
};
