/**
 * Helpers of the backup tests: clients writing under load with their acknowledgements counted, the CLIs as child
 * processes, and fingerprints of a target's whole contents (to show a refused restore left it untouched).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as Y from 'yjs';
import { LevelDbStore } from '../src/persistence/leveldb-store.ts';
import type { DocStore } from '../src/persistence/doc-store.ts';
import { hocuspocusClient, synced } from './harness.ts';

const BIN = resolve(import.meta.dirname, '../src/bin');

/** Runs `server/src/bin/<name>.ts` with `args` and `env` (added to this process's, minus store variables). */
export function runCli(name: 'backup' | 'restore', args: string[], env: Record<string, string>): {
  process: ReturnType<typeof spawn>;
  done: Promise<{ code: number | string; stdout: string; stderr: string }>;
} {
  const base = { ...process.env };
  for (const variable of ['DATABASE_URL', 'DATA_DIR', 'AUTH_SECRET', 'PORT', 'REDIS_URL', 'BACKUP_DIR', 'BACKUP_INTERVAL', 'BACKUP_KEEP']) delete base[variable];
  const child = spawn(process.execPath, [join(BIN, `${name}.ts`), ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<{ code: number | string; stdout: string; stderr: string }>((resolveDone) =>
    child.on('exit', (code, signal) => resolveDone({ code: code ?? signal ?? 'unknown', stdout, stderr })),
  );
  return { process: child, done };
}

/** Clients appending numbers to arrays of their own, one transaction (one update, one acknowledgement) each. */
export class WritingClients {
  readonly clients: { provider: ReturnType<typeof hocuspocusClient>; room: string; key: string; pushed: number; sentAt: number[] }[] = [];
  /** Acknowledgement latencies (ms) observed, with the time each was observed. */
  readonly latencies: { at: number; ms: number }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(wsUrl: string, rooms: string[], clientCount: number) {
    for (let i = 0; i < clientCount; i++) {
      const room = rooms[i % rooms.length];
      const provider = hocuspocusClient(wsUrl, room);
      const client = { provider, room, key: `client-${i}`, pushed: 0, sentAt: [] as number[] };
      let acked = 0;
      provider.on('unsyncedChanges', ({ number }: { number: number }) => {
        const nowAcked = client.pushed - number;
        const now = performance.now();
        for (; acked < nowAcked; acked++) this.latencies.push({ at: now, ms: now - client.sentAt[acked] });
      });
      this.clients.push(client);
    }
  }

  async sync(): Promise<void> {
    await Promise.all(this.clients.map((c) => synced(c.provider, 15_000)));
  }

  /** Each client pushes one number every `everyMs`. */
  start(everyMs: number): void {
    this.timer = setInterval(() => {
      for (const client of this.clients) {
        client.sentAt.push(performance.now());
        client.provider.document.getArray<number>(client.key).push([client.pushed++]);
      }
    }, everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Per client, how many of its updates the server has acknowledged (so far in order). */
  acknowledged(): Map<string, { room: string; count: number }> {
    return new Map(this.clients.map((c) => [c.key, { room: c.room, count: c.pushed - c.provider.unsyncedChanges }]));
  }

  /** The 99th percentile of latencies observed within [from, to). */
  p99(from: number, to: number): { p99: number; count: number } {
    const values = this.latencies.filter((l) => l.at >= from && l.at < to).map((l) => l.ms).sort((a, b) => a - b);
    return { p99: values.length ? values[Math.min(values.length - 1, Math.floor(values.length * 0.99))] : NaN, count: values.length };
  }

  destroy(): void {
    this.stop();
    for (const client of this.clients) client.provider.destroy();
  }
}

/** A room's document as a store holds it. */
export async function loadDoc(store: DocStore, room: string): Promise<Y.Doc> {
  const doc = new Y.Doc();
  for (const update of await store.load(room)) Y.applyUpdate(doc, update);
  return doc;
}

/** Checks that every acknowledged number of every client is in `store`; returns how many were checked. */
export async function assertAcknowledgedPresent(store: DocStore, acked: Map<string, { room: string; count: number }>): Promise<number> {
  const docs = new Map<string, Y.Doc>();
  let total = 0;
  for (const [key, { room, count }] of acked) {
    if (!docs.has(room)) docs.set(room, await loadDoc(store, room));
    const values = docs.get(room)!.getArray<number>(key).toArray();
    if (values.length < count) throw new Error(`${room}/${key}: ${values.length} updates restored, ${count} were acknowledged before the backup`);
    for (let i = 0; i < count; i++) if (values[i] !== i) throw new Error(`${room}/${key}: item ${i} is ${values[i]}`);
    total += count;
  }
  return total;
}

/** A hash of everything a LevelDB data directory holds (every record, every asset file); "missing" when there is none. */
export async function fingerprintDataDir(dir: string): Promise<string> {
  if (!existsSync(join(dir, 'CURRENT'))) return existsSync(dir) ? `no database; files: ${readdirSync(dir).sort().join(',')}` : 'missing';
  const hash = createHash('sha256');
  const store = new LevelDbStore({ directory: dir });
  await store.open();
  try {
    for await (const record of store.readConsistent()) hash.update(JSON.stringify({ ...record, value: Buffer.from(record.value).toString('base64') }));
  } finally {
    await store.close();
  }
  const assets = join(dir, 'assets');
  if (existsSync(assets)) {
    for (const room of readdirSync(assets).sort()) {
      for (const file of readdirSync(join(assets, room)).sort()) {
        hash.update(`${room}/${file}:${statSync(join(assets, room, file)).size}`);
        hash.update(readFileSync(join(assets, room, file)));
      }
    }
  }
  return hash.digest('hex');
}
