/**
 * The backup and restore CLIs as the backup scenario runs them: the very command `npm run backup` / `npm run restore`
 * runs (`node server/src/bin/<name>.ts`, without npm's own process in between, whose start-up would be timed too), as
 * a child process with the store's variables and nothing else of ours, timed from spawn to exit, with its peak RSS and
 * CPU time reported by a preload (peak-rss.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { benchRunDir, repoRoot } from '../servers.ts';

const PRELOAD = join(repoRoot, 'bench', 'src', 'backup', 'peak-rss.ts');
/** Variables the CLIs read (config.ts): the scenario sets the ones it means, the rest must not leak in from our env. */
const STORE_VARIABLES = ['DATABASE_URL', 'DATA_DIR', 'AUTH_SECRET', 'PORT', 'REDIS_URL', 'BACKUP_DIR', 'BACKUP_INTERVAL', 'BACKUP_KEEP', 'TLS_CERT_FILE', 'TLS_KEY_FILE'];

/** One finished CLI run. */
export interface CliRun {
  code: number | string;
  /** Spawn to exit, ms. */
  wallMs: number;
  /** The process's peak RSS (ru_maxrss), KiB; NaN when it died before reporting. */
  peakRssKiB: number;
  /** utime + stime of the process, s. */
  cpuS: number;
  /** Peaks of its RSS's parts, sampled every 100 ms (see MemorySampler). */
  memory: MemoryPeaks;
  stdout: string;
  stderr: string;
  pid: number;
}

let runs = 0;

/** Runs `node server/src/bin/<name>.ts args` with `env` (added to ours minus the store variables) to its exit. */
export function runCli(name: 'backup' | 'restore', args: string[], env: Record<string, string>): Promise<CliRun> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const variable of STORE_VARIABLES) delete base[variable];
  const report = join(benchRunDir(), `cli-${process.pid}-${++runs}.json`);
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', PRELOAD, join(repoRoot, 'server', 'src', 'bin', `${name}.ts`), ...args], {
    cwd: repoRoot,
    env: { ...base, ...env, LOG_LEVEL: 'warn', BENCH_PEAK_RSS_FILE: report },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const sampler = new MemorySampler(child.pid ?? -1);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      const wallMs = performance.now() - t0;
      sampler.stop();
      let usage = { maxRssKiB: Number.NaN, cpuS: Number.NaN };
      if (existsSync(report)) {
        usage = JSON.parse(readFileSync(report, 'utf8')) as typeof usage;
        rmSync(report, { force: true });
      }
      // 'exit' can come before the pipes are drained: give them a turn.
      setImmediate(() => resolve({ code: code ?? signal ?? 'unknown', wallMs, peakRssKiB: usage.maxRssKiB, cpuS: usage.cpuS, memory: sampler.peaks, stdout, stderr, pid: child.pid ?? -1 }));
    });
  });
}

/** Throws with the CLI's own words when it did not succeed. */
export function mustSucceed(run: CliRun, what: string): CliRun {
  if (run.code !== 0) throw new Error(`${what} exited with ${run.code}: ${(run.stderr || run.stdout).trim().slice(-1500)}`);
  return run;
}

/** Peak anonymous (heap, buffers) and file-backed (mapped files) resident memory, and the machine's dirty pages. */
export interface MemoryPeaks {
  anonKiB: number;
  fileKiB: number;
  /** Peak of Dirty + Writeback in /proc/meminfo: file data written but not yet on disk, machine-wide. */
  dirtyKiB: number;
}

const field = (text: string, name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(text)?.[1] ?? Number.NaN);

/**
 * Samples a process's RssAnon and RssFile every 100 ms. ru_maxrss (and VmHWM) count both: a process reading a LevelDB
 * database has its table files mapped (LevelDB mmaps them), and the pages it touched count as resident although the
 * kernel may drop them at any time; only the anonymous part is memory the process holds.
 */
export class MemorySampler {
  readonly peaks: MemoryPeaks = { anonKiB: 0, fileKiB: 0, dirtyKiB: 0 };
  private readonly timer: NodeJS.Timeout;

  constructor(pid: number) {
    const sample = () => {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const meminfo = readFileSync('/proc/meminfo', 'utf8');
        // A process caught between fork and exec has no Rss fields yet: NaN would stick in Math.max.
        const peak = (previous: number, value: number) => (Number.isNaN(value) ? previous : Math.max(previous, value));
        this.peaks.anonKiB = peak(this.peaks.anonKiB, field(status, 'RssAnon'));
        this.peaks.fileKiB = peak(this.peaks.fileKiB, field(status, 'RssFile'));
        this.peaks.dirtyKiB = peak(this.peaks.dirtyKiB, field(meminfo, 'Dirty') + field(meminfo, 'Writeback'));
      } catch {
        // the process is gone: the last sample stands
      }
    };
    sample();
    this.timer = setInterval(sample, 100);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
