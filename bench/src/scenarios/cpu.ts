/**
 * Relay cost: 20 rooms x 10 clients, 2 writers per room at 30 updates/s each; then the same with every writer also
 * sending its cursor (awareness) at 10 Hz.
 *
 * Server CPU is utime+stime of the server process from /proc/<pid>/stat over the measured window (clock ticks,
 * CLK_TCK per second; at ~10 s and tens of % CPU the 10 ms tick is well under 1 % of the figure). It is divided by
 * the messages the clients actually received in the same window (relayed updates and awareness, counted at the
 * sockets): a server that merges or drops messages is charged for the ones it delivered, not for those it was
 * asked to relay. Every server here also echoes an update to its sender, and those echoes are counted as delivered.
 * Both phases run on one server process, baseline first, each after a 2 s warm-up, so the "rise" compares like
 * with like. Readers also decode send stamps so the latency under this load (and its rise with cursors) is shown.
 *
 * tldraw sync runs the same rooms, clients and rates with its own protocol (tldraw-raw-client.ts): writers draw
 * strokes, one point per update, and move their presence cursor; latency is per stroke point. Its server batches a
 * session's patches per ~16.7 ms, so one socket message may carry several updates: deliveries count updates (each
 * patch, and each push_result, its echo to the writer), not socket messages, so the figures stay comparable.
 */
import * as Y from 'yjs';
import { closeAll, connectMany, encodeAwareness, RawClient } from '../clients.ts';
import { stamp, StampLatency } from '../docs.ts';
import { noteDisconnects, withServer, type Context, type Scenario } from '../scenario.ts';
import type { ServerProcess, Target } from '../servers.ts';
import { percentile, sleep } from '../stats.ts';
import { TldrawLatency, TldrawRawClient, TldrawStrokeWriter, type SendTimes } from '../tldraw-raw-client.ts';

export const ROOMS = 20;
export const CLIENTS_PER_ROOM = 10;
export const WRITERS_PER_ROOM = 2;
export const UPDATES_PER_S = 30;
const CURSORS_PER_S = 10;
const WARMUP_MS = 2_000;

export interface Writer {
  client: RawClient;
  doc: Y.Doc;
  cursorClock: number;
}

/** One measured window of the relay load on one server. */
export interface Phase {
  cpuPct: number;
  benchCpuPct: number;
  usPerMsg: number;
  msgsPerS: number;
  p50: number;
  p99: number;
}

/**
 * Calls `tick` at `ratePerS` from a random phase (so many callers do not fire in lockstep, as real users do not),
 * until the returned function is called. Each tick is scheduled against the loop's start, not the previous tick,
 * so timer drift does not lower the rate.
 */
export function periodicAtRate(ratePerS: number, tick: () => void): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const periodMs = 1000 / ratePerS;
  const start = performance.now() + Math.random() * periodMs;
  let i = 0;
  const next = () => {
    timer = setTimeout(() => {
      if (stopped) return;
      tick();
      i++;
      next();
    }, Math.max(0, start + i * periodMs - performance.now()));
  };
  next();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Runs the Yjs writers (and with `withCursors` their cursors) on independent timers until stop() is called. */
export function drive(writers: Writer[], withCursors: boolean): () => void {
  const stops: Array<() => void> = [];
  for (const writer of writers) {
    stops.push(periodicAtRate(UPDATES_PER_S, () => stamp(writer.doc, `w${writer.doc.clientID}`)));
    if (withCursors) {
      stops.push(periodicAtRate(CURSORS_PER_S, () => {
        writer.cursorClock++;
        const x = Math.round(Math.random() * 1600);
        const y = Math.round(Math.random() * 900);
        writer.client.sendAwareness(encodeAwareness(writer.doc.clientID, writer.cursorClock, {
          user: { name: `writer ${writer.doc.clientID}`, color: '#e03131' },
          cursor: { x, y, type: 'default', rotation: 0 },
        }));
      }));
    }
  }
  return () => {
    for (const stop of stops) stop();
  };
}

/**
 * Drives `writers` for a 2 s warm-up and then `durationS` seconds, and reads the server's CPU, the messages its
 * clients received and the stamped latency over that window. Shared with the catalog scenario, which runs it on two
 * servers at once (catalog on and off) so both see the same moment of the machine.
 */
export async function measurePhase(
  server: ServerProcess,
  clients: RawClient[],
  writers: Writer[],
  withCursors: boolean,
  latency: StampLatency,
  durationS: number,
): Promise<Phase> {
  return measureWindow(server, clients, () => drive(writers, withCursors), latency, durationS);
}

/** What measureWindow reads latency from: StampLatency (Yjs) or TldrawLatency (tldraw sync). */
interface LatencyWindow {
  start(): void;
  stop(): void;
  samples(): number[];
}

/** measurePhase for any load: `start` drives the writers and returns their stop; clients count deliveries. */
async function measureWindow(
  server: ServerProcess,
  clients: ReadonlyArray<{ delivered: number }>,
  start: () => () => void,
  latency: LatencyWindow,
  durationS: number,
): Promise<Phase> {
  const stop = start();
  try {
    await sleep(WARMUP_MS);
    latency.start();
    const delivered0 = clients.reduce((sum, c) => sum + c.delivered, 0);
    const cpu0 = server.cpuSeconds();
    const bench0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(durationS * 1000);
    const cpu1 = server.cpuSeconds();
    const bench = process.cpuUsage(bench0);
    const t1 = performance.now();
    const delivered = clients.reduce((sum, c) => sum + c.delivered, 0) - delivered0;
    await sleep(300); // updates sent just before the window closed still count for latency
    latency.stop();
    const samples = latency.samples();
    const cpuS = cpu1 - cpu0;
    const wallS = (t1 - t0) / 1000;
    return {
      cpuPct: (100 * cpuS) / wallS,
      benchCpuPct: (100 * (bench.user + bench.system)) / 1e6 / wallS,
      usPerMsg: (cpuS * 1e6) / delivered,
      msgsPerS: delivered / wallS,
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
    };
  } finally {
    stop();
    await sleep(300); // let in-flight messages land before the next phase or the close
  }
}

/**
 * Connects the relay-cost load: ROOMS x CLIENTS_PER_ROOM raw clients, the first WRITERS_PER_ROOM of each room
 * writing (each with its own Y.Doc whose updates it sends), the others reading into `latency`. `place(i)` says which
 * room and server port client i uses (one server here, several in the scale-out scenario).
 */
export async function connectRelayLoad(
  target: Target,
  latency: StampLatency,
  place: (i: number) => { room: string; port: number },
): Promise<{ clients: RawClient[]; writers: Writer[] }> {
  const writers: Writer[] = [];
  const clients = await connectMany(ROOMS * CLIENTS_PER_ROOM, (i) => {
    const { room, port } = place(i);
    const isWriter = i % CLIENTS_PER_ROOM < WRITERS_PER_ROOM;
    const doc = isWriter ? new Y.Doc() : undefined;
    const client = new RawClient({
      protocol: target.protocol,
      url: target.url(port, room),
      room,
      doc,
      onUpdate: isWriter ? undefined : (update, at) => latency.add(update, at),
    });
    if (doc) {
      doc.on('update', (update: Uint8Array) => client.sendUpdate(update));
      writers.push({ client, doc, cursorClock: 0 });
    }
    return client;
  });
  return { clients, writers };
}

/** The two phases on a Yjs server (either protocol), with RawClients. */
async function measureYjs(server: ServerProcess, target: Target, ctx: Context): Promise<[Phase, Phase]> {
  const latency = new StampLatency();
  const { clients, writers } = await connectRelayLoad(target, latency, (i) => ({
    room: `cpu-${Math.floor(i / CLIENTS_PER_ROOM)}`,
    port: server.port,
  }));
  try {
    const base = await measurePhase(server, clients, writers, false, latency, ctx.durationS);
    const cursors = await measurePhase(server, clients, writers, true, latency, ctx.durationS);
    noteDisconnects(clients, target, ctx, 'relay cost');
    return [base, cursors];
  } finally {
    await closeAll(clients);
  }
}

/**
 * The same load on tldraw sync (anchors/tldraw-sync.ts): ROOMS x CLIENTS_PER_ROOM raw tldraw sync sessions, the
 * first WRITERS_PER_ROOM of each room drawing strokes at UPDATES_PER_S points/s (tldraw-raw-client.ts) and, in the
 * second phase, moving their cursors (instance_presence) at CURSORS_PER_S. A delivery is one update (a patch, or the
 * writer's own push_result) reaching one client, counted inside the server's batched messages, not per message.
 */
async function measureTldraw(server: ServerProcess, target: Target, ctx: Context): Promise<[Phase, Phase]> {
  const sendTimes: SendTimes = new Map();
  const latency = new TldrawLatency(sendTimes);
  const clients: TldrawRawClient[] = [];
  const writers: TldrawStrokeWriter[] = [];
  const total = ROOMS * CLIENTS_PER_ROOM;
  // At most 100 handshakes in flight, as connectMany does for the Yjs clients.
  for (let first = 0; first < total; first += 100) {
    const batch: TldrawRawClient[] = [];
    for (let i = first; i < Math.min(total, first + 100); i++) {
      const room = Math.floor(i / CLIENTS_PER_ROOM);
      const isWriter = i % CLIENTS_PER_ROOM < WRITERS_PER_ROOM;
      const client = new TldrawRawClient({
        url: target.url(server.port, `cpu-${room}`),
        sessionId: `cpu-${room}-${i % CLIENTS_PER_ROOM}`,
        onData: isWriter ? undefined : (message, at) => latency.add(message, at),
      });
      if (isWriter) writers.push(new TldrawStrokeWriter(client, `r${room}w${i % CLIENTS_PER_ROOM}`, sendTimes));
      batch.push(client);
    }
    clients.push(...batch);
    await Promise.all(batch.map((c) => c.synced));
  }
  const driveStrokes = (withCursors: boolean) => () => {
    const stops = writers.map((w) => periodicAtRate(UPDATES_PER_S, () => w.update()));
    if (withCursors) {
      for (const w of writers) {
        stops.push(periodicAtRate(CURSORS_PER_S, () => w.cursor(Math.round(Math.random() * 1600), Math.round(Math.random() * 900))));
      }
    }
    return () => {
      for (const stop of stops) stop();
    };
  };
  try {
    const base = await measureWindow(server, clients, driveStrokes(false), latency, ctx.durationS);
    const cursors = await measureWindow(server, clients, driveStrokes(true), latency, ctx.durationS);
    const lost = clients.filter((c) => c.closeCode !== undefined || c.error !== undefined);
    if (lost.length > 0) {
      const reasons = [...new Set(lost.map((c) => c.error?.message ?? `close ${c.closeCode} ${c.closeReason}`.trim()))];
      ctx.note(target, `relay cost: ${lost.length} of ${clients.length} clients lost their connection (${reasons.join('; ')})`);
    }
    const delivered = clients.reduce((sum, c) => sum + c.delivered, 0);
    const frames = clients.reduce((sum, c) => sum + c.dataFrames, 0);
    ctx.note(target, `relay cost: ${(delivered / frames).toFixed(2)} updates per socket message on average (tldraw sync batches a session's patches per ~16.7 ms; deliveries count updates)`);
    return [base, cursors];
  } finally {
    await closeAll(clients);
  }
}

export const cpu: Scenario = {
  name: 'cpu',
  title: `relay cost: ${ROOMS} rooms x ${CLIENTS_PER_ROOM} clients, ${WRITERS_PER_ROOM} writers/room at ${UPDATES_PER_S}/s; then + cursors at ${CURSORS_PER_S} Hz`,
  targets: ['scrawl-sync', 'scrawl-yjs', 'yws', 'hp', 'hp-level', 'floor', 'tldraw'],
  // With --paired the bench-clients CPU figure covers the clients of every server measured at that moment.
  pairable: true,
  metrics: [
    { key: 'usPerMsg', label: 'CPU µs / delivered msg', target: '<= 32 µs (best anchor), aim 16' },
    { key: 'cpuPct', label: 'server CPU (%)' },
    { key: 'msgsPerS', label: 'delivered msgs/s', ratio: false },
    { key: 'p50', label: 'latency p50 (ms)' },
    { key: 'p99', label: 'latency p99 (ms)' },
    { key: 'cursorCpuPct', label: '+cursors: server CPU (%)' },
    { key: 'cursorRise', label: '+cursors: CPU rise (%)', target: '<= 25 %' },
    { key: 'cursorUsPerMsg', label: '+cursors: CPU µs / msg' },
    { key: 'cursorP50', label: '+cursors: p50 (ms)' },
    { key: 'cursorP99', label: '+cursors: p99 (ms)' },
    { key: 'benchCpuPct', label: 'bench clients CPU, +cursors (%)', ratio: false },
  ],
  async run(target: Target, ctx) {
    return withServer(target.kind, target, ctx, async (server) => {
      const [base, cursors] = target.protocol === 'tldraw' ? await measureTldraw(server, target, ctx) : await measureYjs(server, target, ctx);
      return {
        usPerMsg: base.usPerMsg,
        cpuPct: base.cpuPct,
        msgsPerS: base.msgsPerS,
        p50: base.p50,
        p99: base.p99,
        cursorCpuPct: cursors.cpuPct,
        cursorRise: (100 * (cursors.cpuPct - base.cpuPct)) / base.cpuPct,
        cursorUsPerMsg: cursors.usPerMsg,
        cursorP50: cursors.p50,
        cursorP99: cursors.p99,
        benchCpuPct: cursors.benchCpuPct,
      };
    });
  },
};
