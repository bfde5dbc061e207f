import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import * as Y from 'yjs';
import { drawNewStroke, shapesOf, waitUntilConnected, wavyPath } from '../src/board.ts';
import { expect, test } from '../src/fixtures.ts';
import { freePort, REPO_ROOT, ScrawlServer } from '../src/scrawl-server.ts';

/** Opens the share menu in `page` and returns the view-only link it offers. */
async function viewOnlyLink(page: Page): Promise<string> {
  await page.getByTestId('share-button').click();
  const link = page.getByTestId('share-link-ro');
  await expect(link).toBeVisible();
  return link.inputValue();
}

/** A stroke with the raw mouse, without choosing a tool first (a view-only board offers none to choose). */
async function mouseStroke(page: Page, x: number, y: number): Promise<void> {
  await page.keyboard.press('d');
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (const [px, py] of wavyPath(x, y, 20)) await page.mouse.move(px, py);
  await page.mouse.up();
}

async function expectViewOnly(page: Page): Promise<void> {
  expect(await page.evaluate(() => window.__scrawl.editor.getInstanceState().isReadonly)).toBe(true);
  await expect(page.getByTestId('connection-status')).toContainText('view only');
}

test('a view-only link (server without auth) cannot draw, and still sees the board live', async ({ boards, server, room }) => {
  const editor = await (await boards.newContext()).open(room, 'Editor');
  await drawNewStroke(editor, wavyPath(200, 250, 20));

  const link = await viewOnlyLink(editor);
  expect(link).toBe(`${server.url}/b/${room}?view=1`);
  // Without AUTH_SECRET the menu says the link only makes the page read-only.
  await expect(editor.getByTestId('share-row-ro')).toContainText('AUTH_SECRET');

  const viewer = await (await boards.newContext()).context.newPage();
  await viewer.goto(link);
  await waitUntilConnected(viewer);
  await expect.poll(async () => (await shapesOf(viewer)).length).toBe(1);
  await expectViewOnly(viewer);
  // The share menu of a viewer offers no edit link.
  await viewer.getByTestId('share-button').click();
  await expect(viewer.getByTestId('share-link-rw')).toHaveCount(0);
  await viewer.keyboard.press('Escape');

  await mouseStroke(viewer, 300, 450);
  await viewer.waitForTimeout(500);
  expect((await shapesOf(viewer)).length, 'the viewer’s stroke made no shape').toBe(1);
  expect((await shapesOf(editor)).length).toBe(1);

  // Live for the viewer: the editor's next stroke arrives.
  await drawNewStroke(editor, wavyPath(200, 500, 20));
  await expect.poll(async () => (await shapesOf(viewer)).length).toBe(2);
});

test('with AUTH_SECRET, the view-only link carries a read-only token and the server refuses its writes', async ({ boards, room }) => {
  const secret = 'e2e-view-only-secret-0123456789abcdef';
  const dataDir = await mkdtemp(join(tmpdir(), 'scrawl-e2e-auth-'));
  const authServer = new ScrawlServer({ dataDir, port: await freePort() });
  const previous = process.env.AUTH_SECRET;
  process.env.AUTH_SECRET = secret;
  try {
    await authServer.start();
  } finally {
    if (previous === undefined) delete process.env.AUTH_SECRET;
    else process.env.AUTH_SECRET = previous;
  }
  try {
    const editToken = execFileSync(process.execPath, ['server/src/bin/token.ts', '--room', room, '--mode', 'rw'], {
      cwd: REPO_ROOT,
      env: { ...process.env, AUTH_SECRET: secret },
      encoding: 'utf8',
    }).trim();

    const editor = await (await boards.newContext()).context.newPage();
    await editor.goto(`${authServer.url}/b/${room}?token=${editToken}`);
    await waitUntilConnected(editor);
    expect(new URL(editor.url()).searchParams.has('token'), 'the token leaves the address bar').toBe(false);
    await drawNewStroke(editor, wavyPath(200, 250, 20));

    const link = await viewOnlyLink(editor);
    const viewToken = new URL(link).searchParams.get('token');
    expect(viewToken).toBeTruthy();
    const claims = JSON.parse(Buffer.from(viewToken!.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ room, mode: 'ro' });

    const viewer = await (await boards.newContext()).context.newPage();
    await viewer.goto(link);
    await waitUntilConnected(viewer);
    await expect.poll(async () => (await shapesOf(viewer)).length).toBe(1);
    await expectViewOnly(viewer);
    await mouseStroke(viewer, 300, 450);
    await viewer.waitForTimeout(500);
    expect((await shapesOf(viewer)).length).toBe(1);

    // Even a page that bypasses its read-only UI and writes to the document gets nowhere: the server refuses it.
    await viewer.evaluate(() => {
      const records = window.__scrawl.doc.getMap('records');
      records.set('shape:forged', { id: 'shape:forged', typeName: 'shape', type: 'geo' });
    });
    expect(await viewer.evaluate(() => window.__scrawl.doc.getMap('records').has('shape:forged')), 'the forged write happened locally').toBe(true);
    await editor.waitForTimeout(1000);
    expect(await editor.evaluate(() => window.__scrawl.doc.getMap('records').has('shape:forged')), 'the editor never receives it').toBe(false);
    expect((await shapesOf(editor)).length).toBe(1);
    const state = await fetch(`${authServer.url}/api/rooms/${room}/state`, { headers: { Authorization: `Bearer ${editToken}` } });
    expect(state.status).toBe(200);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, new Uint8Array(await state.arrayBuffer()));
    const stored = [...doc.getMap('records').keys()].filter((id) => id.startsWith('shape:'));
    expect(stored, 'the server holds only the editor’s stroke').toHaveLength(1);
  } finally {
    await authServer.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
