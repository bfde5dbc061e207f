/**
 * Fan-out latency: 1 writer -> 50 readers in one room at 60 updates/s.
 *
 * Each update carries its send time (performance.now(), see docs.ts); every reader decodes it on receipt, so a
 * sample is the full path writer socket -> server -> reader socket -> reader's event loop, for each of the 50
 * copies. That is what a user sees as lag. A 1 s warm-up (not recorded) keeps JIT compilation and first-room
 * allocation out of the tail; then `durationS` seconds are recorded. Lost or duplicated deliveries are counted
 * because a server can look fast by dropping messages.
 *
 * Every server is followed at once by the bare relay floor (anchors/floor-relay.ts) under the same load, and the table
 * prints that floor's p99 and the server's p99 above it: issue 18's target is p99 <= floor + 0.5 ms in the same run,
 * since this machine's own floor is above issue 2's absolute 2 ms.
 */
import { closeAll, connectMany, RawClient } from '../clients.ts';
import { stamp, StampLatency } from '../docs.ts';
import { noteDisconnects, withServer, type Context, type Scenario, type Value } from '../scenario.ts';
import { TARGETS, type ServerKind, type Target } from '../servers.ts';
import { atRate, percentile, sleep } from '../stats.ts';
import * as Y from 'yjs';

const READERS = 50;
const RATE_PER_S = 60;
const WARMUP_S = 1;

/** Latency figures of one fan-out measurement on a fresh server of `kind`, reached as `target`. */
async function measure(kind: ServerKind, target: Target, ctx: Context): Promise<Record<string, Value>> {
  return withServer(kind, target, ctx, async (server) => {
    const room = 'fanout';
    const latency = new StampLatency();
    const readers = await connectMany(READERS, () => new RawClient({
      protocol: target.protocol,
      url: target.url(server.port, room),
      room,
      onUpdate: (update, at) => latency.add(update, at),
    }));
    const doc = new Y.Doc();
    const writer = new RawClient({ protocol: target.protocol, url: target.url(server.port, room), room, doc });
    doc.on('update', (update: Uint8Array) => writer.sendUpdate(update));
    try {
      await writer.synced;
      await sleep(200);
      await atRate(RATE_PER_S, RATE_PER_S * WARMUP_S, () => stamp(doc, 'w'));
      const sends = Math.round(RATE_PER_S * ctx.durationS);
      const cpu0 = server.cpuSeconds();
      const t0 = performance.now();
      latency.start();
      await atRate(RATE_PER_S, sends, () => stamp(doc, 'w'));
      const cpu1 = server.cpuSeconds();
      const t1 = performance.now();
      await sleep(500); // stragglers still count for latency; the CPU window is the sending window only
      latency.stop();
      const samples = latency.samples();
      const recorded = samples.length;
      noteDisconnects([writer, ...readers], target, ctx, 'fan-out');
      const expected = sends * READERS;
      if (recorded !== expected) ctx.note(target, `fan-out: ${recorded} of ${expected} deliveries arrived`);
      return {
        p50: percentile(samples, 50),
        p99: percentile(samples, 99),
        max: percentile(samples, 100),
        cpu: (100 * (cpu1 - cpu0)) / ((t1 - t0) / 1000),
        missing: expected - recorded,
      };
    } finally {
      await closeAll([writer, ...readers]);
    }
  });
}

export const fanout: Scenario = {
  name: 'fanout',
  title: `fan-out latency: 1 writer -> ${READERS} readers in one room, ${RATE_PER_S} updates/s; each server followed at once by the bare relay floor`,
  targets: ['scrawl-sync', 'scrawl-yjs', 'yws', 'hp', 'hp-level', 'floor'],
  metrics: [
    { key: 'p50', label: 'p50 (ms)' },
    { key: 'p99', label: 'p99 (ms)', target: '<= 2 ms with the store on' },
    { key: 'max', label: 'max (ms)' },
    { key: 'cpu', label: 'server CPU (%)' },
    { key: 'missing', label: 'deliveries missing', ratio: false },
    { key: 'floorP50', label: 'ws floor p50 right after (ms)', ratio: false },
    { key: 'overFloorP50', label: 'p50 above that floor (ms)', ratio: false },
    { key: 'floorP99', label: 'ws floor p99 right after (ms)', ratio: false },
    { key: 'overFloorP99', label: 'p99 above that floor (ms)', target: '<= +0.5 ms (issue 18)', ratio: false },
  ],
  async run(target, ctx) {
    const result = await measure(target.kind, target, ctx);
    if (target.kind === 'floor') {
      return { ...result, floorP50: 'is the floor', overFloorP50: 'is the floor', floorP99: 'is the floor', overFloorP99: 'is the floor' };
    }
    // The floor measured right after, on the same machine minute: issue 18 asks for p99 within 0.5 ms of it, and a
    // floor from another part of the run would carry the machine's drift between the two into the difference.
    const floor = await measure('floor', TARGETS.floor, ctx);
    const above = (figure: Value | undefined, floorFigure: Value | undefined) =>
      typeof figure === 'number' && typeof floorFigure === 'number' ? figure - floorFigure : 'n/a';
    return {
      ...result,
      floorP50: floor.p50,
      overFloorP50: above(result.p50, floor.p50),
      floorP99: floor.p99,
      overFloorP99: above(result.p99, floor.p99),
    };
  },
};
