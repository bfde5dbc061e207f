/**
 * A /healthz poller in its own child process, for scenarios that ask whether the server still answers its health
 * check while it is under a storm (a load balancer would take it out of rotation otherwise).
 *
 * Why a child process: the bench process is itself busy during a storm (thousands of sockets opening at once), and
 * a probe on its event loop would measure the bench's delays as the server's. Why a fresh TCP connection per request
 * (`agent: false`): that is what a load balancer's health check does, and it puts the server's accept queue, not just
 * its request handling, on the measured path.
 *
 * The hardening tests (server/test/hardening-*.test.ts, the short variants of the storm scenarios) use this probe
 * too, so both measure /healthz the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** One /healthz sample. */
export interface HealthSample {
  /** HTTP status; 0 for a connection error or a timeout (5 s). */
  status: number;
  /** Request start -> end of the response body, in ms. */
  latencyMs: number;
  /** Wall-clock ms (performance.timeOrigin-based) when the request started, to line samples up with the bench's events. */
  startedAt: number;
}

// Plain CommonJS for `node -e`: nothing to compile, nothing imported from the bench. It exits by itself when its
// parent goes away (stdout breaks) or after `maxMs`, so a probe can never outlive a crashed bench for long.
const PROBE_SCRIPT = `
const http = require('node:http');
const [url, periodMs, maxMs] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
process.stdout.on('error', () => process.exit(0));
setTimeout(() => process.exit(0), maxMs).unref();
const once = () => {
  const t0 = performance.now();
  let done = false;
  const finish = (status) => {
    if (done) return;
    done = true;
    process.stdout.write(JSON.stringify({ status, latencyMs: +(performance.now() - t0).toFixed(2), startedAt: +(performance.timeOrigin + t0).toFixed(1) }) + '\\n');
    setTimeout(once, periodMs);
  };
  const req = http.get(url, { agent: false, timeout: 5000 }, (res) => { res.resume(); res.on('end', () => finish(res.statusCode)); });
  req.on('timeout', () => { req.destroy(); finish(0); });
  req.on('error', () => finish(0));
};
once();
`;

const running = new Set<ChildProcess>();
// The bench exits with process.exit() (and on Ctrl-C): stop any probe still running, by its own PID.
process.on('exit', () => {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        // exited between the check and the kill
      }
    }
  }
});

/** A running probe; `stop()` ends it (SIGTERM to its PID) and returns every sample it took. */
export interface HealthProbe {
  readonly samples: HealthSample[];
  stop(): Promise<HealthSample[]>;
}

/**
 * Polls `${httpUrl}/healthz` (e.g. `http://127.0.0.1:1234`) from a child process, starting the next request `periodMs`
 * after the last one ended, for at most `maxMs` (the child ends itself then).
 */
export function startHealthProbe(httpUrl: string, periodMs = 10, maxMs = 10 * 60_000): HealthProbe {
  const child = spawn(process.execPath, ['-e', PROBE_SCRIPT, `${httpUrl}/healthz`, String(periodMs), String(maxMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.add(child);
  const samples: HealthSample[] = [];
  let pending = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (line) samples.push(JSON.parse(line) as HealthSample);
  });
  // 'close', not 'exit': it comes after the last buffered line on stdout has been read.
  const exited = new Promise<void>((resolve) => child.once('close', () => {
    running.delete(child);
    resolve();
  }));
  return {
    samples,
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      // Bounded: a probe that ignores SIGTERM (it does not) would be killed outright after 2 s.
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      }, 2_000);
      await exited;
      clearTimeout(timer);
      return samples;
    },
  };
}
