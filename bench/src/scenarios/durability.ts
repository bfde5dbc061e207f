/**
 * Durability: acknowledged updates lost on kill -9. Scrawl only: the anchors have no acknowledgement that means
 * "stored" (Hocuspocus acks on apply and stores 2-10 s later; y-websocket has no ack at all).
 *
 * Each round: two clients on one room over /sync each send 50 one-key updates back to back (pipelined, so the
 * server's group commit sees concurrent appends); SIGKILL is sent synchronously from inside the ack handler,
 * with nothing in between. Even rounds kill right after the last of the 100 acks; odd rounds kill after a random
 * number of acks while later updates are still in flight, which is the harder case (a batch being written).
 * The server is restarted on the same data directory, a fresh client syncs, and every acknowledged key must be in
 * its first SyncStep2; keys that only arrive later are reported apart from keys that never arrive. That
 * restarted server is the next round's server.
 */
import * as Y from 'yjs';
import { closeAll, RawClient } from '../clients.ts';
import { reportLog, type Scenario } from '../scenario.ts';
import { ServerProcess } from '../servers.ts';
import { percentile, sleep, withTimeout } from '../stats.ts';
import type { Target } from '../servers.ts';

const WRITERS = 2;
const UPDATES_PER_WRITER = 50;

/**
 * Round-trip time of one update to its SyncStatus when nothing else is in flight: what a single user's edit waits
 * for before it is "saved" (append + ack), without the queueing that the pipelined rounds add. `count` updates, one
 * key each, in `room`; the catalog scenario measures it on two servers at once.
 */
export async function sequentialAckLatency(target: Target, port: number, count = 50, room = 'ack-latency'): Promise<number[]> {
  const doc = new Y.Doc();
  const client = new RawClient({ protocol: target.protocol, url: target.url(port, room), room, doc });
  const times: number[] = [];
  try {
    await withTimeout(client.synced, 10_000, 'the ack-latency client to sync');
    await sleep(300);
    for (let i = 0; i < count; i++) {
      const acked = new Promise<void>((resolve) => { client.onAck = () => resolve(); });
      const before = Y.encodeStateVector(doc);
      doc.getMap('acked').set(`k${i}`, i);
      const t0 = performance.now();
      client.sendUpdate(Y.encodeStateAsUpdate(doc, before));
      await withTimeout(acked, 5_000, 'a SyncStatus ack');
      times.push(performance.now() - t0);
    }
  } finally {
    await closeAll([client]);
  }
  return times;
}

export const durability: Scenario = {
  name: 'durability',
  title: `durability: ${WRITERS} clients x ${UPDATES_PER_WRITER} pipelined updates over /sync, kill -9 right after an ack, restart, count`,
  targets: ['scrawl-sync'],
  metrics: [
    { key: 'lost', label: 'acknowledged updates lost', target: '0', ratio: false },
    { key: 'late', label: 'acked but missing from first sync', ratio: false },
    { key: 'acked', label: 'acknowledged updates (all rounds)', ratio: false },
    { key: 'rounds', label: 'rounds', ratio: false },
    { key: 'ackMs', label: 'ack latency p50, 100 pipelined (ms)' },
    { key: 'ackOneMs', label: 'ack latency p50, one at a time (ms)' },
    { key: 'ackOneP99Ms', label: 'ack latency p99, one at a time (ms)' },
  ],
  fixed: {
    yws: { lost: 'n/a (no durable ack)', late: 'n/a', acked: 'n/a', rounds: 'n/a', ackMs: 'n/a', ackOneMs: 'n/a', ackOneP99Ms: 'n/a' },
    hp: { lost: 'n/a (no durable ack)', late: 'n/a', acked: 'n/a', rounds: 'n/a', ackMs: 'n/a', ackOneMs: 'n/a', ackOneP99Ms: 'n/a' },
  },
  async run(target, ctx) {
    const server = await ServerProcess.start(target.kind);
    let lost = 0;
    let late = 0;
    let ackedTotal = 0;
    const ackTimes: number[] = [];
    let ackOne: number[] = [];
    try {
      ackOne = await sequentialAckLatency(target, server.port);
      for (let round = 0; round < ctx.rounds; round++) {
        const room = `durability-${round}`;
        const total = WRITERS * UPDATES_PER_WRITER;
        const killAfter = round % 2 === 0 ? total : 1 + Math.floor(Math.random() * (total - 1));
        const writers: Array<{ client: RawClient; doc: Y.Doc; acks0: number; sentAt: number[] }> = [];
        for (let w = 0; w < WRITERS; w++) {
          const doc = new Y.Doc();
          const client = new RawClient({ protocol: target.protocol, url: target.url(server.port, room), room, doc });
          writers.push({ client, doc, acks0: 0, sentAt: [] });
        }
        await withTimeout(Promise.all(writers.map((w) => w.client.synced)), 10_000, 'the writers to sync');
        await sleep(300); // the ack of each handshake's own step 2 comes first; count only later ones
        let acked = 0;
        const killed = new Promise<void>((resolve) => {
          for (const w of writers) {
            w.acks0 = w.client.acks;
            w.client.onAck = (c) => {
              const n = c.acks - w.acks0;
              if (n >= 1 && n <= w.sentAt.length) ackTimes.push(performance.now() - w.sentAt[n - 1]);
              acked++;
              if (acked === killAfter) {
                server.kill9Now();
                resolve();
              }
            };
          }
        });
        for (let i = 0; i < UPDATES_PER_WRITER; i++) {
          for (const [w, writer] of writers.entries()) {
            const before = Y.encodeStateVector(writer.doc);
            writer.doc.getMap('acked').set(`${w}-${i}`, i);
            writer.sentAt.push(performance.now());
            writer.client.sendUpdate(Y.encodeStateAsUpdate(writer.doc, before));
          }
        }
        try {
          await withTimeout(killed, 15_000, `${killAfter} acks`);
        } catch (error) {
          ctx.note(target, `round ${round + 1}: ${(error as Error).message} (got ${acked}); killing anyway`);
          server.kill9Now();
        }
        // Acks already in this process's socket buffers were sent before the kill: they count as acknowledged.
        await Promise.all(writers.map((w) => new Promise<void>((resolve) => {
          if (w.client.closeCode !== undefined) return resolve();
          w.client.ws.once('close', () => resolve());
          setTimeout(resolve, 3_000);
        })));
        const ackedKeys: string[] = [];
        for (const [w, writer] of writers.entries()) {
          writer.client.onAck = undefined;
          const n = Math.min(writer.client.acks - writer.acks0, UPDATES_PER_WRITER);
          for (let i = 0; i < n; i++) ackedKeys.push(`${w}-${i}`);
          if (writer.client.refusals > 0) ctx.note(target, `round ${round + 1}: writer ${w} got ${writer.client.refusals} SyncStatus(false)`);
        }
        await closeAll(writers.map((w) => w.client));
        ackedTotal += ackedKeys.length;

        await server.spawn();
        const state = new Y.Doc();
        let firstSync: Y.Doc | undefined;
        const reader = new RawClient({
          protocol: target.protocol, url: target.url(server.port, room), room,
          onSyncStep2: (update) => {
            if (!firstSync) {
              firstSync = new Y.Doc();
              Y.applyUpdate(firstSync, update);
            }
            Y.applyUpdate(state, update);
          },
          onUpdate: (update) => Y.applyUpdate(state, update),
        });
        try {
          await withTimeout(reader.synced, 10_000, 'the reader to sync after restart');
          await sleep(500); // anything that arrives after the first sync is "late", not lost
        } catch (error) {
          ctx.note(target, `round ${round + 1}: ${(error as Error).message}`);
        } finally {
          await closeAll([reader]);
        }
        const inFirst = firstSync?.getMap('acked');
        const inState = state.getMap('acked');
        const missingFirst = ackedKeys.filter((k) => !inFirst?.has(k));
        const missing = ackedKeys.filter((k) => !inState.has(k));
        lost += missing.length;
        late += missingFirst.length - missing.length;
        if (missing.length > 0) {
          ctx.note(target, `round ${round + 1}: ${missing.length} of ${ackedKeys.length} acknowledged updates lost (kill after ack ${killAfter}/${total}; e.g. ${missing.slice(0, 5).join(', ')})`);
        }
        if (missingFirst.length > missing.length) {
          ctx.note(target, `round ${round + 1}: ${missingFirst.length - missing.length} acknowledged updates arrived only after the first sync`);
        }
      }
    } finally {
      await server.stop();
      reportLog(server, target, ctx);
    }
    return {
      lost,
      late,
      acked: ackedTotal,
      rounds: ctx.rounds,
      ackMs: percentile(ackTimes, 50),
      ackOneMs: percentile(ackOne, 50),
      ackOneP99Ms: percentile(ackOne, 99),
    };
  },
};
