import type { Page } from '@playwright/test';
import { shapesOf, type ShapeJson } from '../src/board.ts';
import { expect, test } from '../src/fixtures.ts';
import { twoColourPng } from '../src/png.ts';

const png = twoColourPng(120, 80, [220, 40, 40], [40, 40, 220]);

/** Drops a file on the canvas the way the browser does when a user drags one in from the desktop. */
async function dropImage(page: Page, bytes: Buffer, at: { x: number; y: number }): Promise<void> {
  await page.evaluate(
    ({ base64, x, y }) => {
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], 'e2e-two-colours.png', { type: 'image/png' }));
      const target = document.elementFromPoint(x, y) ?? document.querySelector('.tl-canvas')!;
      for (const type of ['dragenter', 'dragover', 'drop']) {
        target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, clientX: x, clientY: y, dataTransfer: transfer }));
      }
    },
    { base64: bytes.toString('base64'), ...at },
  );
}

/** The image shape and its asset record, as a page's editor holds them. */
async function imageOf(page: Page): Promise<{ shape: ShapeJson; asset: any } | null> {
  const image = (await shapesOf(page)).find((shape) => shape.type === 'image');
  if (!image) return null;
  const asset = await page.evaluate((id) => window.__scrawl.editor.getAsset(id) ?? null, image.props.assetId);
  return { shape: image, asset };
}

/** What the page gets when it fetches the asset URL: status, type, caching and the bytes (base64). */
async function fetchFromPage(page: Page, src: string) {
  return page.evaluate(async (url) => {
    const response = await fetch(url);
    const bytes = new Uint8Array(await response.arrayBuffer());
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      cacheControl: response.headers.get('cache-control'),
      base64: btoa(String.fromCharCode(...bytes)),
    };
  }, src);
}

/** Whether an <img> showing `src` has loaded with real pixels on this page. */
async function imageRendered(page: Page, src: string): Promise<boolean> {
  return page.evaluate(
    (url) =>
      [...document.querySelectorAll('img')].some(
        (img) => img.complete && img.naturalWidth > 0 && new URL(img.src, location.href).pathname === new URL(url, location.href).pathname,
      ),
    src,
  );
}

test('an image dropped in A shows in B and survives a restart', async ({ boards, room, server }) => {
  const a = await (await boards.newContext()).open(room, 'Alice');
  const b = await (await boards.newContext()).open(room, 'Bob');

  const upload = a.waitForResponse((response) => response.url().includes(`/api/rooms/${room}/assets`) && response.request().method() === 'POST', {
    timeout: 10_000,
  });
  await dropImage(a, png, { x: 640, y: 360 });
  const uploaded = await upload;
  expect(uploaded.ok(), `POST /api/rooms/${room}/assets answered ${uploaded.status()}: ${await uploaded.text().catch(() => '')}`).toBe(true);

  await expect.poll(() => imageOf(a), { message: 'an image shape in A' }).not.toBeNull();
  const inA = (await imageOf(a))!;
  expect(inA.asset, 'the asset record').not.toBeNull();
  const src: string = inA.asset.props.src;
  // The document holds a URL on this server, never the file itself.
  expect(src.startsWith('data:'), `asset src is not inline data (${src.slice(0, 40)}…)`).toBe(false);
  expect(new URL(src, server.url).pathname).toMatch(new RegExp(`^/api/rooms/${room}/assets/`));
  expect(inA.asset.props).toMatchObject({ w: 120, h: 80, mimeType: 'image/png' });

  // B: the same shape and asset, and the picture itself, byte for byte.
  await expect.poll(() => imageOf(b), { message: 'the image in B' }).toEqual(inA);
  const servedToB = await fetchFromPage(b, src);
  expect(servedToB).toMatchObject({ status: 200, contentType: expect.stringContaining('image/png') });
  expect(servedToB.cacheControl, 'the asset is served with caching headers').toBeTruthy();
  expect(Buffer.from(servedToB.base64, 'base64').equals(png), 'B gets the very bytes A dropped').toBe(true);
  await expect.poll(() => imageRendered(b, src), { message: 'B renders the image' }).toBe(true);

  // Restart the server; a fresh browser still gets the shape, the asset record and the bytes.
  await server.restart();
  const c = await (await boards.newContext()).open(room, 'Carol');
  expect(await imageOf(c), 'the image after the restart').toEqual(inA);
  const servedAfterRestart = await fetchFromPage(c, src);
  expect(servedAfterRestart.status).toBe(200);
  expect(Buffer.from(servedAfterRestart.base64, 'base64').equals(png)).toBe(true);
  await expect.poll(() => imageRendered(c, src), { message: 'C renders the image after the restart' }).toBe(true);
});
