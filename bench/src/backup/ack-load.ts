/**
 * A steady editing load with every acknowledgement timed, for the backup scenario's "relay while a backup runs" figure.
 *
 * Writers are the bench's raw Hocuspocus-protocol clients on /sync (clients.ts: the frames HocuspocusProvider sends,
 * without a provider's timers and document per client in the bench process), each with a Y.Doc of its own and one
 * one-key update every 1/rate s on its own timer, started at a random phase so they do not fire in lockstep. Scrawl
 * acknowledges an update (SyncStatus) once it is on disk, in order per connection, so the n-th acknowledgement after
 * the handshake answers the n-th update sent: its latency is receipt minus send time. The one-at-a-time probe is the
 * durability scenario's `sequentialAckLatency` (a single user's edit waiting for "saved" with nothing else of its own
 * in flight), run in turns for as long as a window is open.
 */
import * as Y from 'yjs';
import { closeAll, connectMany, RawClient } from '../clients.ts';
import { sequentialAckLatency } from '../scenarios/durability.ts';
import type { Target } from '../servers.ts';
import { percentile, sleep } from '../stats.ts';

/** One acknowledged update: when it was sent and how long its acknowledgement took. */
interface Ack {
  sentAt: number;
  ms: number;
}

interface Writer {
  client: RawClient;
  doc: Y.Doc;
  acks0: number;
  sentAt: number[];
}

/** p50, p99 and max of a window's acknowledgements, and how many there were. */
export interface AckFigures {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

/** Figures of a sample of latencies (ms). */
export function figures(values: number[]): AckFigures {
  return { p50: percentile(values, 50), p99: percentile(values, 99), max: values.length ? Math.max(...values) : Number.NaN, count: values.length };
}

/** `writers` writers over `rooms` rooms of one server, each sending `ratePerS` updates a second once started. */
export class AckLoad {
  private readonly writers: Writer[];
  private readonly acks: Ack[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  /** Updates the server refused (SyncStatus false): none are expected. */
  refusals = 0;

  private constructor(writers: Writer[]) {
    this.writers = writers;
  }

  /** Connects and syncs the writers; they send nothing until start(). */
  static async connect(target: Target, port: number, rooms: string[], writers: number): Promise<AckLoad> {
    const docs: Y.Doc[] = [];
    const clients = await connectMany(writers, (i) => {
      const room = rooms[i % rooms.length];
      const doc = new Y.Doc();
      docs.push(doc);
      return new RawClient({ protocol: target.protocol, url: target.url(port, room), room, doc });
    });
    await sleep(500); // the acknowledgement of each handshake's own SyncStep2 comes first; count only later ones
    const load = new AckLoad(clients.map((client, i) => ({ client, doc: docs[i], acks0: client.acks + client.refusals, sentAt: [] })));
    for (const writer of load.writers) {
      writer.client.onAck = (client) => {
        const n = client.acks + client.refusals - writer.acks0;
        if (n >= 1 && n <= writer.sentAt.length) load.acks.push({ sentAt: writer.sentAt[n - 1], ms: performance.now() - writer.sentAt[n - 1] });
      };
    }
    return load;
  }

  /** Starts every writer's timer. */
  start(ratePerS: number): void {
    const periodMs = 1000 / ratePerS;
    for (const [w, writer] of this.writers.entries()) {
      const begin = performance.now() + Math.random() * periodMs;
      let i = 0;
      const tick = () => {
        if (this.stopped) return;
        // Scheduled against the writer's start, not its previous tick, so timer drift does not lower the rate.
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (this.stopped) return;
          const before = Y.encodeStateVector(writer.doc);
          writer.doc.getMap('edits').set(`w${w}-${i}`, i);
          writer.sentAt.push(performance.now());
          writer.client.sendUpdate(Y.encodeStateAsUpdate(writer.doc, before));
          i++;
          tick();
        }, Math.max(0, begin + i * periodMs - performance.now()));
        this.timers.add(timer);
      };
      tick();
    }
  }

  /** Latencies (ms) of the updates sent within [from, to) and acknowledged. */
  window(from: number, to: number): number[] {
    return this.acks.filter((a) => a.sentAt >= from && a.sentAt < to).map((a) => a.ms);
  }

  /** Updates sent within [from, to) that have no acknowledgement (yet). */
  unacknowledged(from: number, to: number): number {
    let missing = 0;
    for (const writer of this.writers) {
      const acked = writer.client.acks + writer.client.refusals - writer.acks0;
      for (let n = acked; n < writer.sentAt.length; n++) if (writer.sentAt[n] >= from && writer.sentAt[n] < to) missing++;
    }
    return missing;
  }

  /** Writers whose connection closed or failed while the load ran. */
  lost(): number {
    return this.writers.filter((w) => w.client.closeCode !== undefined || w.client.error !== undefined).length;
  }

  /** Stops sending, waits for outstanding acknowledgements (up to 3 s) and closes the writers. */
  async close(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const deadline = performance.now() + 3_000;
    while (this.unacknowledged(0, Number.POSITIVE_INFINITY) > 0 && performance.now() < deadline) await sleep(50);
    this.refusals = this.writers.reduce((sum, w) => sum + w.client.refusals, 0);
    await closeAll(this.writers.map((w) => w.client));
  }
}

/**
 * One-at-a-time acknowledgement latencies (durability.ts's probe) in turns of `perTurn` updates, each turn in a fresh
 * room, until `open()` turns false; a turn that fails (timeout) ends the probe with what it has.
 */
export async function probeWhile(target: Target, port: number, open: () => boolean, label: string, perTurn = 20): Promise<number[]> {
  const times: number[] = [];
  for (let turn = 0; open(); turn++) {
    try {
      times.push(...(await sequentialAckLatency(target, port, perTurn, `backup-probe-${label}-${turn}`)));
    } catch {
      break;
    }
  }
  return times;
}
