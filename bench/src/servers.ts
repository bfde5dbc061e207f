/**
 * The servers under test, each started as its own child process on 127.0.0.1 with a free port.
 *
 * Child processes (not in-process servers) because every figure we report is read from the server's own process:
 * CPU from /proc/<pid>/stat and memory from /proc/<pid>/status. A server inside the bench process would mix the
 * clients' cost into its own. Only the PIDs started here are ever signalled.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './stats.ts';

const benchSrc = dirname(fileURLToPath(import.meta.url));
/** Repository root (bench/src/../..): Scrawl is started from here, as `npm start` would. */
export const repoRoot = resolve(benchSrc, '..', '..');
const scrawlMain = join(repoRoot, 'server', 'src', 'main.ts');

/** The Node flags of the root `npm start` script (e.g. the young-generation size), so Scrawl runs as users run it. */
function scrawlNodeFlags(): string[] {
  const start: string = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts.start;
  return start.split(/\s+/).filter((word) => word.startsWith('--'));
}

export type ServerKind = 'scrawl' | 'yws' | 'hp' | 'hp-level' | 'floor' | 'tldraw';
/** 'tldraw': tldraw sync's own JSON protocol, spoken only by its own client (TLSyncClient), never by RawClient. */
export type Protocol = 'yws' | 'hp' | 'tldraw';

/** One way of talking to one server: Scrawl is measured through both of its endpoints. */
export interface Target {
  name: 'scrawl-sync' | 'scrawl-yjs' | 'yws' | 'hp' | 'hp-level' | 'floor' | 'tldraw';
  label: string;
  kind: ServerKind;
  protocol: Protocol;
  /** WebSocket URL for a room. Hocuspocus-framed targets carry the room in every frame, not in the URL. */
  url(port: number, room: string): string;
}
export type TargetName = Target['name'];

export const TARGETS: Record<TargetName, Target> = {
  'scrawl-sync': {
    name: 'scrawl-sync', label: 'Scrawl /sync', kind: 'scrawl', protocol: 'hp',
    url: (port) => `ws://127.0.0.1:${port}/sync`,
  },
  'scrawl-yjs': {
    name: 'scrawl-yjs', label: 'Scrawl /yjs', kind: 'scrawl', protocol: 'yws',
    url: (port, room) => `ws://127.0.0.1:${port}/yjs/${room}`,
  },
  yws: {
    name: 'yws', label: 'y-ws-server', kind: 'yws', protocol: 'yws',
    url: (port, room) => `ws://127.0.0.1:${port}/${room}`,
  },
  hp: {
    name: 'hp', label: 'Hocuspocus', kind: 'hp', protocol: 'hp',
    url: (port) => `ws://127.0.0.1:${port}/`,
  },
  'hp-level': {
    name: 'hp-level', label: 'HP+LevelDB', kind: 'hp-level', protocol: 'hp',
    url: (port) => `ws://127.0.0.1:${port}/`,
  },
  floor: {
    name: 'floor', label: 'ws floor', kind: 'floor', protocol: 'yws',
    url: (port, room) => `ws://127.0.0.1:${port}/${room}`,
  },
  // tldraw sync (anchors/tldraw-sync.ts). run.ts pairs it with every Scrawl endpoint in a table (both in cpu, /sync in
  // crowd). Its clients add `?sessionId=...`.
  tldraw: {
    name: 'tldraw', label: 'tldraw sync', kind: 'tldraw', protocol: 'tldraw',
    url: (port, room) => `ws://127.0.0.1:${port}/connect/${encodeURIComponent(room)}`,
  },
};

/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
export const CLK_TCK: number = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100; // getconf missing: 100 is the value on every Linux we run on
  }
})();

const started = new Set<ChildProcess>();

/** Kills every child this process started, by PID. Called on exit and on Ctrl-C. */
export function killAllStarted(): void {
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone between the check and the kill: nothing to clean up
      }
    }
  }
  started.clear();
}

/** A free TCP port on 127.0.0.1 (bound and released; the tiny race is acceptable for a local bench). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

/** Why a server could not be measured (Scrawl not written yet, never healthy, ...). */
export class ServerUnavailable extends Error {}

let runDir: string | undefined;
/** One temp directory per bench run for data dirs and server logs; removed at exit unless BENCH_KEEP is set. */
export function benchRunDir(): string {
  runDir ??= mkdtempSync(join(tmpdir(), 'scrawl-bench-'));
  return runDir;
}
export function removeRunDir(): void {
  if (runDir !== undefined && !process.env.BENCH_KEEP) rmSync(runDir, { recursive: true, force: true });
}

let serial = 0;

export class ServerProcess {
  readonly kind: ServerKind;
  readonly port: number;
  /** Data directory (Scrawl, HP+LevelDB); kept across restart() so stored documents survive. */
  readonly dataDir: string;
  readonly logPath: string;
  /** Extra environment for the child (e.g. DATABASE_URL and REDIS_URL for the scale-out scenarios). */
  readonly extraEnv: Record<string, string>;
  /** Scrawl's entry script: server/src/main.ts unless a scenario needs options main.ts does not read from env. */
  readonly scrawlEntry: string;
  child!: ChildProcess;
  /** performance.now() when the last start() began and when the server first answered over HTTP. */
  startedAt = 0;
  readyAt = 0;

  private constructor(kind: ServerKind, port: number, dataDir: string, logPath: string, extraEnv: Record<string, string>, scrawlEntry: string) {
    this.kind = kind;
    this.extraEnv = extraEnv;
    this.scrawlEntry = scrawlEntry;
    this.port = port;
    this.dataDir = dataDir;
    this.logPath = logPath;
  }

  /**
   * Starts a server of `kind`, waiting until it answers. `scrawlEntry` replaces server/src/main.ts for Scrawl (the
   * catalog scenario's entry switches the catalog off, which main.ts has no variable for); the child still gets the
   * root `npm start` script's Node flags.
   */
  static async start(kind: ServerKind, extraEnv: Record<string, string> = {}, scrawlEntry = scrawlMain): Promise<ServerProcess> {
    if (kind === 'scrawl' && !existsSync(scrawlEntry)) {
      throw new ServerUnavailable(`${scrawlEntry} does not exist yet`);
    }
    const id = ++serial;
    const dataDir = join(benchRunDir(), `${kind}-${id}-data`);
    const server = new ServerProcess(kind, await freePort(), dataDir, join(benchRunDir(), `${kind}-${id}.log`), extraEnv, scrawlEntry);
    await server.spawn();
    return server;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts (or restarts) the process on the same port and data directory and waits until it answers. */
  async spawn(): Promise<void> {
    const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', PORT: String(this.port) };
    let args: string[];
    switch (this.kind) {
      case 'scrawl':
        args = [...scrawlNodeFlags(), this.scrawlEntry];
        Object.assign(env, { DATA_DIR: this.dataDir, LOG_LEVEL: 'warn' }, this.extraEnv);
        break;
      case 'yws':
        // The package's own bin (`y-websocket`), started with the same node as the bench.
        args = [join(repoRoot, 'node_modules', '@y', 'websocket-server', 'src', 'server.js')];
        break;
      case 'hp':
        args = [join(benchSrc, 'anchors', 'hocuspocus.ts')];
        break;
      case 'hp-level':
        args = [join(benchSrc, 'anchors', 'hocuspocus.ts')];
        env.STORE_DIR = this.dataDir;
        break;
      case 'floor':
        args = [join(benchSrc, 'anchors', 'floor-relay.ts')];
        break;
      case 'tldraw':
        // tldraw sync (TLSocketRoom); extraEnv may carry STATIC_DIR, the built tldraw page to serve.
        args = [join(benchSrc, 'anchors', 'tldraw-sync.ts')];
        Object.assign(env, this.extraEnv);
        break;
    }
    // A V8 CPU profile of the server under test, written when it exits (each server of the run, one file each).
    if (process.env.BENCH_SERVER_PROF_DIR) args.unshift('--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVER_PROF_DIR}`);
    const log = createWriteStream(this.logPath, { flags: 'a' });
    this.startedAt = performance.now();
    this.child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    started.add(this.child);
    this.child.stdout?.pipe(log);
    this.child.stderr?.pipe(log);
    this.child.once('exit', () => started.delete(this.child));
    await this.waitReady(this.kind === 'scrawl' ? 20_000 : 10_000);
  }

  /**
   * Polls HTTP until the server answers 200: Scrawl's /healthz (200 once its store is open), the anchors' root
   * page. Polling every 10 ms keeps the measured restart time honest to about that much.
   */
  private async waitReady(timeoutMs: number): Promise<void> {
    const path = this.kind === 'scrawl' ? '/healthz' : '/';
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (!this.alive) {
        throw new ServerUnavailable(`${this.kind} exited with ${this.child.exitCode ?? this.child.signalCode}; log:\n${this.logTail()}`);
      }
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}${path}`);
        await response.arrayBuffer();
        if (response.status === 200) {
          this.readyAt = performance.now();
          return;
        }
      } catch {
        // not listening yet: keep polling
      }
      await sleep(10);
    }
    await this.kill9();
    throw new ServerUnavailable(`${this.kind} did not answer 200 on ${path} within ${timeoutMs} ms; log:\n${this.logTail()}`);
  }

  /** utime + stime of the server process, in seconds. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  }

  /** Resident set size of the server process, in KiB (VmRSS). */
  rssKiB(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return match ? Number(match[1]) : Number.NaN;
  }

  /** SIGKILL, synchronously: used right after an acknowledgement, so nothing may run in between. */
  kill9Now(): void {
    if (this.alive && this.child.pid !== undefined) process.kill(this.child.pid, 'SIGKILL');
  }

  async kill9(): Promise<void> {
    this.kill9Now();
    await this.exited(5_000);
  }

  /** Graceful stop (SIGTERM, which both anchors and Scrawl handle by flushing), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    process.kill(this.pid, 'SIGTERM');
    if (!(await this.exited(15_000))) await this.kill9();
  }

  private exited(timeoutMs: number): Promise<boolean> {
    if (!this.alive) return Promise.resolve(true);
    return new Promise((resolveExit) => {
      const timer = setTimeout(() => resolveExit(false), timeoutMs);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolveExit(true);
      });
    });
  }

  logText(): string {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  logTail(lines = 20): string {
    return this.logText().split('\n').slice(-lines - 1).join('\n');
  }
}
