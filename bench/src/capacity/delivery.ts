/**
 * Capacity, part b: delivered messages/s and rooms one instance holds at delivery p99 <= 100 ms.
 *
 * One Scrawl process (LevelDB store, as `npm start` runs it). Rooms have the cpu scenario's shape (10 clients, 2 of
 * them writing 30 stamped updates/s each, so every update reaches 8 readers and is echoed to its writer); each step
 * adds rooms, waits 2 s and measures one window. A step holds when the readers' p99 (from each update's send stamp to
 * its receipt) is <= 100 ms and at least 90 % of the expected deliveries arrived within the window + 300 ms (a server
 * that falls behind shows as a backlog before it shows in the percentiles of what did arrive).
 *
 * The clients run in worker threads (load-fleet.ts) on the same two cores as the server: what the table reports is a
 * lower bound for a server with the machine to itself. Server CPU, the workers' event-loop utilisation and the
 * machine's busy share are printed with each step, so the reader sees which side ran out first.
 */
import type { Context } from '../scenario.ts';
import { withServer } from '../scenario.ts';
import type { ServerProcess, Target } from '../servers.ts';
import { percentile, sleep } from '../stats.ts';
import { CLIENTS_PER_ROOM, UPDATES_PER_S, WRITERS_PER_ROOM } from '../scenarios/cpu.ts';
import { LoadFleet } from './load-fleet.ts';
import type { RoomPlan } from './load-worker.ts';
import { machineWindow } from './machine.ts';
import { deliveryVerdict, stepUp, type Step, type Stepped } from './steps.ts';

/** Rooms per step: 20 rooms is the cpu scenario's load (~12,000 deliveries/s); 10 shows something on a busy machine. */
export const DELIVERY_ROOMS = [10, 20, 40, 60, 80, 100, 130, 160, 200, 250];
const WARMUP_MS = 2_000;

/** Part b on a fresh server; `workers` load-generator threads; stops stepping after `budgetMs`. */
export async function measureDelivery(target: Target, ctx: Context, workers: number, budgetMs: number): Promise<Stepped> {
  return withServer('scrawl', target, ctx, async (server) => {
    const fleet = LoadFleet.start(workers, target.protocol);
    let rooms = 0;
    try {
      return await stepUp('delivery', DELIVERY_ROOMS, budgetMs, async (want) => {
        const added: RoomPlan[] = [];
        for (; rooms < want; rooms++) added.push(roomOn(server, target, `cap-${rooms}`));
        await fleet.open(added, UPDATES_PER_S);
        await sleep(WARMUP_MS);
        return measureStep(server, fleet, rooms, ctx.durationS);
      });
    } finally {
      await fleet.close();
    }
  });
}

function roomOn(server: ServerProcess, target: Target, room: string): RoomPlan {
  const url = target.url(server.port, room);
  return {
    room,
    writerUrls: Array.from({ length: WRITERS_PER_ROOM }, () => url),
    readerUrls: Array.from({ length: CLIENTS_PER_ROOM - WRITERS_PER_ROOM }, () => url),
  };
}

async function measureStep(server: ServerProcess, fleet: LoadFleet, rooms: number, durationS: number): Promise<Step> {
  const cpu0 = server.cpuSeconds();
  const machine = machineWindow();
  const t0 = performance.now();
  const window = await fleet.measure(durationS * 1000);
  // The fleet's window is durationS; its answer comes ~300 ms later (late arrivals), which CPU and busy share include.
  const wallS = (performance.now() - t0) / 1000;
  const cpuPct = (100 * (server.cpuSeconds() - cpu0)) / wallS;
  const { busyPct, load1 } = machine();
  const expected = window.stamps * (CLIENTS_PER_ROOM - WRITERS_PER_ROOM);
  const keptUp = expected === 0 ? 0 : window.samples.length / expected;
  const p99 = percentile(window.samples, 99);
  const { held, why } = deliveryVerdict(p99, keptUp, window.lost);
  return {
    held,
    why,
    cells: {
      rooms,
      clients: rooms * CLIENTS_PER_ROOM,
      'updates/s sent': window.stampsPerS,
      'delivered msgs/s': window.delivered / durationS,
      'p50 ms': percentile(window.samples, 50),
      'p99 ms': p99,
      'arrived %': 100 * keptUp,
      'server CPU %': cpuPct,
      // CPU time is what neighbours on a shared machine disturb least: it projects the ceiling of a core of its own.
      'server µs/msg': (cpuPct * 10_000) / (window.delivered / durationS),
      'client loops busy %': 100 * window.maxElu,
      'machine busy %': busyPct,
      load: load1,
    },
  };
}
