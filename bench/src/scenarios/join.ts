/**
 * Join storm: a room holding a ~4 MB document, then 150 clients connecting at once.
 *
 * The document is built once with yjs (docs.ts) and written through one client as a single update; that client
 * stays connected (plain Hocuspocus and y-websocket-server would otherwise drop or unload an unstored room). A
 * probe client then syncs once, which proves the server holds the whole state and takes first-load costs out of
 * the storm. Each of the 150 clients is timed from its own socket creation to the arrival of the server's
 * SyncStep2 (the frame is complete when `ws` emits it). Checking that the state is complete is deferred until all
 * have arrived: decoding 150 x 4 MB inside the storm would charge the bench's own CPU to the server under test.
 * Clients of one server receive byte-identical step-2 payloads in practice, so each payload is compared with the
 * first and only distinct ones are decoded.
 */
import { closeAll, RawClient } from '../clients.ts';
import { buildBigDoc, hasFullState, type BigDoc } from '../docs.ts';
import { noteDisconnects, withServer, type Scenario } from '../scenario.ts';
import type { Target } from '../servers.ts';
import { percentile, sleep, withTimeout } from '../stats.ts';

const JOINERS = 150;
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
    { key: 'complete', label: 'clients with full state', ratio: false },
  ],
  async run(target, ctx) {
    const doc = document();
    return withServer(target.kind, target, ctx, async (server) => {
      const room = 'storm';
      const { holder } = await seedRoom(target, server.port, room, doc);
      const payloads: Uint8Array[] = new Array(JOINERS);
      const joiners: RawClient[] = [];
      try {
        const cpu0 = server.cpuSeconds();
        for (let i = 0; i < JOINERS; i++) {
          joiners.push(new RawClient({
            protocol: target.protocol, url: target.url(server.port, room), room,
            onSyncStep2: (update) => { payloads[i] ??= update; },
          }));
        }
        const settled = await withTimeout(Promise.allSettled(joiners.map((c) => c.synced)), 120_000, 'the storm to sync');
        const cpuS = server.cpuSeconds() - cpu0;
        const times = joiners.filter((c) => c.syncedAt >= 0).map((c) => c.syncedAt - c.createdAt);
        noteDisconnects([holder, ...joiners], target, ctx, 'join storm');
        if (settled.some((s) => s.status === 'rejected')) ctx.note(target, `join storm: ${times.length} of ${JOINERS} clients synced`);
        // Deferred check: identical payloads share one decode.
        const verdicts = new Map<string, boolean>();
        let complete = 0;
        const first = payloads.find((p) => p !== undefined);
        for (const payload of payloads) {
          if (payload === undefined) continue;
          const key = first && Buffer.from(payload).equals(first) ? 'first' : `${payload.length}:${complete}`;
          if (!verdicts.has(key)) verdicts.set(key, hasFullState(payload, doc.stateVector));
          if (verdicts.get(key)) complete++;
        }
        if (complete < JOINERS) ctx.note(target, `join storm: ${JOINERS - complete} clients' first sync lacked part of the document`);
        return {
          p50: percentile(times, 50),
          p99: percentile(times, 99),
          cpuS,
          complete: `${complete}/${JOINERS}`,
        };
      } finally {
        payloads.fill(undefined as unknown as Uint8Array);
        await closeAll([holder, ...joiners]);
      }
    });
  },
};
