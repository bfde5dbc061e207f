import { join } from 'node:path';
import type { Frame, Page } from '@playwright/test';
import { drawNewStroke, strokesOf, wavyPath } from '../src/board.ts';
import { expect, test } from '../src/fixtures.ts';
import { readLedger } from '../src/request-ledger.ts';
import { REPO_ROOT } from '../src/scrawl-server.ts';
import { serveDirectory } from '../src/static-host.ts';

/**
 * docs/examples/iframe.html exactly as shipped (issue 4: every embedding way has a working example that a test
 * exercises): served as a file from a second HTTP server on 127.0.0.1 (another port, so another origin), configured the
 * way its header comment documents, `?server=<Scrawl origin>&room=<room>`. The page builds the `/embed/:room` URL
 * itself, listens for the board's messages, and shows status, shape count, a log and an exported PNG.
 */
async function embedFrame(page: Page): Promise<Frame> {
  await expect.poll(() => page.frames().some((f) => f.url().includes('/embed/'))).toBe(true);
  return page.frames().find((f) => f.url().includes('/embed/'))!;
}

const logOf = (page: Page) => page.locator('#log').textContent();

test('docs/examples/iframe.html on another origin shows the board and hears ready, status, changes and the PNG', async ({ boards, server, room }) => {
  const host = await serveDirectory(join(REPO_ROOT, 'docs/examples'));
  try {
    const { context } = await boards.newContext();
    const page = await context.newPage();
    await page.goto(`${host.origin}/iframe.html?server=${encodeURIComponent(server.url)}&room=${room}`);

    // The example pointed its iframe at the test's server, with this page as the only allowed parent.
    const frame = await embedFrame(page);
    const src = new URL(frame.url());
    expect(src.origin).toBe(server.url);
    expect(src.pathname).toBe(`/embed/${room}`);
    expect(src.searchParams.get('parentOrigin')).toBe(host.origin);
    expect(src.searchParams.get('ui')).toBe('full');

    // The parent received scrawl:ready (the example logs it), then the connection status it displays.
    await expect.poll(() => logOf(page)).toContain(`board ${room} is ready`);
    expect(await logOf(page)).toContain(JSON.stringify({ type: 'scrawl:ready', room }));
    await expect(page.locator('#status')).toHaveText('connected (0 unsynced)');

    // The board shows in the iframe, with the full UI (the example's default `ui=full`): canvas and toolbar.
    const board = page.frameLocator('#board');
    await expect(board.locator('.tl-canvas')).toBeVisible();
    await expect(board.getByTestId('tools.draw')).toBeVisible();
    await frame.waitForFunction(() => window.__scrawl?.status().state === 'connected');

    // Someone draws on /b/:room: the example's shape count follows the scrawl:change messages.
    const drawer = await (await boards.newContext()).open(room, 'Drawer');
    await drawNewStroke(drawer, wavyPath(300, 300, 20));
    await expect(page.locator('#shapes')).toHaveText('1');

    // A stroke drawn with the mouse inside the embedded board reaches the other client, and the count follows.
    await board.getByTestId('tools.draw').click();
    const box = (await page.locator('#board').boundingBox())!;
    const path = wavyPath(box.x + 200, box.y + box.height / 2, 20);
    await page.mouse.move(...path[0]);
    await page.mouse.down();
    for (const point of path.slice(1)) await page.mouse.move(...point);
    await page.mouse.up();
    await expect(page.locator('#shapes')).toHaveText('2');
    await expect.poll(async () => (await strokesOf(drawer)).filter((s) => s.props.isComplete).length).toBe(2);

    // The example's Export PNG button: the reply (scrawl:png) lands in its <img>.
    await page.getByRole('button', { name: 'Export PNG' }).click();
    await expect(page.locator('#png')).toHaveAttribute('src', /^data:image\/png;base64,/);
    const png = (await page.locator('#png').getAttribute('src'))!;
    expect(Buffer.from(png.split(',')[1], 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(await logOf(page)).not.toContain('no PNG');

    // The host served the example file itself (unmodified: the page asked for nothing else).
    expect(host.requests.filter((path) => path !== '/favicon.ico')).toEqual(['/iframe.html']);

    // Scenario 99 judges every request of the session at the end; this test also checks its own at once.
    const mine = readLedger().filter((entry) => entry.test === test.info().titlePath.slice(1).join(' > '));
    expect(mine.some((entry) => entry.url.startsWith(host.origin)), 'the ledger saw the host page').toBe(true);
    expect(mine.filter((entry) => entry.foreign).map((entry) => `${entry.kind} ${entry.url}`), 'requests to anything but 127.0.0.1').toEqual([]);
  } finally {
    await host.close();
  }
});
