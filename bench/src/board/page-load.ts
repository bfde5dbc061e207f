/**
 * One cold open of a board in headless Chromium, the same for Scrawl's page and the tldraw sync page: a fresh browser
 * context (empty cache, no IndexedDB copy of the board), the page's timeline read by an init script, then 5 s of
 * scripted panning and zooming across the board with frame times and long tasks read in the page.
 *
 * Open: an init script polls every 5 ms from the page's first script on:
 * - "editor holds all shapes": window.__scrawl.editor.getCurrentPageShapeIds().size >= the board's shape count;
 * - "painted": after that, as soon as `.tl-shape` elements exist, the next requestAnimationFrame callback (the
 *   frame in which they are painted).
 * Times are the page's performance.now(), whose origin is the navigation start. First contentful paint (the app
 * shell) comes from the Paint Timing API.
 *
 * Pan and zoom: 1 s after the painted frame (the page settles), a requestAnimationFrame loop moves the camera with
 * editor.setCamera for 5 s: across the board from left to right on a sine wave over its height, zooming 100 % ->
 * 20 % -> 100 % twice (at 20 % a 1280 x 800 view holds about 35 x 22 grid cells, i.e. ~750 shapes). Frame times are
 * the deltas between requestAnimationFrame callbacks; long tasks come from a PerformanceObserver('longtask') over the
 * same 5 s. The same script drives both products' editors, so the work per frame is tldraw's rendering of what the
 * camera shows plus whatever each product's sync layer does meanwhile (nothing: the camera is session state).
 *
 * Every open also reads the renderer's CPU time at the painted frame (CDP Performance.getMetrics: main thread and
 * whole process): on a shared machine the wall-clock times are mostly waiting for a core, the CPU time is the work.
 *
 * With `profile`, a Chromium CPU profile (CDP Profiler domain) covers navigation start -> painted frame, and a
 * second one the pan and zoom.
 */
import type { Browser } from 'playwright-core';

/** The page's timeline of one open (ms since navigation start). */
export interface Probe {
  editorAt?: number;
  firstShapeAt?: number;
  shapesAt?: number;
  paintedAt?: number;
  domShapes?: number;
  fcp?: number;
  /**
   * CPU time of the page's renderer up to the painted frame (ms, CDP Performance.getMetrics): its main thread
   * (`ThreadTime`) and the whole renderer process (`ProcessTime`, with its compositor, GC and worker threads).
   * On a shared 2-core machine the wall-clock times above are mostly waiting for a core; this is the work itself.
   */
  mainThreadCpuMs?: number;
  processCpuMs?: number;
  error?: string;
}

/** Frame times and long tasks while panning and zooming. */
export interface PanZoom {
  frames: number[];
  longTasks: number;
  longTaskMs: number;
}

/** A CPU profile as CDP's Profiler.stop returns it (the parts cpu-profile.ts reads). */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** What one open measured. */
export interface BoardLoad {
  probe: Probe;
  panZoom?: PanZoom;
  profile?: CpuProfile;
  /** The CPU profile of the pan and zoom (with `profile` and `panZoomMs`). */
  panZoomProfile?: CpuProfile;
  pageErrors: string[];
}

/** Options of {@link openBoard}. */
export interface OpenBoardOptions {
  /** The board's shape count: "loaded" means the editor holds this many. */
  shapes: number;
  /** The board's extent in page units, which the camera crosses. */
  width: number;
  height: number;
  /** Pan and zoom for this long after the painted frame; 0 skips it. */
  panZoomMs: number;
  /** Take a CPU profile of navigation start -> painted, and one of the pan and zoom. */
  profile?: boolean;
  /** Sampling interval of the profile, µs (CDP's default is 1,000). */
  samplingIntervalUs?: number;
}

/** Runs in the page before any of its scripts (addInitScript); `count` is the number of shapes to wait for. */
function probeScript(count: number): string {
  return `(() => {
    const probe = {};
    window.__benchProbe = probe;
    try {
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) if (entry.name === 'first-contentful-paint') probe.fcp = entry.startTime;
      }).observe({ type: 'paint', buffered: true });
    } catch {}
    const timer = setInterval(() => {
      try {
        const editor = window.__scrawl && window.__scrawl.editor;
        if (editor && probe.editorAt === undefined) probe.editorAt = performance.now();
        const size = editor ? editor.getCurrentPageShapeIds().size : 0;
        if (size > 0 && probe.firstShapeAt === undefined) probe.firstShapeAt = performance.now();
        if (probe.shapesAt === undefined && size >= ${count}) probe.shapesAt = performance.now();
        if (probe.shapesAt !== undefined && document.querySelector('.tl-shape')) {
          clearInterval(timer);
          requestAnimationFrame(() => {
            probe.paintedAt = performance.now();
            probe.domShapes = document.querySelectorAll('.tl-shape').length;
          });
        }
      } catch (error) {
        probe.error = String(error);
      }
    }, 5);
  })();`;
}

/** Evaluated in the page after it settled: the camera path and the measurement (see the module comment). */
function panZoomScript(durationMs: number, width: number, height: number): string {
  return `new Promise((resolve) => {
    const editor = window.__scrawl.editor;
    const view = editor.getViewportScreenBounds();
    const frames = [];
    let longTasks = 0;
    let longTaskMs = 0;
    let observer;
    try {
      observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) { longTasks++; longTaskMs += entry.duration; }
      });
      observer.observe({ type: 'longtask' });
    } catch {}
    let start;
    let last;
    const frame = (now) => {
      if (start === undefined) { start = now; last = now; }
      else { frames.push(now - last); last = now; }
      const t = (now - start) / ${durationMs};
      if (t >= 1) {
        // Long tasks are reported after they end: give the last one a frame to arrive.
        requestAnimationFrame(() => { observer && observer.disconnect(); resolve({ frames, longTasks, longTaskMs }); });
        return;
      }
      const z = 0.2 + 0.8 * (0.5 + 0.5 * Math.cos(4 * Math.PI * t));
      const cx = ${width} * t;
      const cy = ${height} * (0.5 - 0.5 * Math.cos(2 * Math.PI * t));
      editor.setCamera({ x: view.w / (2 * z) - cx, y: view.h / (2 * z) - cy, z });
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  })`;
}

/** Opens `url` once in a fresh context of `browser` and measures it (see the module comment). */
export async function openBoard(browser: Browser, url: string, options: OpenBoardOptions): Promise<BoardLoad> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.addInitScript(probeScript(options.shapes));
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    if (options.profile) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: options.samplingIntervalUs ?? 1_000 });
      await cdp.send('Profiler.start');
    }
    await page.goto(url);
    try {
      await page.waitForFunction('window.__benchProbe.paintedAt !== undefined', undefined, { timeout: 120_000, polling: 100 });
    } catch (error) {
      const probe = await page.evaluate('window.__benchProbe').catch(() => undefined);
      throw new Error(`${url}: ${(error as Error).message}; probe ${JSON.stringify(probe)}; page errors: ${pageErrors.slice(0, 3).join(' | ')}`);
    }
    const metrics = ((await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> }).metrics;
    const profile = options.profile ? ((await cdp.send('Profiler.stop')) as { profile: CpuProfile }).profile : undefined;
    const probe = (await page.evaluate('window.__benchProbe')) as Probe;
    const metric = (name: string) => metrics.find((m) => m.name === name)?.value;
    // Read right after the painted frame was seen (Playwright polls every 100 ms), so up to ~100 ms past it.
    if (metric('ThreadTime') !== undefined) probe.mainThreadCpuMs = metric('ThreadTime')! * 1000;
    if (metric('ProcessTime') !== undefined) probe.processCpuMs = metric('ProcessTime')! * 1000;
    let panZoom: PanZoom | undefined;
    let panZoomProfile: CpuProfile | undefined;
    if (options.panZoomMs > 0) {
      await page.waitForTimeout(1_000);
      if (options.profile) await cdp.send('Profiler.start');
      panZoom = (await page.evaluate(panZoomScript(options.panZoomMs, options.width, options.height))) as PanZoom;
      if (options.profile) panZoomProfile = ((await cdp.send('Profiler.stop')) as { profile: CpuProfile }).profile;
    }
    return { probe, panZoom, profile, panZoomProfile, pageErrors };
  } finally {
    await context.close();
  }
}
