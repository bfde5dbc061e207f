import type { BrowserContext, Page } from '@playwright/test';

/**
 * The app's test hook (web/src/app/mountBoard.ts): `window.__scrawl = { room, editor, store, doc, provider, binding,
 * status }`. Typed loosely here so the e2e package does not compile the web app's sources.
 */
declare global {
  interface Window {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    __scrawl?: any;
  }
}

/** A tldraw record as JSON (what `page.evaluate` hands back). */
export interface ShapeJson {
  id: string;
  type: string;
  typeName: string;
  parentId: string;
  x: number;
  y: number;
  props: Record<string, any>;
  [key: string]: unknown;
}

/** Opens `/b/:room` in a new tab and waits until the board is bound and its link is up; optionally names the user. */
export async function openBoard(context: BrowserContext, baseUrl: string, room: string, userName?: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/b/${room}`);
  await waitUntilConnected(page);
  if (userName) await page.evaluate((name) => window.__scrawl.editor.user.updateUserPreferences({ name }), userName);
  return page;
}

/** Waits until the test hook exists and the connection status says 'connected' (synced with the server). */
export async function waitUntilConnected(page: Page, timeoutMs = 20_000): Promise<void> {
  try {
    await page.waitForFunction(() => window.__scrawl?.status().state === 'connected', null, { timeout: timeoutMs });
  } catch (error) {
    const state = await page.evaluate(() => ({
      hook: window.__scrawl ? Object.keys(window.__scrawl) : null,
      status: window.__scrawl?.status?.(),
      text: document.body.innerText.slice(0, 300),
    }));
    throw new Error(`board did not reach 'connected' within ${timeoutMs} ms: ${JSON.stringify(state)}`, { cause: error });
  }
}

/** The shapes on the current page, as JSON, sorted by id. */
export async function shapesOf(page: Page): Promise<ShapeJson[]> {
  return page.evaluate(() =>
    (window.__scrawl.editor.getCurrentPageShapes() as ShapeJson[])
      .map((shape) => structuredClone(shape))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  );
}

/** The draw shapes on the current page, sorted by id. */
export async function strokesOf(page: Page): Promise<ShapeJson[]> {
  return (await shapesOf(page)).filter((shape) => shape.type === 'draw');
}

/** Selects the draw tool the way a user does: its keyboard shortcut. */
export async function selectDrawTool(page: Page): Promise<void> {
  await page.keyboard.press('d');
  const tool = await page.evaluate(() => window.__scrawl.editor.getCurrentToolId());
  if (tool !== 'draw') throw new Error(`pressing 'd' selected the '${tool}' tool, not 'draw'`);
}

/** A wavy horizontal stroke of `moves` pointer moves starting at (x, y), in screen pixels. */
export function wavyPath(x: number, y: number, moves = 30, stepPx = 6, amplitudePx = 20): Array<[number, number]> {
  const points: Array<[number, number]> = [];
  for (let i = 0; i <= moves; i++) points.push([x + i * stepPx, y + Math.round(Math.sin(i / 3) * amplitudePx)]);
  return points;
}

/**
 * Draws a stroke with the real mouse: draw tool, pointer down, one move per point, pointer up. `whileDrawing`, if
 * given, runs after the last move and before pointer-up (the stroke is still in progress then).
 */
export async function drawStroke(
  page: Page,
  points: Array<[number, number]>,
  whileDrawing?: () => Promise<void>,
): Promise<void> {
  await selectDrawTool(page);
  const [first, ...rest] = points;
  await page.mouse.move(first[0], first[1]);
  await page.mouse.down();
  for (const [x, y] of rest) await page.mouse.move(x, y);
  if (whileDrawing) await whileDrawing();
  await page.mouse.up();
}

/**
 * Draws a stroke and returns the shape it made (the one draw shape that was not there before), once the binding has
 * written it to the doc.
 */
export async function drawNewStroke(page: Page, points: Array<[number, number]>): Promise<ShapeJson> {
  const before = new Set((await strokesOf(page)).map((shape) => shape.id));
  await drawStroke(page, points);
  await page.evaluate(() => window.__scrawl.binding.flush());
  const made = (await strokesOf(page)).filter((shape) => !before.has(shape.id));
  if (made.length !== 1) throw new Error(`expected the stroke to make one draw shape, found ${made.length}`);
  return made[0];
}

/** Ids of the given shapes, sorted. */
export function idsOf(shapes: Array<{ id: string }>): string[] {
  return shapes.map((shape) => shape.id).sort();
}

/**
 * Waits until every page shows the same `count` shapes (identical records, every stroke finished) and returns them.
 * A snapshot taken from one page right after another page drew may still lack that page's last frame.
 */
export async function convergedShapes(pages: Page[], count: number, timeoutMs = 10_000): Promise<ShapeJson[]> {
  const deadline = Date.now() + timeoutMs;
  let last: ShapeJson[][] = [];
  while (Date.now() < deadline) {
    last = await Promise.all(pages.map(shapesOf));
    const first = JSON.stringify(last[0]);
    if (
      last[0].length === count &&
      last[0].every((shape) => shape.type !== 'draw' || shape.props.isComplete) &&
      last.every((shapes) => JSON.stringify(shapes) === first)
    ) {
      return last[0];
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `pages did not converge on ${count} shapes within ${timeoutMs} ms; ids per page: ` +
      JSON.stringify(last.map((shapes) => idsOf(shapes))),
  );
}
