/**
 * Big boards (issues 3 and 18): opening 5,000- and 10,000-shape boards in headless Chromium, on Scrawl and on tldraw
 * sync in the same run, then panning and zooming across them; and where an open's CPU time goes.
 *
 * 1. The same board (bench/src/board/board-records.ts: 30 % text, 30 % labelled geo, 20 % freehand strokes, 20 %
 *    arrows bound at both ends) is written once per size through each product's own client (board/writers.ts):
 *    into a fresh Scrawl server (LevelDB store, serving the bench's own build of web/, board/builds.ts) over /yjs, laid out as
 *    docs/document-schema.md says, labels as typed text in `texts`; and into the tldraw sync anchor
 *    (bench/src/anchors/tldraw-sync.ts, serving bench/tldraw-page's build) by TLSyncClient with a tldraw store.
 * 2. Debian's Chromium (playwright-core, headless, never a downloaded browser) opens /b/:room on each 3 times, each
 *    in a fresh browser context (board/page-load.ts): navigation -> editor holds all shapes -> first painted frame
 *    with shapes (medians), then 5 s of scripted panning and zooming: requestAnimationFrame frame times (p50/p95 over
 *    the 3 loads' frames) and long tasks (median per load). Loads alternate between the products, so drift in the
 *    machine's speed falls on both.
 * 3. One more open of the 10,000-shape board on each, from unminified builds of the same pages, under a Chromium CPU
 *    profile (board/cpu-profile.ts), and its pan and zoom under another: self time by package and the top functions,
 *    printed after the table.
 * The camera opens at the origin (1280 x 800 viewport), so tldraw renders the shapes in view and culls the rest;
 * "painted" is the time to a usable board, not to every shape drawn.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { BOARD_COLUMNS, BOARD_SPACING } from '../board/board-records.ts';
import { ensureProfileBuilds, ensureScrawlBuild, ensureTldrawPage, SCRAWL_DIST, SCRAWL_PROFILE_DIST, TLDRAW_PAGE_DIST, TLDRAW_PROFILE_DIST } from '../board/builds.ts';
import { profileScripts, summariseProfile, type ProfileSummary } from '../board/cpu-profile.ts';
import { openBoard, type BoardLoad, type OpenBoardOptions } from '../board/page-load.ts';
import { writeScrawlBoard, writeTldrawBoard, type Written } from '../board/writers.ts';
import { reportLog, ScenarioSkipped, type Context, type Metric, type Scenario, type Value } from '../scenario.ts';
import { repoRoot, ServerProcess, type Target } from '../servers.ts';
import { fmt, median, percentile } from '../stats.ts';

/**
 * While iterating (the recorded figures use the defaults): BENCH_BOARD_SIZES=10000 (comma-separated shape counts),
 * BENCH_BOARD_LOADS=1 (opens per product and size), BENCH_BOARD_PROFILE=0 (skip the profiled opens).
 */
const SIZES = (process.env.BENCH_BOARD_SIZES ?? '5000,10000').split(',').map(Number).filter((n) => n > 0);
const LOADS = Math.max(1, Number(process.env.BENCH_BOARD_LOADS) || 3);
const PROFILE = process.env.BENCH_BOARD_PROFILE !== '0';
const PAN_ZOOM_MS = 5_000;
/** The open that is profiled (the issue asks where a 10,000-shape open's time goes). */
const PROFILE_SIZE = 10_000;
const PROFILE_SAMPLING_US = 250;
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const scrawlEntry = join(repoRoot, 'bench', 'src', 'board', 'scrawl-entry.ts');

type Product = 'scrawl' | 'tldraw';
const PRODUCTS: Product[] = ['scrawl', 'tldraw'];
const LABEL: Record<Product, string> = { scrawl: 'Scrawl', tldraw: 'tldraw sync' };

/** Rows of the comparison: key, label, whether a ratio means anything, and the issue's target (10,000 shapes). */
const MEASURES: Array<{ key: string; label: string; ratio: boolean; target?: string }> = [
  { key: 'shapes', label: 'nav start -> editor holds all shapes (ms)', ratio: true },
  { key: 'painted', label: 'nav start -> first frame with shapes (ms)', ratio: true, target: '≤ 1,500 ms and ≤ 0.5x tldraw sync' },
  { key: 'worst', label: 'painted, slowest of the loads (ms)', ratio: true },
  { key: 'fcp', label: 'first contentful paint, page shell (ms)', ratio: true },
  { key: 'mainCpu', label: 'main-thread CPU, nav start -> painted (ms)', ratio: true },
  { key: 'processCpu', label: 'renderer process CPU, nav start -> painted (ms)', ratio: true },
  { key: 'dom', label: '.tl-shape elements in that frame', ratio: false },
  { key: 'frameP50', label: 'pan/zoom frame time p50 (ms)', ratio: true },
  { key: 'frameP95', label: 'pan/zoom frame time p95 (ms)', ratio: true, target: '≤ 16.7 ms or ≤ tldraw sync' },
  { key: 'frames', label: 'pan/zoom frames in 5 s (per load, median)', ratio: true },
  { key: 'longTasks', label: 'long tasks in 5 s pan/zoom (per load, median)', ratio: false },
  { key: 'longTaskMs', label: 'long task time in 5 s pan/zoom (ms, per load, median)', ratio: true },
  { key: 'writeMs', label: "write through the product's own client, until stored (ms)", ratio: true },
  { key: 'bytes', label: 'board as its client sent it (KiB)', ratio: true },
];

const size = (n: number) => `${n / 1000}k`;
const metricKey = (shapes: number, measure: string, product: Product | 'ratio') => `${size(shapes)}.${measure}.${product}`;

function metrics(): Metric[] {
  const out: Metric[] = [];
  for (const shapes of SIZES) {
    for (const m of MEASURES) {
      const target = shapes === PROFILE_SIZE ? m.target : undefined;
      for (const product of PRODUCTS) out.push({ key: metricKey(shapes, m.key, product), label: `${size(shapes)} ${m.label}: ${LABEL[product]}`, ratio: false });
      if (m.ratio) out.push({ key: metricKey(shapes, m.key, 'ratio'), label: `${size(shapes)} ${m.label}: Scrawl ÷ tldraw sync`, ratio: false, target });
    }
  }
  return out;
}

/** Per-product figures of one size from its loads and its write. */
function figures(loads: BoardLoad[], written: Written): Record<string, number> {
  const of = (pick: (load: BoardLoad) => number | undefined) => loads.map(pick).filter((v): v is number => typeof v === 'number');
  const frames = loads.flatMap((load) => load.panZoom?.frames ?? []);
  return {
    shapes: median(of((l) => l.probe.shapesAt)),
    painted: median(of((l) => l.probe.paintedAt)),
    worst: Math.max(...of((l) => l.probe.paintedAt)),
    fcp: median(of((l) => l.probe.fcp)),
    mainCpu: median(of((l) => l.probe.mainThreadCpuMs)),
    processCpu: median(of((l) => l.probe.processCpuMs)),
    dom: median(of((l) => l.probe.domShapes)),
    frameP50: percentile(frames, 50),
    frameP95: percentile(frames, 95),
    frames: median(of((l) => l.panZoom?.frames.length)),
    longTasks: median(of((l) => l.panZoom?.longTasks)),
    longTaskMs: median(of((l) => l.panZoom?.longTaskMs)),
    writeMs: written.writeMs,
    bytes: written.bytes / 1024,
  };
}

/** The side-by-side table for one size, printed as the scenario goes (run.ts prints the same rows at the end). */
function sideBySide(shapes: number, values: Record<string, Value>): string {
  const rows = [['metric', 'Scrawl', 'tldraw sync', 'Scrawl ÷ tldraw sync', 'target'], ...MEASURES.map((m) => [
    `${size(shapes)} ${m.label}`,
    ...(['scrawl', 'tldraw', 'ratio'] as const).map((p) => {
      const v = values[metricKey(shapes, m.key, p)];
      return v === undefined ? '' : typeof v === 'number' ? (p === 'ratio' ? `${fmt(v)}x` : fmt(v)) : v;
    }),
    shapes === PROFILE_SIZE ? m.target ?? '' : '',
  ])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`).join('\n');
}

function printProfile(product: Product, phase: string, summary: ProfileSummary): string {
  const pct = (ms: number) => `${((100 * ms) / summary.totalMs).toFixed(1)} %`;
  const lines = [`CPU profile, ${LABEL[product]}, ${PROFILE_SIZE.toLocaleString('en')} shapes, ${phase} (${fmt(summary.totalMs)} ms sampled):`];
  lines.push('  self time by group:');
  for (const g of summary.groups) lines.push(`    ${fmt(g.ms).padStart(7)} ms  ${pct(g.ms).padStart(7)}  ${g.name}`);
  lines.push('  top functions by self time:');
  for (const f of summary.functions) {
    lines.push(`    ${fmt(f.ms).padStart(7)} ms  ${f.name}`);
    // Who asked: V8's own entries have no JavaScript caller worth naming.
    if (!/^\(/.test(f.name)) lines.push(`               called from ${f.callers.map((c) => `${c.name} ${fmt(c.ms)} ms`).join(', ')}`);
  }
  return lines.join('\n');
}

/**
 * Opens one board once more under the CPU profiler, pans and zooms, and summarises both phases, fetching the
 * scripts from `origin`.
 */
async function profileOpen(browser: Browser, origin: string, room: string, options: OpenBoardOptions): Promise<{ open: ProfileSummary; panZoom: ProfileSummary }> {
  const load = await openBoard(browser, `${origin}/b/${room}`, { ...options, profile: true, samplingIntervalUs: PROFILE_SAMPLING_US });
  const sources = new Map<string, string>();
  for (const url of profileScripts(load.profile!)) sources.set(url, await (await fetch(url)).text());
  return { open: summariseProfile(load.profile!, sources), panZoom: summariseProfile(load.panZoomProfile!, sources) };
}

async function stopAndReport(server: ServerProcess | undefined, target: Target, ctx: Context): Promise<void> {
  if (!server) return;
  if (!server.alive) ctx.note(target, `${server.kind} server exited unexpectedly (${server.child.exitCode ?? server.child.signalCode})`);
  await server.stop();
  reportLog(server, target, ctx);
}

/** `npm run bench -- board`: the big boards on Scrawl and tldraw sync (see the module comment). */
export const board: Scenario = {
  name: 'board',
  title: `opening ${SIZES.map((n) => n.toLocaleString('en')).join(' and ')}-shape boards in headless Chromium, Scrawl and tldraw sync (median of ${LOADS} loads), then ${PAN_ZOOM_MS / 1000} s of panning and zooming`,
  targets: ['scrawl-sync'],
  // ~8-10 min on 2 busy cores (two boards of each size written, 12 cold loads with 5 s of pan/zoom each, two
  // profiled opens, and the page builds when web/ or the tldraw page changed).
  optIn: true,
  metrics: metrics(),
  async run(target, ctx) {
    if (!existsSync(CHROMIUM)) throw new ScenarioSkipped(`${CHROMIUM} not found (Debian's chromium package)`);
    for (const line of [ensureScrawlBuild(), ensureTldrawPage(), ...(PROFILE ? ensureProfileBuilds() : [])]) ctx.note(target, line);
    const values: Record<string, Value> = {};
    const servers: Partial<Record<'scrawl' | 'tldraw' | 'scrawlProfile' | 'tldrawProfile', ServerProcess>> = {};
    let browser: Browser | undefined;
    const profiles: string[] = [];
    try {
      servers.scrawl = await ServerProcess.start('scrawl', { WEB_ROOT: SCRAWL_DIST }, scrawlEntry);
      servers.tldraw = await ServerProcess.start('tldraw', { STATIC_DIR: TLDRAW_PAGE_DIST });
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
      const origin = (product: Product) => `http://127.0.0.1:${servers[product]!.port}`;
      const rooms = new Map<number, string>();
      for (const shapes of SIZES) {
        const room = `bench${size(shapes)}${Date.now().toString(36)}`;
        rooms.set(shapes, room);
        const written: Record<Product, Written> = {
          scrawl: await writeScrawlBoard(servers.scrawl.port, room, shapes),
          tldraw: await writeTldrawBoard(servers.tldraw.port, room, shapes),
        };
        console.log(`  ${shapes} shapes written: Scrawl ${written.scrawl.records} records in ${fmt(written.scrawl.writeMs)} ms, tldraw sync ${written.tldraw.records} records in ${fmt(written.tldraw.writeMs)} ms`);
        await new Promise((r) => setTimeout(r, 1_000)); // Scrawl unloads the room: each page load opens it from the store
        const options: OpenBoardOptions = { shapes, width: BOARD_COLUMNS * BOARD_SPACING, height: Math.ceil(shapes / BOARD_COLUMNS) * BOARD_SPACING, panZoomMs: PAN_ZOOM_MS };
        const loads: Record<Product, BoardLoad[]> = { scrawl: [], tldraw: [] };
        for (let i = 0; i < LOADS; i++) {
          for (const product of i % 2 === 0 ? PRODUCTS : [...PRODUCTS].reverse()) {
            const load = await openBoard(browser, `${origin(product)}/b/${room}`, options);
            loads[product].push(load);
            if (load.probe.error) ctx.note(target, `${LABEL[product]} ${shapes} load ${i + 1}: probe error ${load.probe.error}`);
            if (load.pageErrors.length > 0) ctx.note(target, `${LABEL[product]} ${shapes} load ${i + 1}: ${load.pageErrors.length} page error(s), e.g. ${load.pageErrors[0]}`);
            const { probe, panZoom } = load;
            console.log(`    ${LABEL[product].padEnd(11)} ${shapes} load ${i + 1}: all shapes ${fmt(probe.shapesAt ?? NaN)} ms, painted ${fmt(probe.paintedAt ?? NaN)} ms (main thread CPU ${fmt(probe.mainThreadCpuMs ?? NaN)} ms), ${probe.domShapes} .tl-shape; pan/zoom ${panZoom?.frames.length} frames, p95 ${fmt(percentile(panZoom?.frames ?? [], 95))} ms, ${panZoom?.longTasks} long tasks (${fmt(panZoom?.longTaskMs ?? NaN)} ms)`);
            await new Promise((r) => setTimeout(r, 1_000));
          }
        }
        const per = { scrawl: figures(loads.scrawl, written.scrawl), tldraw: figures(loads.tldraw, written.tldraw) };
        for (const m of MEASURES) {
          values[metricKey(shapes, m.key, 'scrawl')] = per.scrawl[m.key]!;
          values[metricKey(shapes, m.key, 'tldraw')] = per.tldraw[m.key]!;
          if (m.ratio) values[metricKey(shapes, m.key, 'ratio')] = per.scrawl[m.key]! / per.tldraw[m.key]!;
        }
        console.log(`\n${sideBySide(shapes, values)}\n`);
      }

      // The profiled opens: the same stored board behind unminified builds of the same pages.
      const room = rooms.get(PROFILE_SIZE);
      if (!PROFILE || room === undefined) return values;
      const dataDir = servers.scrawl.dataDir;
      await stopAndReport(servers.scrawl, target, ctx);
      delete servers.scrawl;
      servers.scrawlProfile = await ServerProcess.start('scrawl', { DATA_DIR: dataDir, WEB_ROOT: SCRAWL_PROFILE_DIST }, scrawlEntry);
      servers.tldrawProfile = await ServerProcess.start('tldraw', { STATIC_DIR: TLDRAW_PROFILE_DIST });
      await writeTldrawBoard(servers.tldrawProfile.port, room, PROFILE_SIZE);
      await new Promise((r) => setTimeout(r, 1_000));
      const options: OpenBoardOptions = { shapes: PROFILE_SIZE, width: BOARD_COLUMNS * BOARD_SPACING, height: Math.ceil(PROFILE_SIZE / BOARD_COLUMNS) * BOARD_SPACING, panZoomMs: PAN_ZOOM_MS };
      for (const [product, server] of [['scrawl', servers.scrawlProfile], ['tldraw', servers.tldrawProfile]] as const) {
        const summary = await profileOpen(browser, `http://127.0.0.1:${server.port}`, room, options);
        profiles.push(printProfile(product, 'one open (nav start -> painted)', summary.open), printProfile(product, `${PAN_ZOOM_MS / 1000} s of pan/zoom`, summary.panZoom));
        console.log(`\n${profiles.slice(-2).join('\n\n')}\n`);
      }
    } finally {
      await browser?.close();
      for (const server of Object.values(servers)) await stopAndReport(server, target, ctx);
    }
    // run.ts prints the table again at the end; the profiles go with it as notes.
    for (const text of profiles) ctx.note(target, `\n${text}`);
    return values;
  },
};
