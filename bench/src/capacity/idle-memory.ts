/**
 * Capacity, part a: idle connections per GiB on one instance.
 *
 * The idle scenario's method (scenarios/idle.ts: raw clients of clients.ts, 10 per room, connected 100 handshakes at a
 * time with connectMany, synced, then left idle; a warm-up room first so one-off costs are not charged to the rest),
 * taken further: four steps of `--idle-clients` connections each (2,000 by default, 8,000 in all, opened at the
 * server's per-address upgrade rate, see CHUNK), the server's RSS
 * (/proc) and V8 heap in use (its own /metrics, prom-client's `scrawl_nodejs_heap_size_used_bytes`) read after each
 * step has settled. The cost per connection is the slope of a least-squares line through the five readings, not one
 * difference, so a garbage collection landing just before one reading moves it less. Connections per GiB = 1 GiB /
 * RSS slope: the memory a host must have per idle connection, everything (sockets, Hocuspocus connection objects,
 * the rooms' documents and awareness) included.
 */
import { closeAll, connectMany, RawClient } from '../clients.ts';
import { noteDisconnects, withServer, type Context } from '../scenario.ts';
import type { ServerProcess, Target } from '../servers.ts';
import { sleep } from '../stats.ts';
import { machineWindow } from './machine.ts';

const CLIENTS_PER_ROOM = 10;
const STEPS = 4;
/**
 * The server refuses upgrades beyond 200/s per client address after a burst of 2,000 (server/src/sync/limits.ts), and
 * every bench client comes from 127.0.0.1: connections are opened in chunks of 1,000, each after the bucket has
 * refilled for it (5 s at 200/s), so thousands of idle clients are not refused with HTTP 429.
 */
const CHUNK = 1_000;
const UPGRADES_PER_S = 200;
/** Long enough for handshake garbage to be collected, short of Hocuspocus's 60 s silence timeout for the first step. */
const SETTLE_MS = 3_000;

/** What part a measured. */
export interface IdleCapacity {
  connections: number;
  kibPerConn: number;
  heapKibPerConn: number;
  connsPerGiB: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  connectS: number;
  lost: number;
  load: number;
  busyPct: number;
  /** "connections: RSS MiB / heap MiB" per reading, for the log. */
  readings: string;
}

/** V8 heap in use of a Scrawl server, from its /metrics (NaN when not readable). */
async function heapUsedBytes(server: ServerProcess): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    const line = /^scrawl_nodejs_heap_size_used_bytes\s+(\S+)/m.exec(text);
    return line ? Number(line[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Least-squares slope of y over x. */
function slope(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (x[i] - mx) * (y[i] - my);
    den += (x[i] - mx) ** 2;
  }
  return num / den;
}

/** Part a on a fresh server: STEPS x `perStep` idle clients. */
export async function measureIdle(target: Target, ctx: Context, perStep: number): Promise<IdleCapacity> {
  return withServer('scrawl', target, ctx, async (server) => {
    const make = (room: string) => new RawClient({ protocol: target.protocol, url: target.url(server.port, room), room });
    const clients: RawClient[] = [];
    try {
      clients.push(...await connectMany(CLIENTS_PER_ROOM, () => make('cap-idle-warmup')));
      await sleep(1_000);
      const counts = [0];
      const rss = [server.rssKiB()];
      const heap = [await heapUsedBytes(server)];
      const machine = machineWindow();
      let connectMs = 0;
      for (let step = 1; step <= STEPS; step++) {
        for (let opened = 0; opened < perStep; opened += CHUNK) {
          const chunk = Math.min(CHUNK, perStep - opened);
          if (clients.length > CLIENTS_PER_ROOM) await sleep((1000 * chunk) / UPGRADES_PER_S);
          const t0 = performance.now();
          const first = clients.length;
          clients.push(...await connectMany(chunk, (i) => make(`cap-idle-${Math.floor((first + i) / CLIENTS_PER_ROOM)}`)));
          connectMs += performance.now() - t0;
        }
        await sleep(SETTLE_MS);
        counts.push(step * perStep);
        rss.push(server.rssKiB());
        heap.push(await heapUsedBytes(server));
      }
      const { busyPct, load1 } = machine();
      const lost = noteDisconnects(clients, target, ctx, 'capacity idle');
      const kibPerConn = slope(counts, rss);
      return {
        connections: STEPS * perStep,
        kibPerConn,
        heapKibPerConn: slope(counts, heap) / 1024,
        connsPerGiB: (1024 * 1024) / kibPerConn,
        rssBeforeMiB: rss[0] / 1024,
        rssAfterMiB: rss[rss.length - 1] / 1024,
        connectS: connectMs / 1000,
        lost,
        load: load1,
        busyPct,
        readings: counts.map((n, i) => `${n}: ${(rss[i] / 1024).toFixed(0)} / ${(heap[i] / 1048576).toFixed(0)} MiB`).join(', '),
      };
    } finally {
      await closeAll(clients);
    }
  });
}
