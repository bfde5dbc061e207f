/**
 * A worker thread of the capacity scenario's load generator: it holds some rooms' raw clients (clients.ts), drives the
 * writers of those rooms at a fixed rate and measures, per window, the stamped latency of every update at every
 * reader and the messages its clients received. Started and steered by load-fleet.ts.
 *
 * A whole room lives in one worker: writers stamp `performance.now()` and readers compare with their own, and every
 * thread has its own time origin, so writer and readers of one room must share a thread.
 *
 * Protocol (parent <-> worker messages):
 *   parent -> 'open'     { rooms: RoomPlan[], ratePerS }: connect these rooms' clients and start their writers
 *   worker -> 'opened'   { clients, lost }
 *   parent -> 'measure'  { ms }: record for ms, then report
 *   worker -> 'measured' WindowReport (latency samples transferred, not copied)
 *   parent -> 'close'    -> worker stops writing, closes its sockets -> 'closed'
 *   worker -> 'error'    { message }: the parent stops the run
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as Y from 'yjs';
import { closeAll, connectMany, RawClient } from '../clients.ts';
import { stamp, StampLatency } from '../docs.ts';
import { periodicAtRate } from '../scenarios/cpu.ts';
import type { Protocol } from '../servers.ts';
import { sleep } from '../stats.ts';

/** One room: where its writers and its readers connect (a URL per client, so they may sit on different instances). */
export interface RoomPlan {
  room: string;
  writerUrls: string[];
  readerUrls: string[];
}

/** What the parent passes in `workerData`. */
export interface LoadWorkerInput {
  protocol: Protocol;
}

/** One measured window of one worker. */
export interface WindowReport {
  /** Latency (ms) of each stamped update at each reader, stamped and received within the window. */
  samples: Float64Array;
  /** Messages (updates and awareness) all of this worker's clients received in the window. */
  delivered: number;
  /** Stamps the writers sent from the window's start until recording stopped (300 ms after its end). */
  stamps: number;
  /** How long recording ran (ms): the window and the 300 ms after it, over which `stamps` were counted. */
  recordedMs: number;
  /** Share of the window this thread's event loop was busy (0-1): near 1, the clients themselves fell behind. */
  elu: number;
  /** Clients whose socket closed or failed so far. */
  lost: number;
}

type Message = { type: string } & Record<string, unknown>;

const input = workerData as LoadWorkerInput;
const port = parentPort!;
const send = (message: unknown, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const fail = (error: unknown) => send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

const latency = new StampLatency();
const clients: RawClient[] = [];
const stops: Array<() => void> = [];
let stampsSent = 0;

async function open(rooms: RoomPlan[], ratePerS: number): Promise<void> {
  const plan = rooms.flatMap((r) => [
    ...r.writerUrls.map((url) => ({ room: r.room, url, writer: true })),
    ...r.readerUrls.map((url) => ({ room: r.room, url, writer: false })),
  ]);
  const docs: Array<{ client: RawClient; doc: Y.Doc }> = [];
  const opened = await connectMany(plan.length, (i) => {
    const { room, url, writer } = plan[i];
    const doc = writer ? new Y.Doc() : undefined;
    const client = new RawClient({
      protocol: input.protocol, url, room, doc,
      onUpdate: writer ? undefined : (update, at) => latency.add(update, at),
    });
    if (doc) {
      doc.on('update', (update: Uint8Array) => client.sendUpdate(update));
      docs.push({ client, doc });
    }
    return client;
  });
  clients.push(...opened);
  // Each writer overwrites its own key, like a shape being dragged, from a random phase (periodicAtRate).
  for (const { doc } of docs) {
    stops.push(periodicAtRate(ratePerS, () => {
      stamp(doc, `w${doc.clientID}`);
      stampsSent++;
    }));
  }
}

async function measure(ms: number): Promise<WindowReport> {
  const delivered0 = clients.reduce((sum, c) => sum + c.delivered, 0);
  const stamps0 = stampsSent;
  const elu0 = performance.eventLoopUtilization();
  latency.start();
  const t0 = performance.now();
  await sleep(ms);
  const delivered = clients.reduce((sum, c) => sum + c.delivered, 0) - delivered0;
  const elu = performance.eventLoopUtilization(elu0).utilization;
  // Updates stamped just before the window closed still count if they arrive within 300 ms (as in cpu.ts); a step
  // whose deliveries lag by more than that fails on the sample count instead (delivery.ts). StampLatency keeps any
  // stamp sent after start(), so the stamps expected are those sent until stop(): the last few ms of them are still
  // in flight then, which keeps a healthy step just under 100 % arrived.
  await sleep(300);
  latency.stop();
  const stamps = stampsSent - stamps0;
  const recordedMs = performance.now() - t0;
  const samples = Float64Array.from(latency.samples());
  const lost = clients.filter((c) => c.closeCode !== undefined || c.error !== undefined).length;
  return { samples, delivered, stamps, recordedMs, elu, lost };
}

async function handle(message: Message): Promise<void> {
  switch (message.type) {
    case 'open':
      await open(message.rooms as RoomPlan[], message.ratePerS as number);
      send({ type: 'opened', clients: clients.length, lost: clients.filter((c) => c.closeCode !== undefined || c.error !== undefined).length });
      break;
    case 'measure': {
      const report = await measure(message.ms as number);
      send({ type: 'measured', report }, [report.samples.buffer as ArrayBuffer]);
      break;
    }
    case 'close':
      for (const stop of stops.splice(0)) stop();
      await closeAll(clients.splice(0));
      send({ type: 'closed' });
      break;
    default:
      fail(new Error(`unknown message ${message.type}`));
  }
}

port.on('message', (message: Message) => {
  handle(message).catch(fail);
});
