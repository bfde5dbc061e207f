/**
 * Capacity, part d: messages/s through the Redis relay at cross-instance delivery p99 <= 100 ms.
 *
 * Two Scrawl instances on one fresh PostgreSQL database and the shared Redis (scaleout.ts's withInstances, as the
 * xfanout and xcpu scenarios start them). Every room has one writer on instance 1 and one reader on instance 2, so
 * each update is appended to PostgreSQL and published once on the room's own channel (`scrawl:room:<room>`, see
 * server/src/scaleout/relay-wire.ts) by instance 1, and reaches the reader only through Redis. Redis delivers each
 * message to both instances (both have the room loaded, so both subscribe; instance 1 drops its own by sender id).
 * Each step adds rooms at 30 updates/s each and measures one window; it holds as part b's steps do.
 *
 * Beside the latency, each step reads Redis's main-thread CPU and network counters (INFO cpu / INFO stats) and its
 * PUBLISH count (INFO commandstats) before and after: Redis runs every command and every delivery on that one
 * thread, so its CPU per published message says how far one Redis goes. Redis is shared with whoever else uses it
 * on this machine, so its counters include their traffic (the heartbeats of other test runs, at worst).
 */
import type { Context } from '../scenario.ts';
import { instanceLogLines, REDIS_URL, requireServices, uniqueRoom, withInstances } from '../scaleout.ts';
import type { ServerProcess, Target } from '../servers.ts';
import { percentile, sleep } from '../stats.ts';
import { UPDATES_PER_S } from '../scenarios/cpu.ts';
import { LoadFleet } from './load-fleet.ts';
import type { RoomPlan } from './load-worker.ts';
import { machineWindow, redisInfo, redisMainThreadCpuSeconds } from './machine.ts';
import { deliveryVerdict, stepUp, type Step, type Stepped } from './steps.ts';

/** Rooms per step, each one writer at 30 updates/s: 300 to 24,000 published messages/s. */
export const RELAY_ROOMS = [10, 25, 50, 100, 200, 400, 800];
const WARMUP_MS = 2_000;

interface RedisCounters {
  cpuS: number;
  publishes: number;
  inBytes: number;
  outBytes: number;
}

async function redisCounters(): Promise<RedisCounters> {
  const [cpuS, stats, commands] = await Promise.all([
    redisMainThreadCpuSeconds(REDIS_URL),
    redisInfo(REDIS_URL, 'stats'),
    redisInfo(REDIS_URL, 'commandstats'),
  ]);
  const publishCalls = /calls=(\d+)/.exec(commands.get('cmdstat_publish') ?? '')?.[1];
  return {
    cpuS,
    publishes: Number(publishCalls ?? 0),
    inBytes: Number(stats.get('total_net_input_bytes')),
    outBytes: Number(stats.get('total_net_output_bytes')),
  };
}

/** Part d on two fresh instances; `workers` load-generator threads; stops stepping after `budgetMs`. */
export async function measureRelay(target: Target, ctx: Context, workers: number, budgetMs: number): Promise<Stepped> {
  await requireServices();
  return withInstances(2, async ([one, two]) => {
    const fleet = LoadFleet.start(workers, target.protocol);
    const prefix = uniqueRoom('cap');
    let rooms = 0;
    try {
      return await stepUp('relay', RELAY_ROOMS, budgetMs, async (want) => {
        const added: RoomPlan[] = [];
        for (; rooms < want; rooms++) {
          const room = `${prefix}-${rooms}`;
          added.push({ room, writerUrls: [target.url(one.port, room)], readerUrls: [target.url(two.port, room)] });
        }
        await fleet.open(added, UPDATES_PER_S);
        await sleep(WARMUP_MS);
        return measureStep([one, two], fleet, rooms, ctx.durationS);
      });
    } finally {
      await fleet.close();
      // What the instances logged (LOG_LEVEL=warn: anything is worth a look), as the scale-out scenarios report it.
      const lines = instanceLogLines([one, two]);
      if (lines.length > 0) ctx.note(target, `capacity relay: ${lines.length} instance log line(s), e.g.:\n      ${lines.slice(0, 3).join('\n      ')}`);
    }
  });
}

async function measureStep(instances: ServerProcess[], fleet: LoadFleet, rooms: number, durationS: number): Promise<Step> {
  const cpu0 = instances.map((s) => s.cpuSeconds());
  const redis0 = await redisCounters();
  const machine = machineWindow();
  const t0 = performance.now();
  const window = await fleet.measure(durationS * 1000);
  const wallS = (performance.now() - t0) / 1000;
  const redis1 = await redisCounters();
  const cpuPct = instances.map((s, i) => (100 * (s.cpuSeconds() - cpu0[i])) / wallS);
  const { busyPct, load1 } = machine();
  const publishes = redis1.publishes - redis0.publishes;
  const redisCpuS = redis1.cpuS - redis0.cpuS;
  const keptUp = window.stamps === 0 ? 0 : window.samples.length / window.stamps;
  const p99 = percentile(window.samples, 99);
  const { held, why } = deliveryVerdict(p99, keptUp, window.lost);
  return {
    held,
    why,
    cells: {
      rooms,
      'updates/s relayed': window.stampsPerS,
      'PUBLISH/s': publishes / wallS,
      'p50 ms': percentile(window.samples, 50),
      'p99 ms': p99,
      'arrived %': 100 * keptUp,
      'Redis CPU %': (100 * redisCpuS) / wallS,
      'Redis µs/PUBLISH': publishes > 0 ? (1e6 * redisCpuS) / publishes : Number.NaN,
      'Redis in B/s': (redis1.inBytes - redis0.inBytes) / wallS,
      'Redis out B/s': (redis1.outBytes - redis0.outBytes) / wallS,
      'instance 1 CPU %': cpuPct[0],
      'instance 2 CPU %': cpuPct[1],
      // Per relayed update: instance 1 validates, stores, publishes and hears its own message back; 2 applies and sends.
      'instances µs/update': ((cpuPct[0] + cpuPct[1]) * 10_000) / window.stampsPerS,
      'client loops busy %': 100 * window.maxElu,
      'machine busy %': busyPct,
      load: load1,
    },
  };
}
