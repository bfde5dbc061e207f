/**
 * Board catalog (issue 14): 10,000 boards in a fresh store, the catalog the server builds for them, what listing and
 * searching them costs, what the embedded catalog holds in memory, and whether having it costs the relay anything.
 *
 * 1. The corpus (bench/src/catalog/corpus.ts) is appended through the store's own `append` to a fresh LevelDB
 *    DATA_DIR, and, when PostgreSQL answers on 127.0.0.1, to a schema of the bench's own (dropped afterwards). Scrawl
 *    (bench/src/catalog/scrawl-entry.ts: main.ts's wiring with a catalog switch) starts on it at LOG_LEVEL=info and
 *    builds the 10,000 entries in the background (`addMissing`); the build time is read off its own log lines.
 * 2. `GET /api/boards` (first page) and nine searches, one request at a time, 20 warm-up + 200 measured each (fewer
 *    when a query's requests pass 30 s, noted); the figure is the server's own time from the Server-Timing header
 *    (bench/src/catalog/api.ts).
 * 3. Memory (LevelDB only; the PostgreSQL catalog holds nothing in the process): heap of the catalog loaded in a child
 *    process after forced GCs, full minus empty, per board; VmRSS of a server restarted on the 10,000 boards with the
 *    catalog on and with `catalog: false`.
 * 4. Relay cost, catalog on vs off, in pairs: two servers on copies of the 10,000-board DATA_DIR, one with the
 *    catalog and one without, both under the cpu scenario's baseline load at the same moment (its `measurePhase`, as
 *    `--paired` runs it), then the durability scenario's one-at-a-time ack latency on both at once. Ratios on ÷ off.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresStore } from '../../../server/src/persistence/postgres-store.ts';
import { LevelDbStore } from '../../../server/src/persistence/leveldb-store.ts';
import { QUERIES, timeQuery, timingTable, waitForBuild, warnings, type QueryTiming } from '../catalog/api.ts';
import { writeCorpus, type Corpus } from '../catalog/corpus.ts';
import { closeAll } from '../clients.ts';
import { StampLatency } from '../docs.ts';
import { DATABASE_URL } from '../scaleout.ts';
import { noteDisconnects, type Context, type Scenario, type Value } from '../scenario.ts';
import { benchRunDir, repoRoot, ServerProcess, TARGETS } from '../servers.ts';
import { fmt, median, percentile, sleep } from '../stats.ts';
import { CLIENTS_PER_ROOM, connectRelayLoad, measurePhase, type Phase } from './cpu.ts';
import { sequentialAckLatency } from './durability.ts';

/** 10,000 (the figure); BENCH_CATALOG_BOARDS=500 makes a quick trial run of the whole scenario. */
const BOARDS = Number(process.env.BENCH_CATALOG_BOARDS) || 10_000;
const N = BOARDS.toLocaleString('en');
const WARMUP_REQUESTS = 20;
const MEASURED_REQUESTS = 200;
/** Most time one query's requests may take, warm-up included (10 queries per store, two stores). */
const QUERY_BUDGET_MS = 30_000;
/** Pairs of relay measurements (catalog on and off at the same moment), alternating which server goes first. */
const PAIRS = 5;
const ACKS_PER_PAIR = 100;
const BUILD_TIMEOUT_MS = 240_000;
const ENTRY = join(repoRoot, 'bench', 'src', 'catalog', 'scrawl-entry.ts');
const HEAP_CHILD = join(repoRoot, 'bench', 'src', 'catalog', 'heap-child.ts');

/** The p50 / p95 / p99 of a sample as one cell. */
const triple = (values: number[]) => [50, 95, 99].map((p) => fmt(percentile(values, p))).join(' / ');

/** The search with the highest server p95, as "p95 (label)". */
function slowestSearch(timings: Map<string, QueryTiming>): { p95: number; label: string } {
  let worst = { p95: -1, label: '' };
  for (const query of QUERIES) {
    const timing = timings.get(query.key);
    if (query.key === 'list' || !timing) continue;
    const p95 = percentile(timing.server, 95);
    if (p95 > worst.p95) worst = { p95, label: query.label };
  }
  return worst;
}

/**
 * Starts Scrawl on a store holding the corpus, waits for its catalog build, times the queries and stops it. `env`
 * names the store (DATA_DIR, or DATABASE_URL and DATABASE_SCHEMA).
 */
async function buildAndQuery(
  store: string,
  env: Record<string, string>,
  corpus: Corpus,
  ctx: Context,
  afterBuild: (port: number) => Promise<Record<string, Value>> = async () => ({}),
): Promise<Record<string, Value>> {
  const server = await ServerProcess.start('scrawl', { ...env, LOG_LEVEL: 'info' }, ENTRY);
  try {
    const build = await waitForBuild(server, BUILD_TIMEOUT_MS);
    if (build.boards !== corpus.boards) ctx.note(`catalog, ${store}`, `the build added ${build.boards} boards, not ${corpus.boards}`);
    const rssAfterBuild = server.rssKiB();
    console.log(`  ${store}: catalog built for ${build.boards} boards in ${(build.buildMs / 1000).toFixed(1)} s; ` +
      `GET /api/boards?limit=1 meanwhile: ${build.probes.length} probes, round trip p50 / p99 / max ${triple(build.probes)} / ${fmt(Math.max(...build.probes))} ms; ` +
      `server RSS after the build ${(rssAfterBuild / 1024).toFixed(0)} MiB (load average ${loadavg()[0].toFixed(2)})`);
    const prepared = await afterBuild(server.port);
    const timings = new Map<string, QueryTiming>();
    for (const query of QUERIES) {
      const timing = await timeQuery(server.port, query, WARMUP_REQUESTS, MEASURED_REQUESTS, QUERY_BUDGET_MS);
      if (timing.server.length < MEASURED_REQUESTS) {
        ctx.note(`catalog, ${store}`, `${query.label}: only ${timing.server.length} of ${MEASURED_REQUESTS} requests measured within ${QUERY_BUDGET_MS / 1000} s`);
      }
      timings.set(query.key, timing);
    }
    console.log(`\n${timingTable(store, timings, corpus.boardsWith)}\n`);
    const list = timings.get('list')!.server;
    const slowest = slowestSearch(timings);
    return {
      ...prepared,
      buildS: build.buildMs / 1000,
      buildProbeMax: Math.max(...build.probes),
      list: triple(list),
      listP95: percentile(list, 95),
      searchP95: slowest.p95,
      slowest: slowest.label,
    };
  } finally {
    await server.stop();
    for (const line of warnings(server)) ctx.note(`catalog, ${store}`, `server logged: ${line}`);
  }
}

/** Heap of the embedded catalog holding the corpus, per board, measured in a child process (see heap-child.ts). */
function catalogHeap(dataDir: string): { perBoardKiB: number; jsonPerBoard: number; openMs: number; boards: number } {
  const child = spawnSync(process.execPath, ['--expose-gc', HEAP_CHILD, dataDir], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  if (child.status !== 0) throw new Error(`heap-child exited with ${child.status ?? child.signal}: ${child.stderr.slice(-2000)}`);
  const out = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { boards: number; emptyHeap: number; fullHeap: number; jsonBytes: number; openMs: number };
  return {
    perBoardKiB: (out.fullHeap - out.emptyHeap) / out.boards / 1024,
    jsonPerBoard: out.jsonBytes / out.boards,
    openMs: out.openMs,
    boards: out.boards,
  };
}

/** Resolves once the server used under 5 % of a core over half a second (at most 20 s). */
async function settled(server: ServerProcess): Promise<void> {
  const deadline = performance.now() + 20_000;
  let before = server.cpuSeconds();
  while (performance.now() < deadline) {
    await sleep(500);
    const now = server.cpuSeconds();
    if (now - before < 0.025) return;
    before = now;
  }
}

interface PairSide {
  phase: Phase;
  acks: number[];
  rssKiB: number;
  readyMs: number;
}

/**
 * One pair: Scrawl with the catalog (on `onDir`) and without (on `offDir`), started fresh, measured at the same
 * moment under the cpu scenario's baseline load, then for ack latency.
 */
async function relayPair(pair: number, onDir: string, offDir: string, ctx: Context): Promise<{ on: PairSide; off: PairSide }> {
  const target = TARGETS['scrawl-sync'];
  const sides = pair % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
  const servers = new Map<'on' | 'off', ServerProcess>();
  try {
    for (const side of sides) {
      const env: Record<string, string> = side === 'on' ? { DATA_DIR: onDir } : { DATA_DIR: offDir, CATALOG: 'off' };
      servers.set(side, await ServerProcess.start('scrawl', env, ENTRY));
    }
    // The catalog-on server walks every stored room at start (addMissing, ~1 s of CPU for 10,000 boards, in the
    // background after /healthz answers): wait until both are quiet, or that start-up work lands in the window.
    await Promise.all([...servers.values()].map((server) => settled(server)));
    const rss = new Map(sides.map((side) => [side, servers.get(side)!.rssKiB()]));
    const loads: Array<{ side: 'on' | 'off'; latency: StampLatency } & Awaited<ReturnType<typeof connectRelayLoad>>> = [];
    for (const side of sides) {
      const latency = new StampLatency();
      const port = servers.get(side)!.port;
      const load = await connectRelayLoad(target, latency, (i) => ({ room: `relay-${pair}-${Math.floor(i / CLIENTS_PER_ROOM)}`, port }));
      loads.push({ side, latency, ...load });
    }
    let phases: Phase[];
    try {
      phases = await Promise.all(loads.map((l) => measurePhase(servers.get(l.side)!, l.clients, l.writers, false, l.latency, ctx.durationS)));
      for (const l of loads) noteDisconnects(l.clients, target, ctx, `catalog relay pair ${pair + 1}, catalog ${l.side}`);
    } finally {
      await closeAll(loads.flatMap((l) => l.clients));
    }
    const acks = await Promise.all(sides.map((side) => sequentialAckLatency(target, servers.get(side)!.port, ACKS_PER_PAIR, `ack-${pair}`)));
    const result = (side: 'on' | 'off'): PairSide => {
      const i = sides.indexOf(side);
      const server = servers.get(side)!;
      return { phase: phases[loads.findIndex((l) => l.side === side)], acks: acks[i], rssKiB: rss.get(side)!, readyMs: server.readyAt - server.startedAt };
    };
    return { on: result('on'), off: result('off') };
  } finally {
    for (const [side, server] of servers) {
      await server.stop();
      for (const line of warnings(server)) ctx.note(`catalog relay, catalog ${side}`, `server logged: ${line}`);
    }
  }
}

/** The LevelDB half: corpus, build, queries, heap, and the relay pairs on copies of the store. */
async function onLevelDb(ctx: Context): Promise<Record<string, Value>> {
  const dataDir = join(benchRunDir(), 'catalog-leveldb');
  mkdirSync(dataDir, { recursive: true });
  const store = new LevelDbStore({ directory: dataDir });
  await store.open();
  const corpus = await writeCorpus(store, BOARDS);
  await store.close();
  console.log(`  LevelDB: ${corpus.boards} boards (${(corpus.bytes / corpus.boards / 1024).toFixed(1)} KiB of updates each) generated and appended in ${(corpus.ms / 1000).toFixed(1)} s`);
  const queried = await buildAndQuery('LevelDB', { DATA_DIR: dataDir }, corpus, ctx);
  const heap = catalogHeap(dataDir);
  console.log(`  LevelDB: the embedded catalog of ${heap.boards} boards takes ${heap.perBoardKiB.toFixed(2)} KiB of heap per board ` +
    `(entries as JSON: ${(heap.jsonPerBoard / 1024).toFixed(2)} KiB each); loading it took ${heap.openMs.toFixed(0)} ms`);

  // Both servers of a pair run on the same stored data; one DATA_DIR per process (LevelDB holds a lock).
  const offDir = `${dataDir}-off`;
  cpSync(dataDir, offDir, { recursive: true });
  const pairs = [];
  for (let pair = 0; pair < PAIRS; pair++) {
    const result = await relayPair(pair, dataDir, offDir, ctx);
    pairs.push(result);
    const ratio = result.on.phase.usPerMsg / result.off.phase.usPerMsg;
    console.log(`  relay pair ${pair + 1}/${PAIRS}: CPU per delivered msg on ${fmt(result.on.phase.usPerMsg)} µs, off ${fmt(result.off.phase.usPerMsg)} µs ` +
      `(${fmt(ratio)}x); ack p50 on ${fmt(median(result.on.acks))} ms, off ${fmt(median(result.off.acks))} ms; load average ${loadavg()[0].toFixed(2)}`);
  }
  const cpuRatios = pairs.map((p) => p.on.phase.usPerMsg / p.off.phase.usPerMsg);
  const ackRatios = pairs.map((p) => median(p.on.acks) / median(p.off.acks));
  const range = (values: number[]) => `${fmt(Math.min(...values))}-${fmt(Math.max(...values))}`;
  return {
    ...Object.fromEntries(Object.entries(queried).map(([k, v]) => [`ldb_${k}`, v])),
    heapPerBoard: heap.perBoardKiB,
    rssOn: median(pairs.map((p) => p.on.rssKiB)) / 1024,
    rssOff: median(pairs.map((p) => p.off.rssKiB)) / 1024,
    readyOn: median(pairs.map((p) => p.on.readyMs)),
    readyOff: median(pairs.map((p) => p.off.readyMs)),
    relayOn: median(pairs.map((p) => p.on.phase.usPerMsg)),
    relayOff: median(pairs.map((p) => p.off.phase.usPerMsg)),
    relayRatio: `${fmt(median(cpuRatios))}x (${range(cpuRatios)})`,
    ackOn: median(pairs.flatMap((p) => p.on.acks)),
    ackOff: median(pairs.flatMap((p) => p.off.acks)),
    ackRatio: `${fmt(median(ackRatios))}x (${range(ackRatios)})`,
  };
}

/** Runs `sql` on the test database (schema creation and removal). */
async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The PostgreSQL half, in a schema of its own; its rows say why when PostgreSQL is not there. */
async function onPostgres(ctx: Context): Promise<Record<string, Value>> {
  const url = new URL(DATABASE_URL);
  let why: string | undefined;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) why = `TEST_DATABASE_URL is ${url.host}, not on this machine`;
  else await adminQuery('SELECT 1').catch((error: Error) => (why = `PostgreSQL does not answer at ${url.host} (${error.message})`));
  if (why) {
    ctx.note('catalog', `PostgreSQL skipped: ${why}; start it with \`source scripts/services.sh && ensure_postgres\``);
    return Object.fromEntries(perStore('pg', 'PostgreSQL').map((m) => [m.key, 'skipped']));
  }
  const schema = `scrawl_bench_catalog_${process.pid}`;
  const store = new PostgresStore({ connectionString: DATABASE_URL, schema });
  try {
    await store.open();
    const corpus = await writeCorpus(store, BOARDS);
    await store.close();
    console.log(`  PostgreSQL: ${corpus.boards} boards generated and appended in ${(corpus.ms / 1000).toFixed(1)} s (schema ${schema})`);
    // The test cluster runs with autovacuum off, so the 10,000 rows the build inserted would never be vacuumed: no
    // planner statistics, and the GIN indexes' pending lists (fastupdate) never merged, which every search then
    // scans. A production cluster's autovacuum does both soon after such a build (10,000 inserts pass its insert
    // threshold). A rare word's search is timed before (what the first searches after a build meet), the rest after.
    const vacuum = async (port: number): Promise<Record<string, Value>> => {
      const rare = QUERIES.find((q) => q.key === 'prefixFew')!;
      const before = await timeQuery(port, rare, 1, 10, 15_000);
      await adminQuery(`VACUUM ANALYZE "${schema}".scrawl_boards`);
      console.log(`  PostgreSQL: ${rare.label} before VACUUM ANALYZE, server p50 / max ${fmt(percentile(before.server, 50))} / ${fmt(Math.max(...before.server))} ms (${before.server.length} requests)`);
      return { beforeVacuum: percentile(before.server, 50) };
    };
    const queried = await buildAndQuery('PostgreSQL', { DATABASE_URL, DATABASE_SCHEMA: schema }, corpus, ctx, vacuum);
    return Object.fromEntries(Object.entries(queried).map(([k, v]) => [`pg_${k}`, v]));
  } finally {
    await store.close().catch(() => {}); // already closed unless writing failed
    await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
}

const perStore = (prefix: string, store: string) => [
  { key: `${prefix}_buildS`, label: `${store}: build ${N} entries (s)`, ratio: false },
  { key: `${prefix}_buildProbeMax`, label: `${store}: list round trip during the build, max (ms)`, ratio: false },
  { key: `${prefix}_list`, label: `${store}: list page, server p50 / p95 / p99 (ms)`, ratio: false },
  { key: `${prefix}_listP95`, label: `${store}: list page, server p95 (ms)`, target: '<= 50 ms', ratio: false },
  { key: `${prefix}_searchP95`, label: `${store}: slowest search, server p95 (ms)`, target: '<= 50 ms', ratio: false },
  { key: `${prefix}_slowest`, label: `${store}: slowest search`, ratio: false },
  ...(prefix === 'pg' ? [{ key: 'pg_beforeVacuum', label: 'PostgreSQL: prefix "zepp" before VACUUM ANALYZE, server p50 (ms)', ratio: false }] : []),
];

export const catalog: Scenario = {
  name: 'catalog',
  title: `board catalog: ${N} boards, build, list and search (LevelDB, PostgreSQL), memory, relay cost with the catalog on ÷ off`,
  targets: ['scrawl-sync'],
  optIn: true,
  metrics: [
    ...perStore('ldb', 'LevelDB'),
    { key: 'heapPerBoard', label: 'embedded catalog heap per board (KiB)', ratio: false },
    { key: 'rssOn', label: `server RSS, ${N}-board catalog on (MiB)`, ratio: false },
    { key: 'rssOff', label: 'server RSS, catalog off (MiB)', ratio: false },
    { key: 'readyOn', label: 'start -> /healthz 200, catalog on (ms)', ratio: false },
    { key: 'readyOff', label: 'start -> /healthz 200, catalog off (ms)', ratio: false },
    { key: 'relayOn', label: 'relay CPU µs / delivered msg, catalog on', ratio: false },
    { key: 'relayOff', label: 'relay CPU µs / delivered msg, catalog off', ratio: false },
    { key: 'relayRatio', label: `relay CPU on ÷ off, median of ${PAIRS} pairs (range)`, target: '<= 1.03x', ratio: false },
    { key: 'ackOn', label: 'ack latency p50, catalog on (ms)', ratio: false },
    { key: 'ackOff', label: 'ack latency p50, catalog off (ms)', ratio: false },
    { key: 'ackRatio', label: `ack p50 on ÷ off, median of ${PAIRS} pairs (range)`, target: '<= 1.03x', ratio: false },
    ...perStore('pg', 'PostgreSQL'),
  ],
  async run(_target, ctx) {
    const leveldb = await onLevelDb(ctx);
    const postgres = await onPostgres(ctx);
    return { ...leveldb, ...postgres };
  },
};
