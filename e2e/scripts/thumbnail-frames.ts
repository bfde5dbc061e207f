/**
 * What board thumbnails cost while someone draws: requestAnimationFrame deltas recorded in the page while the real
 * mouse draws strokes on a busy board, with the thumbnailer off, with it on as shipped (renders 3 s after edits
 * settle, so they land in the pauses between bursts of drawing), and with a render forced every second in the middle
 * of drawing (the worst case: a render that starts in an idle gap between two frames of a stroke).
 *
 *   node e2e/scripts/thumbnail-frames.ts        (builds nothing: run `npm run build --workspace web` first)
 *
 * Prints p50 / p95 / max frame time per case, and the renders' wall time (idle wait excluded), type and size.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { waitUntilConnected } from '../src/board.ts';
import { freePort, ScrawlServer } from '../src/scrawl-server.ts';

const STROKES_PER_CASE = Number(process.env.STROKES ?? 24);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

function summary(deltas: number[]): string {
  const sorted = [...deltas].sort((a, b) => a - b);
  return `frames ${sorted.length}, p50 ${quantile(sorted, 0.5).toFixed(1)} ms, p95 ${quantile(sorted, 0.95).toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms`;
}

/** A busy board: 60 notes with text and 20 geo shapes, made through the editor. */
async function fillBoard(page: Page): Promise<void> {
  await page.evaluate(() => {
    const editor = window.__scrawl.editor;
    const text = (t: string) => ({ type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: t }] }] });
    const shapes = [];
    for (let i = 0; i < 60; i++) shapes.push({ type: 'note', x: (i % 10) * 230, y: Math.floor(i / 10) * 230 + 400, props: { richText: text(`Idea ${i}: something worth doing`) } });
    for (let i = 0; i < 20; i++) shapes.push({ type: 'geo', x: i * 120, y: 100, props: { w: 100, h: 80, geo: i % 2 ? 'ellipse' : 'rectangle' } });
    editor.createShapes(shapes);
    editor.zoomToFit();
  });
  await page.evaluate(() => window.__scrawl.binding.flush());
}

/** Starts recording frame deltas; the returned function stops and hands them back. */
async function recordFrames(page: Page): Promise<() => Promise<number[]>> {
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __recording: boolean };
    w.__frames = [];
    w.__recording = true;
    let last = performance.now();
    const tick = (now: number) => {
      if (!w.__recording) return;
      w.__frames.push(now - last);
      last = now;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame((now) => {
      last = now;
      requestAnimationFrame(tick);
    });
  });
  return () =>
    page.evaluate(() => {
      const w = window as unknown as { __frames: number[]; __recording: boolean };
      w.__recording = false;
      return w.__frames;
    });
}

/** One stroke with the real mouse, 40 moves. */
async function stroke(page: Page, index: number): Promise<void> {
  const x = 150 + (index % 6) * 150;
  const y = 150 + Math.floor(index / 6) * 60;
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 40; i++) await page.mouse.move(x + i * 3, y + Math.sin(i / 4) * 25);
  await page.mouse.up();
}

/** Draws `count` strokes, recording frames only while drawing; `between` runs after each stroke, unrecorded. */
async function drawCase(page: Page, count: number, between?: (i: number) => Promise<void>): Promise<number[]> {
  const deltas: number[] = [];
  await page.keyboard.press('d');
  for (let i = 0; i < count; i++) {
    const stop = await recordFrames(page);
    await stroke(page, i);
    deltas.push(...(await stop()));
    if (between) await between(i);
  }
  await page.evaluate(() => void window.__scrawl.editor.undo());
  return deltas;
}

const dataDir = await mkdtemp(join(tmpdir(), 'scrawl-thumbnail-frames-'));
const server = new ScrawlServer({ dataDir, port: await freePort() });
await server.start();
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
  await page.goto(`${server.url}/b/frames-${Date.now().toString(36)}`);
  await waitUntilConnected(page);
  await fillBoard(page);
  await page.evaluate(() => window.__scrawl.thumbnails.setEnabled(false));
  // Warm-up: the first renders and strokes compile code paths.
  await page.evaluate(() => window.__scrawl.thumbnails.renderNow());
  await drawCase(page, 4);

  const off = await drawCase(page, STROKES_PER_CASE);

  // As shipped: bursts of 4 strokes, then a pause long enough for the settle time, so renders run between bursts.
  await page.evaluate(() => window.__scrawl.thumbnails.setEnabled(true));
  const rendersBefore = await page.evaluate(() => window.__scrawl.thumbnails.renders.length);
  const shipped = await drawCase(page, STROKES_PER_CASE, async (i) => {
    if (i % 4 === 3) await page.waitForTimeout(3_600);
  });
  await page.evaluate(() => window.__scrawl.thumbnails.setEnabled(false));
  const shippedRenders = (await page.evaluate(() => window.__scrawl.thumbnails.renders.length)) - rendersBefore;

  // Worst case: while drawing without pause, a render, a second's rest, the next render, and so on.
  await page.evaluate(() => {
    const w = window as unknown as { __forcing: boolean };
    w.__forcing = true;
    void (async () => {
      while (w.__forcing) {
        await window.__scrawl.thumbnails.renderNow();
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    })();
  });
  const forcedBefore = await page.evaluate(() => window.__scrawl.thumbnails.renders.length);
  const forced = await drawCase(page, STROKES_PER_CASE);
  await page.evaluate(() => void ((window as unknown as { __forcing: boolean }).__forcing = false));
  const forcedRenders = (await page.evaluate(() => window.__scrawl.thumbnails.renders.length)) - forcedBefore;

  const renders = await page.evaluate(() => window.__scrawl.thumbnails.renders);
  const timed = renders.filter((r: { renderMs?: number }) => r.renderMs !== undefined);
  const renderMs = timed.map((r: { renderMs: number }) => r.renderMs).sort((a: number, b: number) => a - b);
  console.log(`board: 80 shapes + strokes; ${STROKES_PER_CASE} strokes of 40 mouse moves per case`);
  console.log(`thumbnails off:                 ${summary(off)}`);
  console.log(`thumbnails on (as shipped):     ${summary(shipped)}  (${shippedRenders} renders between bursts)`);
  console.log(`renders back to back (1 s apart): ${summary(forced)}  (${forcedRenders} renders while drawing)`);
  console.log(
    `renders: ${timed.length}, wall time p50 ${quantile(renderMs, 0.5).toFixed(0)} ms, max ${renderMs.at(-1)?.toFixed(0)} ms; ` +
      `image ${timed.at(-1)?.type}, ${((timed.at(-1)?.bytes ?? 0) / 1024).toFixed(1)} KiB`,
  );
} finally {
  await browser.close();
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
