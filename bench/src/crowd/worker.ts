/**
 * A worker thread holding some of the crowd's clients, all of one product. Started by fleet.ts, which sends it the
 * signals below and collects its report.
 *
 * Protocol (parent <-> worker messages):
 *   worker -> 'ready'      every client connected, loaded the room and is watching for strokes
 *   parent -> 'go'         { atMs, recordFromMs }: start drawing at atMs (epoch ms), record latencies from recordFromMs
 *   worker -> 'settled'    { unsettled }: drawing is over and every stroke reached every client here (or the settle
 *                          timeout passed; `unsettled` counts (client, stroke) pairs still missing)
 *   parent -> 'report'     -> worker -> 'report' (WorkerReport), the latency samples transferred, not copied
 *   parent -> 'close'      -> worker closes its clients -> 'closed'
 *   worker -> 'error'      { message }: anything that went wrong; the parent stops the run
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CrowdClient, CrowdProduct } from './crowd-client.ts';
import { shapeDigest, unsettledStrokes, type ShapeDigest } from './convergence.ts';
import { addCounter, newCounter, type ByteCounter } from './counting-socket.ts';
import { Artist, finalPoints } from './drawing.ts';
import { FRAME_MS, FrameClock } from './frame-clock.ts';
import { epochNow, Samples, SendTimes, watchArrivals, type ArrivalWatch } from './latency.ts';

/** What the parent passes in `workerData`. */
export interface WorkerInput {
  product: CrowdProduct;
  /** Scrawl: `ws://.../sync`; tldraw sync: `ws://.../connect/:room`. */
  url: string;
  room: string;
  /** The clients this worker runs (numbers in 0..clientCount-1). */
  clients: number[];
  clientCount: number;
  seed: number;
  durationMs: number;
  settleTimeoutMs: number;
  sendTimes: SharedArrayBuffer;
  strokesPerClient: number;
}

/** What a worker reports once the run is over. */
export interface WorkerReport {
  /** Latency of each recorded (point, reader) delivery, ms. */
  latencies: Float32Array;
  delivered: number;
  unstamped: number;
  pointsWritten: number;
  bytes: ByteCounter;
  digests: ShapeDigest[];
  /** Clients whose link was down or unsynced at the end. */
  disconnected: number;
  /** Frame lateness against the 60 Hz grid while drawing, ms: p50, p99 and max. */
  frameLateMs: { p50: number; p99: number; max: number };
  /** Share of the drawing time this thread's event loop was busy (0-1). */
  eventLoopUtilization: number;
  /** CPU seconds of this thread while drawing and settling. */
  threadCpuS: number;
}

/** Cursors move at 10 Hz. */
const CURSOR_MS = 100;
const input = workerData as WorkerInput;
const port = parentPort!;

const send = (message: unknown, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const fail = (error: unknown) => send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

const clock = new FrameClock();
clock.install();
clock.start();

async function open(client: number): Promise<CrowdClient> {
  if (input.product === 'scrawl') {
    const { openScrawlClient } = await import('./scrawl-client.ts');
    return openScrawlClient({ url: input.url, room: input.room, client });
  }
  const { installBrowserStubs, openTldrawClient } = await import('./tldraw-client.ts');
  installBrowserStubs();
  return openTldrawClient({ url: input.url, client });
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

async function main(): Promise<void> {
  const sendTimes = new SendTimes(input.clientCount, input.strokesPerClient, input.sendTimes);
  const clients: CrowdClient[] = [];
  // One at a time within a worker: the room's first client seeds it, and 50 simultaneous handshakes would only
  // measure the connect storm, which is another scenario's business.
  for (const client of input.clients) clients.push(await open(client));
  const expected = new Map<string, number>();
  for (let client = 0; client < input.clientCount; client++) {
    for (const [id, points] of finalPoints(input.seed, client, input.durationMs)) expected.set(id, points);
  }
  const samples = new Samples();
  const artists = clients.map((c, i) => new Artist({ store: c.store, client: input.clients[i], seed: input.seed, durationMs: input.durationMs, sendTimes }));
  send({ type: 'ready' });

  const go = await nextMessage('go');
  const atMs = go.atMs as number;
  const recordFromMs = go.recordFromMs as number;
  const recorded: ArrivalWatch[] = clients.map((c, i) => watchArrivals(c.store, input.clients[i], sendTimes, samples, recordFromMs));
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, atMs - epochNow())));
  // The handshakes and the room's initial state are not part of the crowd's traffic.
  for (const client of clients) Object.assign(client.bytes, newCounter());
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.threadCpuUsage();
  let drawing = true;
  /** Per client: the last 10 Hz cursor beat it moved on. */
  const cursorBeats = artists.map(() => -1);
  clock.recording = true;
  clock.onInput(() => {
    if (!drawing) return;
    const elapsed = epochNow() - atMs;
    for (let i = 0; i < artists.length; i++) {
      artists[i].frame(elapsed);
      // By the clock, not by frames, so a late frame does not lower the cursor rate; each client on its own phase
      // of the beat, so the crowd's cursors do not move in lockstep.
      const beat = Math.floor((elapsed + (input.clients[i] * CURSOR_MS) / input.clientCount) / CURSOR_MS);
      if (elapsed < input.durationMs && beat > cursorBeats[i]) {
        cursorBeats[i] = beat;
        artists[i].moveCursor();
      }
    }
    if (elapsed >= input.durationMs && artists.every((a) => a.done)) drawing = false;
  });
  while (drawing) await new Promise((resolve) => setTimeout(resolve, 50));
  clock.recording = false;
  const elu = performance.eventLoopUtilization(elu0);

  const settleBy = performance.now() + input.settleTimeoutMs;
  let unsettled = Number.POSITIVE_INFINITY;
  while (performance.now() < settleBy) {
    unsettled = clients.reduce((sum, c) => sum + unsettledStrokes(c.store, expected), 0);
    if (unsettled === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 10 * FRAME_MS));
  }
  const cpu = process.threadCpuUsage(cpu0);
  send({ type: 'settled', unsettled });

  await nextMessage('report');
  const bytes = clients.reduce((sum, c) => addCounter(sum, c.bytes), newCounter());
  const latencies = samples.take();
  const report: WorkerReport = {
    latencies,
    delivered: recorded.reduce((sum, w) => sum + w.delivered, 0),
    unstamped: recorded.reduce((sum, w) => sum + w.unstamped, 0),
    pointsWritten: artists.reduce((sum, a) => sum + a.pointsWritten, 0),
    bytes,
    digests: clients.map((c) => shapeDigest(c.store)),
    disconnected: clients.filter((c) => !c.isConnected()).length,
    frameLateMs: { p50: quantile(clock.lateness, 0.5), p99: quantile(clock.lateness, 0.99), max: quantile(clock.lateness, 1) },
    eventLoopUtilization: elu.utilization,
    threadCpuS: (cpu.user + cpu.system) / 1e6,
  };
  send({ type: 'report', report }, [latencies.buffer as ArrayBuffer]);

  await nextMessage('close');
  clock.stop();
  await Promise.all(clients.map((c) => c.close()));
  send({ type: 'closed' });
}

/** Resolves with the next message of `type` from the parent. */
function nextMessage(type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const listener = (message: Record<string, unknown>) => {
      if (message.type !== type) return;
      port.off('message', listener);
      resolve(message);
    };
    port.on('message', listener);
  });
}

main().catch(fail);
