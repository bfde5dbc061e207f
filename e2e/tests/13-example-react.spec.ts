import { rm } from 'node:fs/promises';
import { convergedShapes, drawNewStroke, strokesOf, wavyPath } from '../src/board.ts';
import { expect, test } from '../src/fixtures.ts';
import { readLedger } from '../src/request-ledger.ts';
import { buildReactExample, type BuiltReactExample } from '../src/react-example.ts';
import { serveDirectory, type StaticHost } from '../src/static-host.ts';

/**
 * docs/examples/react (issue 4: every embedding way has a working example that a test exercises): the minimal Vite +
 * React app rendering `<ScrawlBoard>` from `@scrawl/web`'s library build, built here with Vite from its own
 * vite.config.ts, served from a second HTTP server on 127.0.0.1 (another port, so another origin), and configured the
 * way its src/main.tsx reads it: `?server=<Scrawl origin>&room=<room>`. The example bundles tldraw's fonts, icons and
 * translations (@tldraw/assets), so nothing may leave 127.0.0.1: the request ledger checks it.
 */
let built: BuiltReactExample;
let host: StaticHost;

test.beforeAll(async () => {
  test.setTimeout(90_000);
  built = await buildReactExample();
  console.log(`react example: library + app built in ${(built.buildMs / 1000).toFixed(1)} s`);
  host = await serveDirectory(built.outDir);
});

test.afterAll(async () => {
  await host?.close();
  if (built) await rm(built.workDir, { recursive: true, force: true });
});

test('docs/examples/react on another origin renders <ScrawlBoard>, and its strokes reach the app in the same room', async ({ boards, server, room }) => {
  expect(built.buildMs, 'building the library and the example').toBeLessThan(60_000);

  const { context } = await boards.newContext();
  const page = await context.newPage();
  const mounted: string[] = [];
  page.on('console', (message) => {
    if (message.text().startsWith('Scrawl board mounted')) mounted.push(message.text());
  });
  await page.goto(`${host.origin}/?server=${encodeURIComponent(server.url)}&room=${room}`);

  // The example's own page around the board, and the board inside it, connected to the test's server.
  await expect(page.getByText(`My app · board “${room}”`)).toBeVisible();
  await expect(page.locator('.tl-canvas')).toBeVisible();
  await page.waitForFunction(() => window.__scrawl?.status().state === 'connected');
  expect(await page.evaluate(() => window.__scrawl.room)).toBe(room);
  // Its onMount callback ran with the editor.
  await expect.poll(() => mounted).toEqual(['Scrawl board mounted page:page']);
  // The user it passes is the one shown to others.
  expect(await page.evaluate(() => window.__scrawl.editor.user.getName())).toBe('Ada from my app');

  // A stroke drawn with the mouse in the React app reaches a second client of the room: the regular app.
  const other = await (await boards.newContext()).open(room, 'Bob');
  const stroke = await drawNewStroke(page, wavyPath(300, 300, 25));
  const [shared] = await convergedShapes([page, other], 1);
  expect(shared.id).toBe(stroke.id);
  expect(shared.type).toBe('draw');

  // And back: the app's stroke shows in the React app.
  const back = await drawNewStroke(other, wavyPath(300, 450, 20));
  await convergedShapes([page, other], 2);
  expect((await strokesOf(page)).map((s) => s.id)).toContain(back.id);

  // The example was served from the build (index.html, then its hashed assets), nothing else asked of the host.
  expect(host.requests[0]).toBe('/');
  expect(host.requests.slice(1).every((path) => path.startsWith('/assets/'))).toBe(true);
  // tldraw's translations and icons came from the example's own build, not from tldraw's CDN.
  expect(host.requests.some((path) => /\/assets\/[\w-]+\.woff2$/.test(path)), 'fonts from the build').toBe(true);
  expect(host.requests.some((path) => /\/assets\/[\w-]+\.svg$/.test(path)), 'icons from the build').toBe(true);

  // Scenario 99 judges every request of the session at the end; this test also checks its own at once.
  const mine = readLedger().filter((entry) => entry.test === test.info().titlePath.slice(1).join(' > '));
  expect(mine.some((entry) => entry.url.startsWith(host.origin)), 'the ledger saw the host page').toBe(true);
  expect(mine.filter((entry) => entry.foreign).map((entry) => `${entry.kind} ${entry.url}`), 'requests to anything but 127.0.0.1').toEqual([]);
});
