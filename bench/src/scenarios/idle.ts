/**
 * Idle memory per connection: 2,000 clients over 200 rooms (10 each), all synced, then left idle.
 *
 * (VmRSS after - VmRSS before) / clients, from /proc/<pid>/status. "Before" is taken after a warm-up room of 10
 * clients has connected, synced and stayed, so the one-off costs of the first connection (JIT, module state, the
 * first store handle) are not charged to the 2,000. Clients connect in batches of 100 handshakes at a time, which
 * stays under the listen backlog; then the bench waits 5 s so that lazily freed handshake garbage and the
 * servers' own timers settle. The socket count must stay under the per-process fd limit on both sides (run.ts
 * checks `ulimit -n`). Hocuspocus closes connections that are silent for 60 s, so the whole phase stays well
 * inside that.
 */
import { closeAll, connectMany, RawClient } from '../clients.ts';
import { noteDisconnects, withServer, type Scenario } from '../scenario.ts';
import { sleep } from '../stats.ts';

const CLIENTS_PER_ROOM = 10;
const SETTLE_MS = 5_000;

export const idle: Scenario = {
  name: 'idle',
  title: 'idle memory: 2,000 clients over 200 rooms, synced and idle',
  targets: ['scrawl-sync', 'scrawl-yjs', 'yws', 'hp'],
  metrics: [
    { key: 'kibPerConn', label: 'RSS per idle client (KiB)', target: '<= 21 KB (best anchor), aim 10' },
    { key: 'rssBeforeMiB', label: 'RSS before (MiB)' },
    { key: 'rssAfterMiB', label: 'RSS after (MiB)' },
    { key: 'connectS', label: 'time to connect all (s)' },
    { key: 'lost', label: 'clients lost', ratio: false },
  ],
  async run(target, ctx) {
    return withServer(target.kind, target, ctx, async (server) => {
      const make = (room: string) => new RawClient({ protocol: target.protocol, url: target.url(server.port, room), room });
      const warm = await connectMany(CLIENTS_PER_ROOM, () => make('idle-warmup'));
      const clients: RawClient[] = [];
      try {
        await sleep(1_000);
        const before = server.rssKiB();
        const t0 = performance.now();
        const count = ctx.idleClients;
        clients.push(...await connectMany(count, (i) => make(`idle-${Math.floor(i / CLIENTS_PER_ROOM)}`)));
        const connectS = (performance.now() - t0) / 1000;
        await sleep(SETTLE_MS);
        const after = server.rssKiB();
        const lost = noteDisconnects([...warm, ...clients], target, ctx, 'idle');
        return {
          kibPerConn: (after - before) / count,
          rssBeforeMiB: before / 1024,
          rssAfterMiB: after / 1024,
          connectS,
          lost,
        };
      } finally {
        await closeAll([...warm, ...clients]);
      }
    });
  },
};
