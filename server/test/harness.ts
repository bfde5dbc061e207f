/**
 * Test harness: real servers on port 0 (in-process or as a child process), real client packages, and small waiting
 * helpers. Everything listens on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HocuspocusProvider } from '@hocuspocus/provider';
import * as encoding from 'lib0/encoding';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { createScrawlServer, type ScrawlServer, type ScrawlServerOptions } from '../src/server.ts';
import { LevelDbStore } from '../src/persistence/leveldb-store.ts';
import { MemoryStore } from '../src/persistence/memory-store.ts';

// y-websocket providers each add a process 'exit' listener (removed on destroy); tests run dozens at once.
process.setMaxListeners(200);

/** A server started for a test. */
export interface TestServer {
  server: ScrawlServer;
  port: number;
  /** http://127.0.0.1:PORT */
  httpUrl: string;
  /** ws://127.0.0.1:PORT */
  wsUrl: string;
  stop(): Promise<void>;
}

/** Starts an in-process server on `listenPort` (a free one by default), with a memory store unless one is given. */
export async function startServer(options: Partial<ScrawlServerOptions> = {}, listenPort = 0): Promise<TestServer> {
  const server = createScrawlServer({ store: new MemoryStore(), heartbeatMs: 60_000, ...options });
  const { port } = await server.listen(listenPort, '127.0.0.1');
  return {
    server,
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    stop: () => server.stop(),
  };
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'scrawl-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Starts an in-process server on a LevelDB store in `directory`. */
export function startLevelDbServer(directory: string, options: Partial<ScrawlServerOptions> = {}, port = 0): Promise<TestServer> {
  return startServer({ ...options, store: new LevelDbStore({ directory }) }, port);
}

const MAIN = resolve(import.meta.dirname, '../src/main.ts');

/** A server running as a child process (`node server/src/main.ts`), for crash and signal tests. */
export interface ChildServer {
  process: ChildProcess;
  port: number;
  wsUrl: string;
  httpUrl: string;
  /** Output collected so far, for assertion messages. */
  output: () => string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
}

/** Starts `server/src/main.ts` with `env` on a free port and waits until /healthz answers 200. */
export async function startChildServer(env: Record<string, string>): Promise<ChildServer> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  let hasExited = false;
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => {
      hasExited = true;
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  const port = await waitFor(() => {
    if (hasExited) throw new Error(`child server exited during start:\n${output}`);
    const match = /"port":(\d+)[^\n]*scrawl listening/.exec(output);
    return match ? Number(match[1]) : undefined;
  }, 15_000, () => `child server did not start:\n${output}`);
  return {
    process: child,
    port,
    wsUrl: `ws://127.0.0.1:${port}`,
    httpUrl: `http://127.0.0.1:${port}`,
    output: () => output,
    exited,
  };
}

/** Polls `probe` until it returns something other than undefined/false; throws with `message()` after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5_000,
  message: () => string = () => 'condition not met in time',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${message()} (after ${timeoutMs} ms)`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A HocuspocusProvider on `/sync` with its own socket, as the web app uses it. */
export function hocuspocusClient(wsUrl: string, room: string, doc = new Y.Doc(), token = 'test'): HocuspocusProvider {
  // Without a shared websocketProvider the provider manages (and on destroy closes) its own socket.
  const provider = new HocuspocusProvider({ url: `${wsUrl}/sync`, name: room, document: doc, token });
  return destroyingDoc(provider, doc);
}

/** A y-websocket WebsocketProvider on `/yjs/:room`. */
export function yjsClient(wsUrl: string, room: string, doc = new Y.Doc(), params: Record<string, string> = {}): WebsocketProvider {
  const provider = new WebsocketProvider(`${wsUrl}/yjs`, room, doc, { WebSocketPolyfill: WebSocket as never, params, disableBc: true });
  return destroyingDoc(provider, doc);
}

/** Makes `provider.destroy()` also destroy its document, whose awareness runs an interval timer until then. */
function destroyingDoc<P extends { destroy(): void }>(provider: P, doc: Y.Doc): P {
  const destroy = provider.destroy.bind(provider);
  provider.destroy = () => {
    destroy();
    doc.destroy();
  };
  return provider;
}

/** Resolves once the provider reports it is synced. */
export function synced(provider: HocuspocusProvider | WebsocketProvider, timeoutMs = 5_000): Promise<void> {
  return waitFor(() => (provider as { synced: boolean }).synced === true, timeoutMs, () => 'provider never synced').then(() => {});
}

/** The state vector and content of a document, for strict equality checks. */
export function fingerprint(doc: Y.Doc): { stateVector: string; content: string } {
  return {
    stateVector: Buffer.from(Y.encodeStateVector(doc)).toString('base64'),
    content: canonicalJson(doc.toJSON()),
  };
}

/** JSON with object keys sorted, so equal content compares equal whatever the insertion order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** A sync message in y-websocket framing: `[0 = sync][sync type][payload]` (type 0 step 1, 1 step 2, 2 update). */
export function yjsSyncFrame(syncType: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 0);
  encoding.writeVarUint(encoder, syncType);
  encoding.writeVarUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
}

/** A raw WebSocket connected to `url`, resolved once open (or rejected with the HTTP status of a refused upgrade). */
export function openRawSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

/** Resolves with the close code and reason of `ws`. */
export function closed(ws: WebSocket, timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    if (ws.readyState === ws.CLOSED) return reject(new Error('socket already closed before waiting'));
    const timer = setTimeout(() => reject(new Error('socket did not close in time')), timeoutMs);
    ws.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString() });
    });
  });
}

/** Two clients in another room, one per protocol, that record any close: they show an attack left other rooms alone. */
export interface Bystanders {
  hocuspocus: ReturnType<typeof hocuspocusClient>;
  yjs: ReturnType<typeof yjsClient>;
  /** Every close either of them saw (expected to stay empty). */
  closes: unknown[];
  destroy(): void;
}

/** Connects {@link Bystanders} to room `room` on `wsUrl` and waits until both are synced. */
export async function watchBystanders(wsUrl: string, room = 'bystanders'): Promise<Bystanders> {
  const hocuspocus = hocuspocusClient(wsUrl, room);
  const yjs = yjsClient(wsUrl, room);
  await Promise.all([synced(hocuspocus), synced(yjs)]);
  const closes: unknown[] = [];
  hocuspocus.on('close', (e: unknown) => closes.push(e));
  yjs.on('connection-close', (e: unknown) => closes.push(e));
  return {
    hocuspocus,
    yjs,
    closes,
    destroy: () => {
      hocuspocus.destroy();
      yjs.destroy();
    },
  };
}
