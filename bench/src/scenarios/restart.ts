/**
 * Restart load: a 4.3 MB board stored, the server restarted, then the time from a fresh client's connect to its
 * full state. Only servers that store anything take part: Scrawl, and Hocuspocus with a LevelDB snapshot store.
 *
 * The board is written through /sync and acknowledged; then the server gets SIGTERM (both flush on it) and is
 * started again on the same data directory. A client connects as soon as the server answers HTTP (Scrawl's
 * /healthz), so the room load is inside the measured time, as it is for the first user after a deploy. The clock
 * stops when the client holds the whole state, and the scenario records whether the very first SyncStep2 already
 * held it: a server that answers "synced" with an empty document and sends the content later makes clients seed
 * duplicates. Three restarts per run; the median and the worst are printed.
 */
import { closeAll, RawClient } from '../clients.ts';
import { buildBigDoc, hasFullState, sameStateVector, type BigDoc } from '../docs.ts';
import { reportLog, type Scenario } from '../scenario.ts';
import { ServerProcess } from '../servers.ts';
import { median, withTimeout } from '../stats.ts';
import { seedRoom } from './join.ts';
import * as Y from 'yjs';

const RESTARTS = 3;
const DOC_BYTES = 4.3 * 1024 * 1024;

let bigDoc: BigDoc | undefined;

export const restart: Scenario = {
  name: 'restart',
  title: 'restart load: a 4.3 MB board stored, server restarted, fresh client connect -> full state',
  targets: ['scrawl-sync', 'hp-level'],
  metrics: [
    { key: 'median', label: 'connect -> full state, median (ms)', target: '<= 100 ms' },
    { key: 'max', label: 'connect -> full state, worst (ms)' },
    { key: 'firstSyncFull', label: 'first sync held the stored state', ratio: false },
    { key: 'startupMs', label: 'process start -> HTTP 200 (ms)' },
    { key: 'stopMs', label: 'SIGTERM -> exit (ms)' },
  ],
  fixed: {
    yws: { median: 'n/a (no store)', max: 'n/a', firstSyncFull: 'n/a', startupMs: 'n/a', stopMs: 'n/a' },
    hp: { median: 'n/a (no store)', max: 'n/a', firstSyncFull: 'n/a', startupMs: 'n/a', stopMs: 'n/a' },
  },
  async run(target, ctx) {
    bigDoc ??= buildBigDoc(DOC_BYTES);
    const doc = bigDoc;
    const server = await ServerProcess.start(target.kind);
    const room = 'restart';
    const loads: number[] = [];
    const startups: number[] = [];
    const stops: number[] = [];
    let firstFull = 0;
    try {
      const { holder } = await seedRoom(target, server.port, room, doc);
      await closeAll([holder]);
      for (let i = 0; i < RESTARTS; i++) {
        const t0 = performance.now();
        await server.stop();
        stops.push(performance.now() - t0);
        await server.spawn();
        startups.push(server.readyAt - server.startedAt);
        const state = new Y.Doc();
        let firstWasFull: boolean | undefined;
        let fullAt = -1;
        let resolveFull!: () => void;
        const full = new Promise<void>((resolve) => { resolveFull = resolve; });
        const check = (update: Uint8Array, at: number) => {
          Y.applyUpdate(state, update);
          if (fullAt < 0 && sameStateVector(Y.encodeStateVector(state), doc.stateVector)) {
            fullAt = at;
            resolveFull();
          }
        };
        const client = new RawClient({
          protocol: target.protocol, url: target.url(server.port, room), room,
          onSyncStep2: (update, at) => {
            firstWasFull ??= hasFullState(update, doc.stateVector);
            check(update, at);
          },
          onUpdate: check,
        });
        try {
          await withTimeout(full, 20_000, 'the restarted server to deliver the stored board');
        } catch (error) {
          ctx.note(target, `restart ${i + 1}: ${(error as Error).message}`);
        } finally {
          await closeAll([client]);
        }
        if (firstWasFull) firstFull++;
        else ctx.note(target, `restart ${i + 1}: the first SyncStep2 did not hold the stored board`);
        if (fullAt >= 0) loads.push(fullAt - client.createdAt);
      }
    } finally {
      await server.stop();
      reportLog(server, target, ctx);
    }
    return {
      median: median(loads),
      max: loads.length > 0 ? Math.max(...loads) : Number.NaN,
      firstSyncFull: `${firstFull}/${RESTARTS}`,
      startupMs: median(startups),
      stopMs: median(stops),
    };
  },
};
