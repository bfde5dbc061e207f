import { createServer, type Server } from 'node:http';
import type { Frame, Page } from '@playwright/test';
import { drawNewStroke, wavyPath } from '../src/board.ts';
import { expect, test } from '../src/fixtures.ts';
import { freePort } from '../src/scrawl-server.ts';

/**
 * The iframe embed on a page of another origin (docs/embedding.md): a second HTTP server on 127.0.0.1 and another port
 * serves a parent page with two iframes of `/embed/:room`: one lists the parent's origin in `?parentOrigin=`, the
 * other lists a different origin and so must never talk to this parent.
 */
function parentPage(scrawlOrigin: string, parentOrigin: string, room: string): string {
  const embed = (allowed: string) =>
    `${scrawlOrigin}/embed/${room}?ui=minimal&theme=dark&parentOrigin=${encodeURIComponent(allowed)}`;
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Host app</title></head>
<body style="margin:0">
  <iframe id="allowed" src="${embed(parentOrigin)}" style="width:900px;height:600px;border:0"></iframe>
  <iframe id="other" src="${embed('http://127.0.0.1:9')}" style="width:300px;height:200px;border:0"></iframe>
  <script>
    const SCRAWL = ${JSON.stringify(scrawlOrigin)};
    window.messages = [];
    window.foreign = [];
    window.addEventListener('message', (event) => {
      if (event.origin !== SCRAWL) return;
      const from = event.source === document.getElementById('allowed').contentWindow ? 'allowed' : 'other';
      (from === 'allowed' ? window.messages : window.foreign).push(event.data);
    });
    window.requestPng = (requestId) =>
      document.getElementById('allowed').contentWindow.postMessage({ type: 'scrawl:export-png', requestId }, SCRAWL);
  </script>
</body></html>`;
}

type Message = { type: string; [key: string]: unknown };
const messages = (page: Page) => page.evaluate(() => (window as any).messages as Message[]);

async function embedFrame(page: Page): Promise<Frame> {
  await expect.poll(() => page.frames().filter((f) => f.url().includes('/embed/')).length).toBe(2);
  const frame = page.frames().find((f) => f.url().includes('/embed/') && f.url().includes(encodeURIComponent(new URL(page.url()).origin)));
  if (!frame) throw new Error('the allowed embed frame is missing');
  return frame;
}

test('the iframe embed on another origin shows the board and talks to its parent only', async ({ boards, server, room }) => {
  const parentPort = await freePort();
  const parentOrigin = `http://127.0.0.1:${parentPort}`;
  const host: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(parentPage(server.url, parentOrigin, room));
  });
  await new Promise<void>((resolve) => host.listen(parentPort, '127.0.0.1', resolve));
  try {
    const { context } = await boards.newContext();
    const page = await context.newPage();
    await page.goto(`${parentOrigin}/`);

    // ready, then the connection status.
    await expect.poll(async () => (await messages(page)).find((m) => m.type === 'scrawl:ready')).toEqual({ type: 'scrawl:ready', room });
    await expect
      .poll(async () => (await messages(page)).some((m) => m.type === 'scrawl:status' && m.state === 'connected'))
      .toBe(true);

    // The board is there: tldraw's canvas, no app chrome, the dark theme.
    const frame = await embedFrame(page);
    await expect(frame.locator('.tl-canvas')).toBeVisible();
    await expect(frame.locator('[data-testid="share-button"]')).toHaveCount(0);
    expect(await frame.evaluate(() => window.__scrawl.editor.user.getIsDarkMode())).toBe(true);

    // Someone draws on /b/:room: the parent hears of it.
    const drawer = await (await boards.newContext()).open(room, 'Drawer');
    await drawNewStroke(drawer, wavyPath(300, 300, 20));
    await expect
      .poll(async () => (await messages(page)).filter((m) => m.type === 'scrawl:change').at(-1)?.shapes)
      .toBe(1);

    // PNG export on request.
    await page.evaluate(() => (window as any).requestPng('png-1'));
    await expect.poll(async () => (await messages(page)).find((m) => m.type === 'scrawl:png')?.requestId).toBe('png-1');
    const png = (await messages(page)).find((m) => m.type === 'scrawl:png')!;
    expect(String(png.dataUrl)).toMatch(/^data:image\/png;base64,/);
    expect(Buffer.from(String(png.dataUrl).split(',')[1], 'base64').subarray(1, 4).toString()).toBe('PNG');

    // The embed that does not list this page's origin never posted to it.
    expect(await page.evaluate(() => (window as any).foreign)).toEqual([]);
  } finally {
    host.closeAllConnections();
    await new Promise((resolve) => host.close(resolve));
  }
});
