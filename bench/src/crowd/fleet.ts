/**
 * The crowd from the bench process's side: spreads the clients over worker threads, starts them together, waits for
 * the room to settle and gathers what the workers measured.
 *
 * Worker threads rather than the bench's own event loop: fifty clients that each apply the other 49's strokes are
 * more work than one thread does in real time on this machine, and a client that falls behind shows up as latency
 * the server did not cause. Threads (not child processes) because the writers' send stamps must be readable by every
 * reader, which a SharedArrayBuffer gives for free. Each worker runs with NODE_ENV=production, as the web app's build
 * and a production tldraw do (tldraw deep-freezes records in development and test).
 */
import { Worker } from 'node:worker_threads';
import type { CrowdProduct } from './crowd-client.ts';
import type { ShapeDigest } from './convergence.ts';
import { addCounter, newCounter, type ByteCounter } from './counting-socket.ts';
import { epochNow, SendTimes } from './latency.ts';
import { planStrokes } from './schedule.ts';
import type { WorkerInput, WorkerReport } from './worker.ts';

/** Options of {@link Fleet.start}. */
export interface FleetOptions {
  product: CrowdProduct;
  url: string;
  room: string;
  clients: number;
  workers: number;
  seed: number;
  durationMs: number;
  /** Points stamped before this many ms into the run are delivered and counted, but not in the latency figures. */
  warmupMs: number;
  settleTimeoutMs: number;
}

/** Everything the crowd measured on the client side. */
export interface FleetResult {
  /** Every recorded delivery latency, ms, sorted ascending. */
  latencies: Float64Array;
  /** (point, reader) deliveries seen, and how many the plan makes (points x other clients). */
  delivered: number;
  expectedDeliveries: number;
  unstamped: number;
  pointsWritten: number;
  /** Summed over all clients. */
  bytes: ByteCounter;
  digests: ShapeDigest[];
  disconnected: number;
  /** (client, stroke) pairs not finished in some client's store when the settle timeout passed. */
  unsettled: number;
  workers: Array<Pick<WorkerReport, 'frameLateMs' | 'eventLoopUtilization' | 'threadCpuS'>>;
}

type Message = { type: string } & Record<string, unknown>;

/** A running crowd. */
export class Fleet {
  private readonly workers: Worker[];
  private readonly inbox: Array<Message[]>;
  private readonly waiters: Array<Array<(message: Message) => void>>;
  private failure: Error | undefined;
  readonly expectedDeliveries: number;
  private readonly options: FleetOptions;

  private constructor(options: FleetOptions, workers: Worker[], expectedDeliveries: number) {
    this.options = options;
    this.workers = workers;
    this.expectedDeliveries = expectedDeliveries;
    this.inbox = workers.map(() => []);
    this.waiters = workers.map(() => []);
    workers.forEach((worker, i) => {
      worker.on('message', (message: Message) => {
        if (message.type === 'error') this.fail(new Error(`crowd worker ${i}: ${message.message}`));
        const waiter = this.waiters[i].shift();
        if (waiter) waiter(message);
        else this.inbox[i].push(message);
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`crowd worker ${i} exited with ${code}`));
      });
    });
  }

  /** Starts the workers and waits until every client is connected and loaded. */
  static async start(options: FleetOptions): Promise<Fleet> {
    const plans = Array.from({ length: options.clients }, (_, client) => planStrokes(options.seed, client, options.durationMs));
    const strokesPerClient = Math.max(1, ...plans.map((p) => p.length));
    const points = plans.flat().reduce((sum, plan) => sum + plan.moves + 1, 0);
    const sendTimes = new SendTimes(options.clients, strokesPerClient);
    const workers: Worker[] = [];
    for (let w = 0; w < options.workers; w++) {
      const clients = Array.from({ length: options.clients }, (_, c) => c).filter((c) => c % options.workers === w);
      const data: WorkerInput = {
        product: options.product, url: options.url, room: options.room, clients, clientCount: options.clients,
        seed: options.seed, durationMs: options.durationMs, settleTimeoutMs: options.settleTimeoutMs,
        sendTimes: sendTimes.buffer, strokesPerClient,
      };
      // CROWD_CPU_PROF_DIR=<dir>: each worker writes a V8 CPU profile there when it ends (where the clients' time goes).
      const profileDir = process.env.CROWD_CPU_PROF_DIR;
      workers.push(new Worker(new URL('./worker.ts', import.meta.url), {
        workerData: data,
        env: { ...process.env, NODE_ENV: 'production' },
        execArgv: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : undefined,
      }));
    }
    const fleet = new Fleet(options, workers, points * (options.clients - 1));
    try {
      await fleet.all('ready', 120_000);
    } catch (error) {
      await fleet.terminate();
      throw error;
    }
    return fleet;
  }

  /** Draws for the planned duration, then waits until every stroke reached every client (or the settle timeout). */
  async run(): Promise<number> {
    const atMs = epochNow() + 500;
    for (const worker of this.workers) worker.postMessage({ type: 'go', atMs, recordFromMs: atMs + this.options.warmupMs });
    const settled = await this.all('settled', this.options.durationMs + this.options.settleTimeoutMs + 60_000);
    return settled.reduce((sum, m) => sum + (m.unsettled as number), 0);
  }

  /** Collects the workers' reports (after run()). */
  async report(unsettled: number): Promise<FleetResult> {
    for (const worker of this.workers) worker.postMessage({ type: 'report' });
    const reports = (await this.all('report', 60_000)).map((m) => m.report as WorkerReport);
    const total = reports.reduce((n, r) => n + r.latencies.length, 0);
    const latencies = new Float64Array(total);
    let offset = 0;
    for (const r of reports) {
      latencies.set(r.latencies, offset);
      offset += r.latencies.length;
    }
    latencies.sort();
    const sum = (pick: (r: WorkerReport) => number) => reports.reduce((n, r) => n + pick(r), 0);
    return {
      latencies,
      delivered: sum((r) => r.delivered),
      expectedDeliveries: this.expectedDeliveries,
      unstamped: sum((r) => r.unstamped),
      pointsWritten: sum((r) => r.pointsWritten),
      bytes: reports.reduce((total, r) => addCounter(total, r.bytes), newCounter()),
      digests: reports.flatMap((r) => r.digests),
      disconnected: sum((r) => r.disconnected),
      unsettled,
      workers: reports.map(({ frameLateMs, eventLoopUtilization, threadCpuS }) => ({ frameLateMs, eventLoopUtilization, threadCpuS })),
    };
  }

  /** Closes every client, then ends the threads. */
  async close(): Promise<void> {
    try {
      for (const worker of this.workers) worker.postMessage({ type: 'close' });
      await this.all('closed', 10_000);
    } finally {
      await this.terminate();
    }
  }

  private async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiters of this.waiters) for (const waiter of waiters.splice(0)) waiter({ type: 'failed' });
  }

  /** The next message of each worker, which must be of `type`. */
  private async all(type: string, timeoutMs: number): Promise<Message[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`crowd: timed out after ${timeoutMs} ms waiting for '${type}' from the workers`)), timeoutMs);
    });
    try {
      const messages = await Promise.race([Promise.all(this.workers.map((_, i) => this.next(i))), timeout]);
      if (this.failure) throw this.failure;
      const wrong = messages.find((m) => m.type !== type);
      if (wrong) throw new Error(`crowd: expected '${type}' from the workers, got '${wrong.type}'`);
      return messages;
    } finally {
      clearTimeout(timer);
    }
  }

  private next(i: number): Promise<Message> {
    if (this.failure) return Promise.resolve({ type: 'failed' });
    const queued = this.inbox[i].shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => this.waiters[i].push(resolve));
  }
}
