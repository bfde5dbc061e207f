/**
 * `npm run bench [-- scenario ...] [--runs N] [--duration S] [--rounds N] [--targets a,b]`
 *
 * Starts Scrawl, @y/websocket-server and plain @hocuspocus/server (and Hocuspocus + a LevelDB snapshot store where
 * a store matters) side by side, as child processes on 127.0.0.1, drives them with the raw clients in clients.ts
 * and prints one table per scenario with Scrawl/anchor ratios and the issue's targets. Every server is started
 * fresh for each measurement, so no scenario inherits another's rooms, garbage or warm caches.
 *
 * With `--runs N` each measurement is repeated on fresh servers, in rounds that measure every server once, and the
 * median is printed (the issue's anchors are medians of 3; the default of 1 keeps a full run at a few minutes on 2
 * cores). With `--paired`, a scenario that allows it (cpu) measures the servers of a round at the same time instead of
 * one after another, so they share the machine's moment: for comparing CPU per message on a host whose speed drifts.
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { cpu } from './scenarios/cpu.ts';
import { durability } from './scenarios/durability.ts';
import { fanout } from './scenarios/fanout.ts';
import { idle } from './scenarios/idle.ts';
import { joinStorm } from './scenarios/join.ts';
import { reconnectStorm } from './scenarios/reconnect.ts';
import { restart } from './scenarios/restart.ts';
import { stroke } from './scenarios/stroke.ts';
import { board } from './scenarios/board.ts';
import { catalog } from './scenarios/catalog.ts';
import { backup } from './scenarios/backup.ts';
import { crowd } from './scenarios/crowd.ts';
import { capacity } from './scenarios/capacity.ts';
import { xcpu, xfanout } from './scenarios/scaleout.ts';
import { ScenarioSkipped, type Context, type Options, type Scenario, type Value } from './scenario.ts';
import { killAllStarted, removeRunDir, ServerUnavailable, TARGETS, type Target, type TargetName } from './servers.ts';
import { fmt, median } from './stats.ts';

const SCENARIOS: Scenario[] = [fanout, cpu, idle, joinStorm, restart, reconnectStorm, durability, stroke, xfanout, xcpu, board, catalog, backup, crowd, capacity];
const ALIASES: Record<string, string> = {
  cursors: 'cpu', awareness: 'cpu', rss: 'idle', join: 'join', storm: 'join', kill: 'durability',
  paint: 'board', scaleout: 'xfanout',
};

interface Args extends Options {
  scenarios: Scenario[];
  runs: number;
  targets: Set<TargetName> | undefined;
  waitIdleS: number;
  /** Measure the targets of a round at the same time (scenarios marked `pairable`). */
  paired: boolean;
}

function usage(): never {
  console.log(`usage: npm run bench -- [${SCENARIOS.map((s) => (s.optIn ? `${s.name}(opt-in)` : s.name)).join('|')} ...] [--runs N] [--duration S] [--rounds N] [--wait-idle S] [--paired] [--crowd-seconds S] [--crowd-clients N] [--crowd-seed N] [--crowd-workers N] [--targets ${Object.keys(TARGETS).join(',')}]`);
  process.exit(2);
}

const FLAGS = ['runs', 'duration', 'rounds', 'idle-clients', 'wait-idle', 'targets', 'crowd-seconds', 'crowd-clients', 'crowd-seed', 'crowd-workers'];

/**
 * The root script is `npm run bench --workspace bench`, so `npm run bench -- --runs 3` from the root reaches us
 * through a second npm, which takes `--runs` as its own config: it arrives as npm_config_runs ("3" for `--runs=3`,
 * "true" for `--runs 3`, with the "3" left among our arguments). Put such flags back into argv.
 */
function recoverNpmFlags(argv: string[]): string[] {
  if (process.env.npm_lifecycle_event !== 'bench') return argv;
  const out = [...argv];
  const stray = argv.filter((a) => !a.startsWith('-') && !SCENARIOS.some((s) => s.name === (ALIASES[a] ?? a)));
  const envOf = (flag: string) => process.env[`npm_config_${flag.replace('-', '_')}`];
  const take = (flag: string, value: string) => {
    stray.splice(stray.indexOf(value), 1);
    out.splice(out.indexOf(value), 1);
    out.push(`--${flag}`, value);
  };
  // A switch arrives as npm_config_paired=true and nothing in argv.
  if (envOf('paired') === 'true' && !argv.includes('--paired')) out.push('--paired');
  for (const flag of FLAGS) {
    const value = envOf(flag);
    if (value !== undefined && value !== 'true' && !argv.includes(`--${flag}`)) out.push(`--${flag}`, value);
  }
  // A bare --targets is recognisable by its value; the numeric flags are not, so at most one may be bare.
  const targetList = stray.find((a) => a.split(',').every((t) => t in TARGETS));
  if (envOf('targets') === 'true' && targetList !== undefined) take('targets', targetList);
  const bare = FLAGS.filter((f) => f !== 'targets' && envOf(f) === 'true' && !argv.includes(`--${f}`));
  if (bare.length > 1 && stray.length > 0) {
    console.log(`cannot tell which value belongs to --${bare.join(', --')} through npm: write them as --flag=value`);
    process.exit(2);
  }
  if (bare.length === 1 && stray.length > 0) take(bare[0], stray[0]);
  return out;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { scenarios: [], runs: 1, durationS: 10, rounds: 10, idleClients: 2000, targets: undefined, waitIdleS: 0, paired: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): number => {
      const n = Number(argv[++i]);
      if (!Number.isFinite(n) || n <= 0) usage();
      return n;
    };
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      argv.splice(i + 1, 0, arg.slice(eq + 1));
      argv[i] = arg.slice(0, eq);
      i--;
      continue;
    }
    if (arg === '--paired') args.paired = true;
    else if (arg === '--runs') args.runs = Math.round(value());
    else if (arg === '--duration') args.durationS = value();
    else if (arg === '--rounds') args.rounds = Math.round(value());
    else if (arg === '--idle-clients') args.idleClients = Math.round(value());
    else if (arg === '--wait-idle') args.waitIdleS = value();
    else if (arg === '--crowd-seconds') args.crowdSeconds = value();
    else if (arg === '--crowd-clients') args.crowdClients = Math.max(2, Math.round(value()));
    else if (arg === '--crowd-seed') args.crowdSeed = Math.round(value());
    else if (arg === '--crowd-workers') args.crowdWorkers = Math.round(value());
    else if (arg === '--targets') {
      const names = (argv[++i] ?? '').split(',').filter(Boolean);
      if (names.some((n) => !(n in TARGETS))) usage();
      args.targets = new Set(names as TargetName[]);
    } else if (arg === '--help' || arg === '-h') usage();
    else {
      const name = ALIASES[arg] ?? arg;
      const scenario = SCENARIOS.find((s) => s.name === name);
      if (!scenario) usage();
      if (!args.scenarios.includes(scenario)) args.scenarios.push(scenario);
    }
  }
  if (args.scenarios.length === 0) args.scenarios = SCENARIOS.filter((s) => !s.optIn);
  return args;
}

/**
 * The idle-memory and reconnect-storm scenarios hold 2,000 client sockets in this process and 2,000 in the server (a
 * child, which inherits our limit). When the soft fd limit is too low but the hard one allows more, re-exec once under a
 * raised `ulimit -n`; when even the hard limit is too low, scale the scenario down and say so.
 */
function ensureFdLimit(args: Args): void {
  const needed = args.idleClients + 500;
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const match = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(limits);
  if (!match) return;
  const soft = match[1] === 'unlimited' ? Infinity : Number(match[1]);
  const hard = match[2] === 'unlimited' ? Infinity : Number(match[2]);
  if (soft >= needed) return;
  if (hard >= needed && !process.env.SCRAWL_BENCH_REEXEC) {
    const raised = Math.min(hard, 65536);
    console.log(`fd limit ${soft} < ${needed}: re-running under ulimit -n ${raised}`);
    const result = spawnSync('/bin/sh', ['-c', `ulimit -n ${raised} && exec "$0" "$@"`, process.execPath, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, SCRAWL_BENCH_REEXEC: '1' },
    });
    process.exit(result.status ?? 1);
  }
  args.idleClients = Math.max(100, Math.floor((Math.min(soft, hard) - 500) / 100) * 100);
  console.log(`fd limit ${soft} (hard ${hard}) too low for 2,000 idle clients: measuring ${args.idleClients} instead`);
}

/** Share (%) of all cores busy over `ms`, from /proc/stat: anything else running on the machine skews the figures. */
async function machineBusyPct(ms: number): Promise<number> {
  const read = () => {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = cpu[3] + (cpu[4] ?? 0);
    return { idle, total: cpu.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = read();
  return b.total === a.total ? 0 : (100 * (1 - (b.idle - a.idle) / (b.total - a.total)));
}

/**
 * With --wait-idle S, waits (up to S seconds) until the machine is quiet (< 10 % busy over 1 s) before each
 * measurement; either way returns the busy share seen last, which is printed beside the figures.
 */
async function quietMachine(waitS: number): Promise<number> {
  const deadline = performance.now() + waitS * 1000;
  let busy = await machineBusyPct(1000);
  while (busy >= 10 && performance.now() < deadline) busy = await machineBusyPct(1000);
  return busy;
}

function machine(): string {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? 'unknown CPU';
  return `${availableParallelism()} x ${model}, node ${process.version}`;
}

type Row = Partial<Record<TargetName, Value>>;

/** Median of the numeric runs; the first string (an explanation) when no run produced a number. */
function combine(values: Value[]): Value {
  const numbers = values.filter((v): v is number => typeof v === 'number' && !Number.isNaN(v));
  if (numbers.length > 0) return median(numbers);
  return values[0] ?? 'n/a';
}

function show(value: Value | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'number' ? fmt(value) : value;
}

/**
 * Scrawl/anchor ratio pairs: each Yjs anchor against the Scrawl endpoint speaking its protocol, else the other one;
 * tldraw sync against every Scrawl endpoint present.
 */
function ratioPairs(targets: TargetName[]): Array<[TargetName, TargetName]> {
  const pairs: Array<[TargetName, TargetName]> = [];
  for (const anchor of targets) {
    if (TARGETS[anchor].kind === 'scrawl' || TARGETS[anchor].kind === 'floor') continue;
    if (TARGETS[anchor].kind === 'tldraw') {
      // tldraw sync speaks neither Yjs protocol, so both Scrawl endpoints compare with it equally.
      for (const scrawl of ['scrawl-sync', 'scrawl-yjs'] as const) if (targets.includes(scrawl)) pairs.push([scrawl, anchor]);
      continue;
    }
    const same: TargetName = TARGETS[anchor].protocol === 'hp' ? 'scrawl-sync' : 'scrawl-yjs';
    const other: TargetName = same === 'scrawl-sync' ? 'scrawl-yjs' : 'scrawl-sync';
    const scrawl = targets.includes(same) ? same : targets.includes(other) ? other : undefined;
    if (scrawl) pairs.push([scrawl, anchor]);
  }
  return pairs;
}

function table(scenario: Scenario, targets: TargetName[], rows: Map<string, Row>): string {
  const pairs = ratioPairs(targets);
  const header = ['metric', ...targets.map((t) => TARGETS[t].label), ...pairs.map(([s, a]) => `${TARGETS[s].label.replace('Scrawl ', '')} ÷ ${TARGETS[a].label}`), 'target'];
  const lines = [header];
  for (const metric of scenario.metrics) {
    const row = rows.get(metric.key) ?? {};
    const ratios = pairs.map(([s, a]) => {
      const sv = row[s];
      const av = row[a];
      if (metric.ratio === false || typeof sv !== 'number' || typeof av !== 'number' || av === 0) return '';
      return `${fmt(sv / av)}x`;
    });
    lines.push([metric.label, ...targets.map((t) => show(row[t])), ...ratios, metric.target ?? '']);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  const render = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [render(lines[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.slice(1).map(render)].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(recoverNpmFlags(process.argv.slice(2)));
  ensureFdLimit(args);
  process.on('SIGINT', () => {
    killAllStarted();
    removeRunDir();
    process.exit(130);
  });
  process.on('exit', killAllStarted);

  const startedAt = new Date();
  console.log(`scrawl bench, ${startedAt.toISOString()}, ${machine()}`);
  console.log(`command: npm run bench -- ${recoverNpmFlags(process.argv.slice(2)).join(' ')}`.trimEnd());
  console.log(`runs per figure: ${args.runs} (median), load phases: ${args.durationS} s, load average at start: ${loadavg()[0].toFixed(2)}`);
  // Every figure is read off a 2-core machine shared by server and clients: anything else running skews them.
  if (loadavg()[0] > 0.5) console.log('warning: the machine is not idle (1-min load average > 0.5); expect noisy figures');
  console.log('');

  const notes: string[] = [];
  let scrawlUnavailable: string | undefined;
  const ctx: Context = {
    ...args,
    note(target, text) {
      const line = `${typeof target === 'string' ? target : target.label}: ${text}`;
      notes.push(line);
      console.log(`  note: ${line}`);
    },
  };
  const tables: string[] = [];

  for (const scenario of args.scenarios) {
    const targets = scenario.targets.filter((t) => !args.targets || args.targets.has(t));
    const allTargets = [...new Set([...targets, ...(Object.keys(scenario.fixed ?? {}) as TargetName[]).filter((t) => !args.targets || args.targets.has(t))])]
      .sort((a, b) => Object.keys(TARGETS).indexOf(a) - Object.keys(TARGETS).indexOf(b));
    console.log(`== ${scenario.name}: ${scenario.title}`);
    const rows = new Map<string, Row>();
    /** 1-min load averages before and after each measurement: printed under the table with the figures. */
    const loads: number[] = [];
    const collected = new Map<TargetName, Map<string, Value[]>>(targets.map((name) => [name, new Map()]));
    // Round-robin: each round measures every target once. The machine's speed drifts over minutes (shared host), and
    // measuring target by target would put that drift between the servers being compared. Paired, a round's targets
    // run at once: they then share even the drift within a minute, at the price of sharing the cores.
    const paired = args.paired && scenario.pairable === true;
    if (args.paired && !paired) console.log(`  (--paired: ${scenario.name} measures one server at a time)`);
    const measure = async (name: TargetName, run: number) => {
      const target: Target = TARGETS[name];
      const perMetric = collected.get(name)!;
      let values: Record<string, Value>;
      const busy = await quietMachine(args.waitIdleS);
      const loadBefore = loadavg()[0];
      loads.push(loadBefore);
      const began = performance.now();
      if (target.kind === 'scrawl' && scrawlUnavailable) {
        values = Object.fromEntries(scenario.metrics.map((m) => [m.key, 'skipped']));
      } else {
        try {
          values = await scenario.run(target, ctx);
        } catch (error) {
          if (error instanceof ScenarioSkipped) {
            console.log(`  ${scenario.name} skipped: ${error.message}`);
            notes.push(`${scenario.name} skipped: ${error.message}`);
          } else if (error instanceof ServerUnavailable && target.kind === 'scrawl') {
            scrawlUnavailable = error.message;
            console.log(`  Scrawl skipped: ${error.message}`);
            notes.push(`Scrawl skipped: ${error.message}`);
          } else {
            ctx.note(target, `${scenario.name} failed: ${(error as Error).stack ?? error}`);
          }
          const label = error instanceof ServerUnavailable || error instanceof ScenarioSkipped ? 'skipped' : 'error';
          values = Object.fromEntries(scenario.metrics.map((m) => [m.key, label]));
        }
      }
      for (const [key, value] of Object.entries(values)) {
        if (!perMetric.has(key)) perMetric.set(key, []);
        perMetric.get(key)!.push(value);
      }
      const summary = scenario.metrics.map((m) => `${m.key}=${show(values[m.key])}`).join(' ');
      console.log(`  ${target.label.padEnd(13)} run ${run + 1}/${args.runs} (${((performance.now() - began) / 1000).toFixed(1)} s, machine ${busy.toFixed(0)} % busy before, load average ${loadBefore.toFixed(2)} -> ${loadavg()[0].toFixed(2)}): ${summary}`);
      loads.push(loadavg()[0]);
      if (busy >= 10) ctx.note(target, `${scenario.name} run ${run + 1} started on a busy machine (${busy.toFixed(0)} % of all cores busy)`);
    };
    for (let run = 0; run < args.runs; run++) {
      if (paired) await Promise.all(targets.map((name) => measure(name, run)));
      else for (const name of targets) await measure(name, run);
    }
    for (const metric of scenario.metrics) {
      const row: Row = {};
      for (const [name, perMetric] of collected) row[name] = combine(perMetric.get(metric.key) ?? []);
      for (const [name, fixed] of Object.entries(scenario.fixed ?? {}) as Array<[TargetName, Record<string, Value>]>) {
        if (allTargets.includes(name) && fixed[metric.key] !== undefined) row[name] = fixed[metric.key];
      }
      rows.set(metric.key, row);
    }
    const loadLine = loads.length > 0 ? `\n\n1-min load average around the measurements: ${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)}` : '';
    const rendered = `### ${scenario.name}: ${scenario.title}\n\n${table(scenario, allTargets, rows)}${loadLine}`;
    tables.push(rendered);
    console.log(`\n${rendered}\n`);
  }

  const elapsedS = (Date.now() - startedAt.getTime()) / 1000;
  console.log(`\n==== results (${args.runs === 1 ? 'single run' : `median of ${args.runs} runs`}, ${elapsedS.toFixed(0)} s in all, load average at end: ${loadavg()[0].toFixed(2)})\n`);
  console.log(tables.join('\n\n'));
  if (notes.length > 0) console.log(`\nnotes:\n${notes.map((n) => `- ${n}`).join('\n')}`);
  removeRunDir();
  // Exit explicitly: playwright-core (the board scenario) leaves two stale pipe handles after browser.close(),
  // which would keep the process alive with nothing left to do. Every child was stopped above.
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  killAllStarted();
  process.exit(1);
});
