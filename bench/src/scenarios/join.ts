/**
 * Join storm: a room holding a ~4 MB document, then 150 clients connecting at once.
 *
 * The document is built once with yjs (docs.ts) and written through one client as a single update; that client
 * stays connected (plain Hocuspocus and y-websocket-server would otherwise drop or unload an unstored room). A
 * probe client then syncs once, which proves the server holds the whole state and takes first-load costs out of
 * the storm. The 150 joiners are StormClients (bare TCP, see storm-client.ts) so that receiving 600 MB does not
 * make the bench itself the bottleneck; each is timed from its own socket creation to the arrival of the last
 * byte of the server's SyncStep2. Checking that the state is complete is deferred until all have arrived: every
 * tenth joiner keeps its payload, which is decoded and compared with the document's state vector; the others must
 * match a checked payload in length and in their first and last 256 bytes.
 *
 * The bench's own CPU during the storm is printed beside the server's: 150 x 4 MB through one client process on a
 * 2-core machine is a floor under the p99 that no server can beat here. When the bench's CPU approaches the
 * storm's wall time, the p99 measures the harness, not the server.
 */
import { closeAll, RawClient } from '../clients.ts';
import { buildBigDoc, hasFullState, type BigDoc } from '../docs.ts';
import { noteDisconnects, withServer, type Scenario } from '../scenario.ts';
import { StormClient } from '../storm-client.ts';
import type { Target } from '../servers.ts';
import { percentile, sleep, withTimeout } from '../stats.ts';

const JOINERS = 150;
/** Every KEEP_EVERY-th joiner keeps its whole SyncStep2 to be decoded and checked after the storm. */
const KEEP_EVERY = 10;
const DOC_BYTES = 4 * 1024 * 1024;

let bigDoc: BigDoc | undefined;
function document(): BigDoc {
  bigDoc ??= buildBigDoc(DOC_BYTES);
  return bigDoc;
}

/**
 * Writes the document through one client and waits until the server has it: the SyncStatus ack where the protocol
 * has one, then in every case a probe client's first sync must hold the full state.
 */
export async function seedRoom(target: Target, port: number, room: string, doc: BigDoc): Promise<{ holder: RawClient; seedMs: number }> {
  const holder = new RawClient({ protocol: target.protocol, url: target.url(port, room), room });
  await withTimeout(holder.synced, 10_000, 'the seeding client to sync');
  await sleep(200); // the ack for the handshake's own step 2 arrives first; start counting after it
  const acks0 = holder.acks;
  const t0 = performance.now();
  holder.sendUpdate(doc.update);
  if (target.protocol === 'hp') {
    await withTimeout(new Promise<void>((resolve) => {
      holder.onAck = (c) => {
        if (c.acks > acks0) resolve();
      };
    }), 30_000, 'the SyncStatus ack of the seed');
  }
  const seedMs = performance.now() - t0;
  // y-websocket has no ack: poll with probes until one's first sync holds everything (at most 30 s).
  const deadline = performance.now() + 30_000;
  for (;;) {
    let full = false;
    const probe = new RawClient({
      protocol: target.protocol, url: target.url(port, room), room,
      onSyncStep2: (update) => { full ||= hasFullState(update, doc.stateVector); },
    });
    try {
      await withTimeout(probe.synced, 30_000, 'the probe client to sync');
    } finally {
      await closeAll([probe]);
    }
    if (full) break;
    if (target.protocol === 'hp' || performance.now() > deadline) {
      throw new Error('a probe client did not get the full seeded document on its first sync');
    }
    await sleep(200);
  }
  return { holder, seedMs };
}

export const joinStorm: Scenario = {
  name: 'join',
  title: `join storm: ${JOINERS} clients connecting at once to a room holding a ~4 MB document`,
  targets: ['scrawl-sync', 'scrawl-yjs', 'yws', 'hp'],
  metrics: [
    { key: 'p50', label: 'time to synced p50 (ms)' },
    { key: 'p99', label: 'time to synced p99 (ms)', target: '<= 500 ms' },
    { key: 'cpuS', label: 'server CPU during storm (s)' },
    { key: 'benchCpuS', label: 'bench clients CPU during storm (s)', ratio: false },
    { key: 'complete', label: 'clients with full state', ratio: false },
  ],
  async run(target, ctx) {
    const doc = document();
    return withServer(target.kind, target, ctx, async (server) => {
      const room = 'storm';
      const { holder } = await seedRoom(target, server.port, room, doc);
      const joiners: StormClient[] = [];
      const path = new URL(target.url(server.port, room)).pathname;
      try {
        const cpu0 = server.cpuSeconds();
        const bench0 = process.cpuUsage();
        for (let i = 0; i < JOINERS; i++) {
          joiners.push(new StormClient({ protocol: target.protocol, port: server.port, path, room, keepPayload: i % KEEP_EVERY === 0 }));
        }
        await withTimeout(Promise.all(joiners.map((c) => c.done)), 120_000, 'the storm to sync');
        const cpuS = server.cpuSeconds() - cpu0;
        const bench = process.cpuUsage(bench0);
        const synced = joiners.filter((c) => c.syncedAt >= 0);
        const times = synced.map((c) => c.syncedAt - c.createdAt);
        noteDisconnects([holder], target, ctx, 'join storm (holder)');
        const failed = joiners.filter((c) => c.error !== undefined);
        if (failed.length > 0) ctx.note(target, `join storm: ${failed.length} of ${JOINERS} joiners failed (e.g. ${failed[0].error?.message})`);
        // Deferred check: sampled payloads are decoded; the others must match a verified one in length and ends.
        const verified = joiners.filter((c) => c.payload !== undefined && hasFullState(c.payload, doc.stateVector));
        const reference = verified[0];
        const complete = reference === undefined ? 0 : synced.filter((c) =>
          verified.includes(c) || (c.payload === undefined && c.payloadLength === reference.payloadLength &&
            c.payloadHead!.equals(reference.payloadHead!) && c.payloadTail!.equals(reference.payloadTail!))).length;
        if (complete < JOINERS) ctx.note(target, `join storm: ${JOINERS - complete} joiners' first sync was not shown to hold the whole document`);
        return {
          p50: percentile(times, 50),
          p99: percentile(times, 99),
          cpuS,
          benchCpuS: (bench.user + bench.system) / 1e6,
          complete: `${complete}/${JOINERS}`,
        };
      } finally {
        for (const joiner of joiners) joiner.close();
        await closeAll([holder]);
      }
    });
  },
};
