/** What a scenario is, and the plumbing every scenario shares. */
import type { RawClient } from './clients.ts';
import { ServerProcess, type ServerKind, type Target, type TargetName } from './servers.ts';

/** A figure, or a string where there is none ("n/a (no durable ack)", "skipped: ..."). */
export type Value = number | string;

export interface Metric {
  key: string;
  label: string;
  /** The target for Scrawl, printed beside the figures. */
  target?: string;
  /** Ratios make no sense for some rows (counts, booleans): set false to leave them out. */
  ratio?: boolean;
}

export interface Options {
  /** Seconds of measured load per phase (fan-out, CPU); the protocol is ~10 s. */
  durationS: number;
  /** Kill -9 rounds for the durability scenario (the issue asks for at least 10). */
  rounds: number;
  /** Clients for the idle-memory scenario (2,000 unless the fd limit forces fewer). */
  idleClients: number;
  /** Crowd scenario: seconds of drawing (default 60, the documented figure), clients, PRNG seed, worker threads. */
  crowdSeconds?: number;
  crowdClients?: number;
  crowdSeed?: number;
  crowdWorkers?: number;
}

export interface Context extends Options {
  /** Observations worth a human's attention (disconnects, errors in server logs, partial syncs). */
  note(target: Target | string, text: string): void;
}

export interface Scenario {
  name: string;
  title: string;
  targets: TargetName[];
  metrics: Metric[];
  run(target: Target, ctx: Context): Promise<Record<string, Value>>;
  /** Left out of the default full run (it would push it past ~8 minutes): run it by name. */
  optIn?: boolean;
  /**
   * Its servers may be measured at the same time (`--paired`): each figure is read off the server's own process and
   * its own clients, so measurements sharing the bench process do not mix (except the bench's own CPU, noted).
   */
  pairable?: boolean;
  /** Rows for servers the scenario cannot measure by design (anchors in the durability scenario). */
  fixed?: Partial<Record<TargetName, Record<string, Value>>>;
}

/**
 * Starts a fresh server for one measurement, hands it over, and always stops it. Afterwards it reports what a
 * reader of the figures should know: a server that died under load, and what it wrote to its log (Scrawl runs at
 * LOG_LEVEL=warn, so anything it logs is a warning or worse).
 */
export async function withServer<T>(
  kind: ServerKind,
  target: Target,
  ctx: Context,
  fn: (server: ServerProcess) => Promise<T>,
): Promise<T> {
  const server = await ServerProcess.start(kind);
  try {
    return await fn(server);
  } finally {
    if (!server.alive) ctx.note(target, `server process exited unexpectedly (${server.child.exitCode ?? server.child.signalCode})`);
    await server.stop();
    reportLog(server, target, ctx);
  }
}

export function reportLog(server: ServerProcess, target: Target, ctx: Context): void {
  // Start-up banners are not findings; nor is @y/websocket-server's "Yjs was already imported" warning, which
  // comes from its own install (it bundles yjs 14 beside the yjs 13 its protocol package loads) on every start.
  const lines = server.logText().split('\n')
    .filter((line) => line.trim() !== '' && !/listening on|running at|Yjs was already imported/.test(line));
  if (lines.length === 0) return;
  const shown = lines.slice(0, 3).map((line) => (line.length > 300 ? `${line.slice(0, 300)}...` : line));
  ctx.note(target, `server log has ${lines.length} line(s), e.g.:\n      ${shown.join('\n      ')}`);
}

/** Notes clients whose socket closed or errored although the scenario had not closed it yet. */
export function noteDisconnects(clients: readonly RawClient[], target: Target, ctx: Context, phase: string): number {
  const lost = clients.filter((c) => c.closeCode !== undefined || c.error !== undefined);
  if (lost.length > 0) {
    const byReason = new Map<string, number>();
    for (const c of lost) {
      const reason = c.error ? c.error.message : `close ${c.closeCode} ${c.closeReason}`.trim();
      byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    }
    const summary = [...byReason].map(([reason, n]) => `${n} x ${reason}`).join('; ');
    ctx.note(target, `${phase}: ${lost.length} of ${clients.length} clients lost their connection (${summary})`);
  }
  return lost.length;
}

/**
 * A scenario that cannot run here (PostgreSQL or Redis not reachable, no Chromium): its figures print as
 * "skipped" with the reason, and the other scenarios go on. Unlike ServerUnavailable, it says nothing about Scrawl.
 */
export class ScenarioSkipped extends Error {}
