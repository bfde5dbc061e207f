/**
 * Helpers for the hardening suite (hardening-*.test.ts): a child-process server on its own temporary DATA_DIR, its
 * RSS, the /healthz probe that runs in its own process (so a busy test process does not inflate the latencies it
 * measures; shared with the benchmark), and a raw sync client for both endpoints that is far cheaper than a provider when thousands are needed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { WebSocket } from 'ws';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { startHealthProbe, type HealthProbe, type HealthSample } from '../../bench/src/health-probe.ts';
import { startChildServer, tempDir, waitFor, type ChildServer } from './harness.ts';

/** A child-process server with its own DATA_DIR. */
export interface HardeningChild extends ChildServer {
  dataDir: string;
  /** SIGTERM to this child's PID, waits for its exit (SIGKILL to the same PID after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | string>;
  /** Removes the temporary DATA_DIR (call after the last stop). */
  removeDataDir(): void;
}

/** Starts `server/src/main.ts` as a child on a fresh temporary DATA_DIR (or `dataDir`), on `port` (0: a free one). */
export async function startHardeningChild(env: Record<string, string> = {}, dataDir?: string, port = 0): Promise<HardeningChild> {
  const dir = dataDir ? { path: dataDir, remove: () => {} } : tempDir('scrawl-hardening-');
  const child = await startChildServer({ DATA_DIR: dir.path, PORT: String(port), ...env });
  const stop = async (timeoutMs = 15_000) => {
    const pid = child.process.pid!;
    if (child.process.exitCode === null && child.process.signalCode === null) process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (child.process.exitCode === null && child.process.signalCode === null) process.kill(pid, 'SIGKILL');
    }, timeoutMs);
    const code = await child.exited;
    clearTimeout(timer);
    return code;
  };
  return { ...child, dataDir: dir.path, stop, removeDataDir: dir.remove };
}

/** Resident set size of process `pid` in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** Mebibytes, one decimal, for reports. */
export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

// The /healthz probe (its own process, a fresh TCP connection per request) is the benchmark's, so the tests and the
// bench's longer reconnect variant measure the same way.
export { startHealthProbe, type HealthProbe, type HealthSample };

/** p50 / p99 / max of a list of numbers (empty: zeros). */
export function percentiles(values: number[]): { p50: number; p99: number; max: number; n: number } {
  if (values.length === 0) return { p50: 0, p99: 0, max: 0, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1], n: sorted.length };
}

/** `[varUint n]` */
export function varUint(n: number): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, n);
  return encoding.toUint8Array(encoder);
}

/** `[varString s]` */
export function varString(s: string): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, s);
  return encoding.toUint8Array(encoder);
}

/** Concatenation of byte arrays and single bytes. */
export function bytes(...parts: (number | Uint8Array)[]): Uint8Array {
  const encoder = encoding.createEncoder();
  for (const part of parts) {
    if (typeof part === 'number') encoding.writeUint8(encoder, part);
    else encoding.writeUint8Array(encoder, part);
  }
  return encoding.toUint8Array(encoder);
}

/** How a raw client ended a connection attempt. */
export type RawOutcome =
  | { kind: 'synced'; ms: number }
  | { kind: 'refused-http'; status: number; ms: number }
  | { kind: 'closed'; code: number; reason: string; ms: number }
  | { kind: 'error'; message: string; ms: number };

const REMOTE = Symbol('remote');

/**
 * A minimal sync client on `/sync` (Hocuspocus framing: auth then step 1) or `/yjs/:room` (y-websocket framing) holding
 * a Y.Doc: it answers the server's step 1, applies step 2 and updates, and sends its own document updates. It does no
 * awareness. `connect()` may be called again after a close to reconnect (it resends step 1, so what either side missed
 * is exchanged).
 */
export class RawSyncClient {
  readonly doc = new Y.Doc();
  ws: WebSocket | null = null;
  /** True once step 2 arrived on the current connection. */
  synced = false;
  /** Every close seen: code and reason. */
  readonly closes: { code: number; reason: string }[] = [];
  private readonly prefix: Uint8Array;
  readonly wsUrl: string;
  readonly endpoint: 'sync' | 'yjs';
  readonly room: string;

  /** Sent as X-Forwarded-For, so a server with TRUST_PROXY sees this client as coming from its own address. */
  readonly forwardedFor: string | null;

  constructor(wsUrl: string, endpoint: 'sync' | 'yjs', room: string, forwardedFor: string | null = null) {
    this.forwardedFor = forwardedFor;
    this.wsUrl = wsUrl;
    this.endpoint = endpoint;
    this.room = room;
    this.prefix = endpoint === 'sync' ? varString(room) : new Uint8Array();
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === REMOTE || !this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      this.ws.send(this.frame(0, (e) => (encoding.writeVarUint(e, syncProtocol.messageYjsUpdate), encoding.writeVarUint8Array(e, update))));
    });
  }

  /**
   * Opens a connection and resolves with how it went: synced (step 2 received), refused at the HTTP upgrade, closed,
   * or a socket error; after `timeoutMs` the socket is terminated and the outcome is an error ('timeout').
   */
  connect(timeoutMs = 20_000): Promise<RawOutcome> {
    const t0 = performance.now();
    const ms = () => Math.round(performance.now() - t0);
    this.synced = false;
    const url = this.endpoint === 'sync' ? `${this.wsUrl}/sync` : `${this.wsUrl}/yjs/${this.room}`;
    const headers = this.forwardedFor ? { 'x-forwarded-for': this.forwardedFor } : undefined;
    const ws = new WebSocket(url, { perMessageDeflate: false, headers });
    ws.binaryType = 'nodebuffer';
    this.ws = ws;
    return new Promise<RawOutcome>((resolve) => {
      let settled = false;
      const settle = (outcome: RawOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const timer = setTimeout(() => {
        settle({ kind: 'error', message: 'timeout', ms: ms() });
        ws.terminate();
      }, timeoutMs);
      ws.on('unexpected-response', (_req, res) => {
        settle({ kind: 'refused-http', status: res.statusCode ?? 0, ms: ms() });
        res.resume();
        ws.terminate();
      });
      ws.on('error', (error) => settle({ kind: 'error', message: error.message, ms: ms() }));
      ws.on('close', (code, reason) => {
        this.closes.push({ code, reason: reason.toString() });
        settle({ kind: 'closed', code, reason: reason.toString(), ms: ms() });
      });
      ws.on('open', () => {
        if (this.endpoint === 'sync') ws.send(bytes(this.prefix, 2, 0, varString('')));
        ws.send(this.frame(0, (e) => syncProtocol.writeSyncStep1(e, this.doc)));
      });
      ws.on('message', (data: Buffer) => {
        if (this.onMessage(ws, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) && !this.synced) {
          this.synced = true;
          settle({ kind: 'synced', ms: ms() });
        }
      });
    });
  }

  /** Closes the socket normally. */
  close(): void {
    this.ws?.close();
  }

  /** Destroys the socket and the document. */
  destroy(): void {
    this.ws?.terminate();
    this.doc.destroy();
  }

  private frame(type: number, write: (encoder: encoding.Encoder) => void): Uint8Array {
    const encoder = encoding.createEncoder();
    encoding.writeUint8Array(encoder, this.prefix);
    encoding.writeVarUint(encoder, type);
    write(encoder);
    return encoding.toUint8Array(encoder);
  }

  /** Handles one server frame; returns true when it was a sync step 2. */
  private onMessage(ws: WebSocket, frame: Uint8Array): boolean {
    const decoder = decoding.createDecoder(frame);
    // Hocuspocus's Ping (a single byte, no document name): answer with Pong so the heartbeat keeps us.
    if (this.endpoint === 'sync' && frame.byteLength === 1 && frame[0] === 9) {
      ws.send(new Uint8Array([10]));
      return false;
    }
    if (this.endpoint === 'sync') decoding.readVarString(decoder);
    const type = decoding.readVarUint(decoder);
    if (type !== 0 && type !== 4) return false;
    const reply = encoding.createEncoder();
    encoding.writeUint8Array(reply, this.prefix);
    encoding.writeVarUint(reply, 0);
    const headerLength = encoding.length(reply);
    const syncType = syncProtocol.readSyncMessage(decoder, reply, this.doc, REMOTE);
    if (encoding.length(reply) > headerLength && ws.readyState === WebSocket.OPEN) ws.send(encoding.toUint8Array(reply));
    return syncType === syncProtocol.messageYjsSyncStep2;
  }
}

/** A distinct IPv4 address per index (10.x.y.z), for X-Forwarded-For. */
export const fakeAddress = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** Sleeps `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What {@link floodRoom} measured. */
export interface FloodReport {
  summary: string;
  health: HealthSample[];
  /** Per reader: the largest delay seen between a tick being written and that reader having it. */
  readerLagMs: number[];
  floodBytes: number;
  rssBefore: number;
  rssPeak: number;
  /** Bytes the slow client received once it read again (what the server and the kernel had queued for it). */
  backlogBytes: number;
  /** How the server closed the slow client, if it did. */
  slowClose: { code: number; reason: string } | null;
}

/** Readers of the flooded room: per reader, the last tick it saw of each writer (`tick-W`); and how to dispose of them. */
export interface FloodReaders {
  lastTick(): (number | undefined)[][];
  destroy(): void;
}

const FLOOD_UPDATES = 1_500;
const FLOOD_VALUE_BYTES = 64 * 1024;
/** Writers share the flood, so none exceeds a per-connection byte budget (4 MiB/s after a 32 MiB burst by default). */
const FLOOD_WRITERS = 3;

/**
 * On a fresh child server: a /yjs client that syncs and then stops reading (TCP socket paused), the readers made by
 * `makeReaders`, and FLOOD_WRITERS /sync writers sending FLOOD_UPDATES updates of FLOOD_VALUE_BYTES between them (each
 * replaces the writer's previous value, so the document stays small), paced at 20 per 100 ms (~12.5 MiB/s). Measures
 * /healthz, reader lag, server RSS and the slow client's backlog once it reads again. Readers report, per writer, the
 * last tick they saw (key `tick-W`).
 */
export async function floodRoom(makeReaders: (child: HardeningChild, room: string) => Promise<FloodReaders>): Promise<FloodReport> {
  const child = await startHardeningChild();
  const pid = child.process.pid!;
  const room = 'slow-room';
  let probe: HealthProbe | null = null;
  let sampler: NodeJS.Timeout | undefined;
  try {
    const readers = await makeReaders(child, room);
    const slow = new RawSyncClient(child.wsUrl, 'yjs', room);
    assert((await slow.connect()).kind === 'synced', 'slow client did not sync');
    const slowWs = slow.ws!;
    slowWs.removeAllListeners('message');
    let backlogBytes = 0;
    slowWs.on('message', (data: Buffer) => (backlogBytes += data.byteLength));
    let slowClose: { code: number; reason: string } | null = null;
    slowWs.on('close', (code, reason) => (slowClose = { code, reason: reason.toString() }));
    (slowWs as unknown as { _socket: { pause(): void } })._socket.pause();

    const writers = Array.from({ length: FLOOD_WRITERS }, () => new RawSyncClient(child.wsUrl, 'sync', room));
    for (const w of writers) assert((await w.connect()).kind === 'synced', 'writer did not sync');
    const writerCloses = writers.map((w) => w.closes);
    await sleep(500);
    const rssBefore = rssBytes(pid);
    let rssPeak = rssBefore;
    probe = startHealthProbe(child.httpUrl, 25);
    const sentAt: number[] = [];
    const readerLagMs = readers.lastTick().map(() => 0);
    const oldestMissing = (ticks: (number | undefined)[]) =>
      Math.min(...ticks.map((t, w) => (t === undefined ? w : t + FLOOD_WRITERS)));
    sampler = setInterval(() => {
      if (child.process.exitCode === null && child.process.signalCode === null) rssPeak = Math.max(rssPeak, rssBytes(pid));
      readers.lastTick().forEach((ticks, i) => {
        const pending = sentAt[oldestMissing(ticks)];
        if (pending !== undefined) readerLagMs[i] = Math.max(readerLagMs[i], performance.now() - pending);
      });
    }, 50);

    const filler = 'x'.repeat(FLOOD_VALUE_BYTES - 16);
    const t0 = performance.now();
    for (let i = 0; i < FLOOD_UPDATES; i++) {
      sentAt[i] = performance.now();
      const w = i % FLOOD_WRITERS;
      writers[w].doc.transact(() => {
        writers[w].doc.getMap('m').set(`blob-${w}`, `${i}:${filler}`);
        writers[w].doc.getMap('m').set(`tick-${w}`, i);
      });
      if (i % 20 === 19) await sleep(100);
    }
    const floodMs = performance.now() - t0;
    const done = (ticks: (number | undefined)[]) => oldestMissing(ticks) >= FLOOD_UPDATES;
    await waitFor(
      () => readers.lastTick().every(done),
      60_000,
      () =>
        `readers at ${JSON.stringify(readers.lastTick())}; writers closed ${JSON.stringify(writerCloses)}; ` +
        `server exit ${child.process.exitCode ?? child.process.signalCode}; server output tail:\n${child.output().slice(-2000)}`,
    );
    const deliveredMs = performance.now() - t0;
    await sleep(500);
    clearInterval(sampler);
    const rssAfterFlood = rssBytes(pid);
    const health = await probe.stop();

    (slowWs as unknown as { _socket: { resume(): void } })._socket.resume();
    let lastSeen = -1;
    await waitFor(
      () => {
        if (slowClose) return true;
        const idle = backlogBytes === lastSeen;
        lastSeen = backlogBytes;
        return idle && backlogBytes > 0;
      },
      30_000,
    ).catch(() => {});
    const floodBytes = FLOOD_UPDATES * FLOOD_VALUE_BYTES;
    const h = percentiles(health.map((s) => s.latencyMs));
    const summary =
      `slow consumer: flood of ${FLOOD_UPDATES} updates from ${FLOOD_WRITERS} writers, ${mib(floodBytes)} in ${floodMs.toFixed(0)} ms, ` +
      `all delivered to the readers after ${deliveredMs.toFixed(0)} ms; reader max lag ${readerLagMs.map((l) => l.toFixed(0)).join(' / ')} ms; ` +
      `/healthz n=${h.n} p50 ${h.p50} ms p99 ${h.p99} ms max ${h.max} ms; server RSS before ${mib(rssBefore)}, peak ${mib(rssPeak)}, ` +
      `after the flood ${mib(rssAfterFlood)}; slow client ${slowClose ? `closed by the server ${JSON.stringify(slowClose)}` : 'never closed by the server'}, ` +
      `backlog received after resuming ${mib(backlogBytes)}`;
    readers.destroy();
    for (const w of writers) w.destroy();
    slow.destroy();
    return { summary, health, readerLagMs, floodBytes, rssBefore, rssPeak, backlogBytes, slowClose };
  } finally {
    clearInterval(sampler);
    await probe?.stop();
    await child.stop();
    child.removeDataDir();
  }
}
