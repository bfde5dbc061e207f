/**
 * Fan-out latency: 1 writer -> 50 readers in one room at 60 updates/s.
 *
 * Each update carries its send time (performance.now(), see docs.ts); every reader decodes it on receipt, so a
 * sample is the full path writer socket -> server -> reader socket -> reader's event loop, for each of the 50
 * copies. That is what a user sees as lag. A 1 s warm-up (not recorded) keeps JIT compilation and first-room
 * allocation out of the tail; then `durationS` seconds are recorded. Lost or duplicated deliveries are counted
 * because a server can look fast by dropping messages.
 */
import { closeAll, connectMany, RawClient } from '../clients.ts';
import { stamp, StampLatency } from '../docs.ts';
import { noteDisconnects, withServer, type Scenario, type Value } from '../scenario.ts';
import { atRate, percentile, sleep } from '../stats.ts';
import * as Y from 'yjs';

const READERS = 50;
const RATE_PER_S = 60;
const WARMUP_S = 1;

export const fanout: Scenario = {
  name: 'fanout',
  title: `fan-out latency: 1 writer -> ${READERS} readers in one room, ${RATE_PER_S} updates/s`,
  targets: ['scrawl-sync', 'scrawl-yjs', 'yws', 'hp', 'hp-level', 'floor'],
  metrics: [
    { key: 'p50', label: 'p50 (ms)' },
    { key: 'p99', label: 'p99 (ms)', target: '<= 2 ms with the store on' },
    { key: 'max', label: 'max (ms)' },
    { key: 'cpu', label: 'server CPU (%)' },
    { key: 'missing', label: 'deliveries missing', ratio: false },
  ],
  async run(target, ctx) {
    return withServer(target.kind, target, ctx, async (server) => {
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
        const result: Record<string, Value> = {
          p50: percentile(samples, 50),
          p99: percentile(samples, 99),
          max: percentile(samples, 100),
          cpu: (100 * (cpu1 - cpu0)) / ((t1 - t0) / 1000),
          missing: expected - recorded,
        };
        return result;
      } finally {
        await closeAll([writer, ...readers]);
      }
    });
  },
};
