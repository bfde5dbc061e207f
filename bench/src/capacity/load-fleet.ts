/**
 * The capacity scenario's load generator from the bench process's side: worker threads (load-worker.ts) that each hold
 * whole rooms of raw clients. Rooms are dealt out round-robin, so every worker carries about the same load.
 *
 * Worker threads, not the bench's own event loop: at tens of thousands of deliveries per second one thread of clients
 * falls behind before the server does, and its lag would be read as server latency. They still share the machine's
 * cores with the server, so the ceilings measured this way are lower bounds; each window also reports how busy the
 * workers' event loops were, to show when the clients, not the server, were the limit.
 */
import { Worker } from 'node:worker_threads';
import type { Protocol } from '../servers.ts';
import type { LoadWorkerInput, RoomPlan, WindowReport } from './load-worker.ts';

/** What one measured window of the whole fleet saw. */
export interface FleetWindow {
  /** Every reader's latency samples, ms (stats.ts's percentile() reads them). */
  samples: number[];
  delivered: number;
  stamps: number;
  /** Stamps sent per second over the recording time (every worker records for the same span). */
  stampsPerS: number;
  /** Busiest worker's event-loop utilisation (0-1). */
  maxElu: number;
  lost: number;
}

type Message = { type: string } & Record<string, unknown>;

/** Worker threads holding rooms of clients; see the module comment. */
export class LoadFleet {
  private readonly workers: Worker[];
  private readonly pending: Array<Array<(message: Message) => void>>;
  private failure: Error | undefined;
  private nextWorker = 0;

  private constructor(workers: Worker[]) {
    this.workers = workers;
    this.pending = workers.map(() => []);
    workers.forEach((worker, i) => {
      worker.on('message', (message: Message) => {
        if (message.type === 'error') this.fail(new Error(`load worker ${i}: ${message.message}`));
        else this.pending[i].shift()?.(message);
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`load worker ${i} exited with ${code}`));
      });
    });
  }

  /** Starts `count` workers speaking `protocol`. */
  static start(count: number, protocol: Protocol): LoadFleet {
    const data: LoadWorkerInput = { protocol };
    return new LoadFleet(Array.from({ length: count }, () => new Worker(new URL('./load-worker.ts', import.meta.url), { workerData: data })));
  }

  /** Connects `rooms` (spread over the workers) and starts their writers at `ratePerS` each; resolves once all synced. */
  async open(rooms: RoomPlan[], ratePerS: number): Promise<void> {
    const shares: RoomPlan[][] = this.workers.map(() => []);
    for (const room of rooms) shares[this.nextWorker++ % this.workers.length].push(room);
    await Promise.all(shares.map((share, i) => (share.length === 0 ? undefined : this.ask(i, { type: 'open', rooms: share, ratePerS }, 120_000))));
  }

  /** Records for `ms` in every worker at once and merges what they saw. */
  async measure(ms: number): Promise<FleetWindow> {
    const replies = await Promise.all(this.workers.map((_, i) => this.ask(i, { type: 'measure', ms }, ms + 60_000)));
    const reports = replies.map((m) => m.report as WindowReport);
    const samples: number[] = [];
    for (const r of reports) for (const sample of r.samples) samples.push(sample);
    const sum = (pick: (r: WindowReport) => number) => reports.reduce((n, r) => n + pick(r), 0);
    return {
      samples,
      delivered: sum((r) => r.delivered),
      stamps: sum((r) => r.stamps),
      stampsPerS: sum((r) => r.stamps / (r.recordedMs / 1000)),
      maxElu: Math.max(...reports.map((r) => r.elu)),
      lost: sum((r) => r.lost),
    };
  }

  /** Stops the writers, closes every socket and ends the threads. */
  async close(): Promise<void> {
    try {
      if (!this.failure) await Promise.all(this.workers.map((_, i) => this.ask(i, { type: 'close' }, 30_000)));
    } finally {
      await Promise.all(this.workers.map((w) => w.terminate()));
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiters of this.pending) for (const waiter of waiters.splice(0)) waiter({ type: 'failed' });
  }

  /** Sends `message` to worker `i` and waits for its answer (each worker answers its requests in order). */
  private async ask(i: number, message: Message, timeoutMs: number): Promise<Message> {
    if (this.failure) throw this.failure;
    let timer: NodeJS.Timeout | undefined;
    const answer = new Promise<Message>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`load worker ${i}: no answer to '${message.type}' within ${timeoutMs} ms`)), timeoutMs);
      this.pending[i].push(resolve);
    });
    this.workers[i].postMessage(message);
    try {
      const reply = await answer;
      if (this.failure) throw this.failure;
      return reply;
    } finally {
      clearTimeout(timer);
    }
  }
}
