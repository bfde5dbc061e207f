import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The repository root: the server runs from there exactly as `npm start` runs it. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Options of {@link ScrawlServer}. */
export interface ScrawlServerOptions {
  /** LevelDB directory; kept across restarts so a restart must bring every room back. */
  dataDir: string;
  /** Port to bind on 127.0.0.1; pick one with {@link freePort}. */
  port: number;
  /** How long to wait for `/healthz` to answer 200 after spawning. Default 30 s. */
  readyTimeoutMs?: number;
  /** How long SIGTERM may take before the process is killed outright. Default 10 s. */
  stopTimeoutMs?: number;
  /** More environment for the server (e.g. `BOARD_LIST: 'off'`), over the test process's own. */
  env?: Record<string, string>;
}

/** A port nothing listens on right now (the OS picks it; the probe socket is closed again). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  await once(probe, 'close');
  if (!address || typeof address === 'string') throw new Error('could not read the probe port');
  return address.port;
}

/**
 * The real Scrawl server (`node server/src/main.ts`) as a child process that a test can stop with SIGTERM and start
 * again on the same port and DATA_DIR, which is how the restart scenarios prove durability.
 */
export class ScrawlServer {
  readonly dataDir: string;
  readonly port: number;
  private readonly readyTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private readonly extraEnv: Record<string, string>;
  private child: ChildProcess | null = null;
  /** Exit code of the last stop; a graceful SIGTERM drain exits 0. */
  lastExitCode: number | null = null;

  constructor(options: ScrawlServerOptions) {
    this.dataDir = options.dataDir;
    this.port = options.port;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
    this.extraEnv = options.env ?? {};
  }

  /** `http://127.0.0.1:PORT` */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `ws://127.0.0.1:PORT` */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Spawns the server and resolves once `/healthz` answers 200. */
  async start(): Promise<void> {
    if (this.child) throw new Error('the server is already running');
    const child = spawn(process.execPath, ['server/src/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        DATA_DIR: this.dataDir,
        LOG_LEVEL: process.env.SCRAWL_E2E_LOG_LEVEL ?? 'warn',
        ...this.extraEnv,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    this.child = child;
    let exited: number | null | undefined;
    child.once('exit', (code) => {
      exited = code;
      if (this.child === child) this.child = null;
    });

    const deadline = Date.now() + this.readyTimeoutMs;
    while (Date.now() < deadline) {
      if (exited !== undefined) throw new Error(`the server exited with code ${exited} before it was ready`);
      try {
        const response = await fetch(`${this.url}/healthz`);
        if (response.status === 200) return;
      } catch {
        // Not listening yet: keep polling until the deadline.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await this.stop();
    throw new Error(`the server did not answer /healthz with 200 within ${this.readyTimeoutMs} ms`);
  }

  /** SIGTERM, as an operator would send it; waits for the drain to finish (kills it if it hangs). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.stopTimeoutMs);
    const [code] = await exit;
    clearTimeout(timer);
    this.lastExitCode = code;
    this.child = null;
  }

  /** Stop then start on the same port and DATA_DIR. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}
