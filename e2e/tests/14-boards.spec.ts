import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { shapesOf, waitUntilConnected } from '../src/board.ts';
import { expect, test as base } from '../src/fixtures.ts';
import { freePort, ScrawlServer } from '../src/scrawl-server.ts';

/**
 * Issue 14, boards you find again: the boards page at `/`, search, rename live in the board, trash, templates.
 * The scenarios tell one story on one server of their own (a fresh DATA_DIR, so the first visit really is the first:
 * the shared server has seen every earlier spec's boards), in order.
 */
const test = base.extend<object, { server: ScrawlServer }>({
  server: [
    async ({}, use) => {
      const dataDir = await mkdtemp(join(tmpdir(), 'scrawl-e2e-boards-'));
      const server = new ScrawlServer({ dataDir, port: await freePort() });
      await server.start();
      await use(server);
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
    { scope: 'worker', timeout: 60_000 },
  ],
});
test.describe.configure({ mode: 'serial' });

/** The three boards the story makes, each with one distinctive word written on it. */
const WORDS = ['aubergine', 'xylophone', 'quokka'] as const;
const made: Array<{ id: string; word: string }> = [];

/** A card on the boards page. */
const card = (page: Page, id: string) => page.locator(`[data-testid="board-card"][data-board-id="${id}"]`);

/** Clicks "New board" on `/` (the server makes the board and redirects) and waits until the board is live. */
async function newBoardFromList(context: BrowserContext, baseUrl: string): Promise<{ page: Page; id: string }> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/`);
  await page.getByTestId(made.length === 0 ? 'empty-new-board' : 'new-board').click();
  await page.waitForURL(/\/b\/[A-Za-z0-9_-]+$/);
  await waitUntilConnected(page);
  return { page, id: new URL(page.url()).pathname.split('/').at(-1)! };
}

/** Writes `text` with tldraw's text tool the way a person does: T, click, type, Escape. */
async function writeText(page: Page, x: number, y: number, text: string): Promise<void> {
  await page.keyboard.press('t');
  await page.mouse.click(x, y);
  // Type once the text editor has mounted and has focus, or the first keys go elsewhere.
  await page.waitForFunction(() => window.__scrawl.editor.getEditingShapeId() !== null && (document.activeElement as HTMLElement | null)?.isContentEditable);
  await page.keyboard.type(text, { delay: 20 });
  await page.keyboard.press('Escape');
  await expect.poll(async () => JSON.stringify((await shapesOf(page)).map((s) => s.props.richText))).toContain(text);
}

/** Waits until this page's thumbnailer has uploaded a thumbnail (3 s after the last edit, retried until the catalog has the board). */
async function waitForThumbnailUpload(page: Page): Promise<void> {
  await page.waitForFunction(() => window.__scrawl?.thumbnails?.renders.some((r: { outcome: string }) => r.outcome === 'uploaded'), null, {
    timeout: 30_000,
  });
}

/** Opens the board's main menu. */
async function openMainMenu(page: Page): Promise<void> {
  await page.getByTestId('main-menu.button').click();
  await expect(page.getByTestId('board-menu-title')).toBeVisible();
}

test('a first visitor sees what Scrawl is, a big New board button and the templates', async ({ boards, server }) => {
  const page = await (await boards.newContext()).context.newPage();
  await page.goto(`${server.url}/`);
  const empty = page.getByTestId('boards-empty');
  await expect(empty).toBeVisible();
  await expect(empty).toContainText('Scrawl is a whiteboard');
  await expect(page.getByTestId('empty-new-board')).toHaveAttribute('href', '/new');
  await expect(page).toHaveTitle('Boards · Scrawl');
  // The shipped templates, each a link that starts a board from it.
  const options = page.getByTestId('template-option');
  await expect(options.first()).toBeVisible();
  expect(await options.count()).toBeGreaterThanOrEqual(1);
  await expect(options.first()).toHaveAttribute('href', /^\/new\?template=[A-Za-z0-9_-]+$/);
});

test('three boards with different words are listed on / with their thumbnails', async ({ boards, server }) => {
  const { context } = await boards.newContext();
  for (const word of WORDS) {
    const { page, id } = await newBoardFromList(context, server.url);
    await writeText(page, 400, 300, `Notes about ${word}`);
    await waitForThumbnailUpload(page);
    made.push({ id, word });
    await page.close();
  }
  expect(new Set(made.map((b) => b.id)).size).toBe(3);

  const list = await context.newPage();
  await list.goto(`${server.url}/`);
  for (const { id } of made) {
    await expect(card(list, id)).toBeVisible();
    await expect(card(list, id).getByTestId('board-title')).toHaveText('Untitled board');
  }
  // Newest change first: the last board made leads.
  await expect(list.getByTestId('board-card').first()).toHaveAttribute('data-board-id', made[2].id);
  for (const { id } of made) {
    const thumbnail = card(list, id).getByTestId('board-thumbnail');
    await expect(thumbnail).toBeVisible();
    await expect.poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  }
});

test('search answers as you type, marks the word in the passage, and opens the board', async ({ boards, server }) => {
  const page = await (await boards.newContext()).context.newPage();
  await page.goto(`${server.url}/`);
  const target = made[1];
  // A prefix is enough: the search answers while the word is still being typed.
  await page.getByTestId('boards-search').pressSequentially(target.word.slice(0, 5), { delay: 40 });
  await expect(page.getByTestId('board-card')).toHaveCount(1);
  const found = card(page, target.id);
  await expect(found.getByTestId('board-excerpt').locator('mark').first()).toBeVisible();
  await expect(found.getByTestId('board-excerpt')).toContainText(target.word);

  await page.getByTestId('boards-search').fill('nothing-is-called-this');
  await expect(page.getByTestId('boards-none')).toContainText('No boards match');

  await page.getByTestId('boards-search').fill(target.word);
  await card(page, target.id).getByTestId('board-title').click();
  await page.waitForURL(`${server.url}/b/${target.id}`);
  await waitUntilConnected(page);
  await expect.poll(async () => JSON.stringify(await shapesOf(page))).toContain(target.word);
});

test('a rename in the board is seen live by everyone in it, in the tab title and the menu, and on /', async ({ boards, server }) => {
  const target = made[0];
  const alice = await (await boards.newContext()).open(target.id, 'Alice');
  const bob = await (await boards.newContext()).open(target.id, 'Bob');
  await expect(bob).toHaveTitle('Untitled board · Scrawl');

  await openMainMenu(alice);
  await alice.getByTestId('main-menu.scrawl-rename-board').click();
  const input = alice.getByTestId('rename-board-input');
  await input.fill('Sprint retro');
  await input.press('Enter');

  await expect(alice).toHaveTitle('Sprint retro · Scrawl');
  await expect(bob).toHaveTitle('Sprint retro · Scrawl');
  await openMainMenu(bob);
  await expect(bob.getByTestId('board-menu-title')).toHaveText('Sprint retro');
  await bob.keyboard.press('Escape');

  const list = await alice.context().newPage();
  await list.goto(`${server.url}/`);
  await expect.poll(async () => {
    await list.reload();
    return card(list, target.id).getByTestId('board-title').textContent();
  }, { timeout: 15_000 }).toBe('Sprint retro');
});

test('a board moved to the trash from / can be restored, and deleted forever from the trash', async ({ boards, server }) => {
  const target = made[2];
  // Someone still has the board open: the trash closes it for them, and the page says why.
  const inBoard = await (await boards.newContext()).open(target.id, 'Carol');
  const page = await (await boards.newContext()).context.newPage();
  await page.goto(`${server.url}/`);
  await card(page, target.id).getByTestId('trash-board').click();
  await expect(card(page, target.id)).toHaveCount(0);
  await expect(page.getByTestId('boards-notice')).toContainText('Moved');
  await expect(inBoard.getByTestId('board-in-trash')).toBeVisible();

  await page.getByTestId('view-trash').click();
  await expect(card(page, target.id)).toBeVisible();
  await card(page, target.id).getByTestId('restore-board').click();
  await expect(card(page, target.id)).toHaveCount(0);
  await page.getByTestId('view-recent').click();
  await expect(card(page, target.id)).toBeVisible();

  // For good: trash, then "Delete forever" with its confirmation.
  await card(page, target.id).getByTestId('trash-board').click();
  await page.getByTestId('view-trash').click();
  page.once('dialog', (dialog) => void dialog.accept());
  await card(page, target.id).getByTestId('delete-forever').click();
  await expect(card(page, target.id)).toHaveCount(0);
  expect((await fetch(`${server.url}/api/boards/${target.id}`)).status).toBe(404);
  made.pop();
});

test('new from template: a board saved as a template starts new boards with its shapes', async ({ boards, server }) => {
  const { context } = await boards.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  const source = made[1];
  await card(page, source.id).getByTestId('template-board').click();
  await expect(page.getByTestId('boards-notice')).toContainText('as a template');

  await page.getByTestId('new-from-template').click();
  const options = page.getByTestId('template-option');
  await expect(options.first()).toBeVisible();
  // The shipped templates and the one just saved (titled as its board: untitled here).
  const saved = options.filter({ hasText: 'Untitled board' });
  await expect(saved).toHaveCount(1);
  const templateId = await saved.getAttribute('data-template-id');
  await saved.click();
  await page.waitForURL(/\/b\/[A-Za-z0-9_-]+$/);
  await waitUntilConnected(page);
  const id = new URL(page.url()).pathname.split('/').at(-1)!;
  expect(id).not.toBe(source.id);
  expect(id).not.toBe(templateId);
  await expect.poll(async () => JSON.stringify(await shapesOf(page))).toContain(source.word);

  // A shipped template too: its shapes arrive in the new board.
  const shipped = (await (await fetch(`${server.url}/api/boards?view=templates`)).json()).boards.find(
    (t: { id: string; shapeCount: number }) => t.id !== templateId && t.shapeCount > 0,
  );
  expect(shipped, 'the server ships templates').toBeTruthy();
  await page.goto(`${server.url}/`);
  await page.getByTestId('new-from-template').click();
  await page.locator(`[data-testid="template-option"][data-template-id="${shipped.id}"]`).click();
  await page.waitForURL(/\/b\/[A-Za-z0-9_-]+$/);
  await waitUntilConnected(page);
  await expect.poll(async () => (await shapesOf(page)).length).toBe(shipped.shapeCount);
});

test('with BOARD_LIST=off, / lists only the boards this browser opened, and search stays within them', async ({ boards }) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'scrawl-e2e-boardlist-off-'));
  const privateServer = new ScrawlServer({ dataDir, port: await freePort(), env: { BOARD_LIST: 'off' } });
  await privateServer.start();
  try {
    expect((await fetch(`${privateServer.url}/api/boards`)).status, 'the server lists nothing on its own').toBe(403);
    const { context } = await boards.newContext();
    const { page, id } = await newBoardFromList(context, privateServer.url);
    await writeText(page, 400, 300, 'Notes about pangolin');
    await waitForThumbnailUpload(page);

    const list = await context.newPage();
    await list.goto(`${privateServer.url}/`);
    await expect(card(list, id)).toBeVisible();
    await expect(list.getByText('boards this browser opened')).toBeVisible();
    await list.getByTestId('boards-search').fill('pangol');
    await expect(card(list, id).getByTestId('board-excerpt')).toContainText('pangolin');

    // Another browser has opened nothing here: it sees the welcome, not this board.
    const stranger = await (await boards.newContext()).context.newPage();
    await stranger.goto(`${privateServer.url}/`);
    await expect(stranger.getByTestId('boards-empty')).toBeVisible();
    await expect(stranger.getByTestId('board-card')).toHaveCount(0);
  } finally {
    await privateServer.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('with many boards, / pages with Load more; a card renames from the keyboard (Enter saves, Escape does not)', async ({ boards, server }) => {
  const source = made[1];
  // More boards than one page holds, made the way "Duplicate" makes them.
  for (let i = 0; i < 50; i++) {
    const response = await fetch(`${server.url}/api/boards/${source.id}/duplicate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: `Copy number ${i}` }),
    });
    expect(response.status).toBe(201);
  }
  const page = await (await boards.newContext()).context.newPage();
  await page.goto(`${server.url}/`);
  const cards = page.getByTestId('board-card');
  await expect(cards.first()).toBeVisible();
  const firstPage = await cards.count();
  expect(firstPage).toBeLessThan(50);
  await page.getByTestId('load-more').click();
  await expect.poll(() => cards.count()).toBeGreaterThan(50);
  const ids = await cards.evaluateAll((elements) => elements.map((el) => el.getAttribute('data-board-id')));
  expect(new Set(ids).size, 'no board twice across pages').toBe(ids.length);

  const target = card(page, source.id);
  await target.getByTestId('rename-board').click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('Never mind');
  await page.keyboard.press('Escape');
  await expect(target.getByTestId('board-title')).toHaveText('Untitled board');
  await target.getByTestId('rename-board').click();
  await page.keyboard.type('Quokka facts');
  await page.keyboard.press('Enter');
  await expect(target.getByTestId('board-title')).toHaveText('Quokka facts');
  await expect(target.getByTestId('board-title')).toBeFocused();
  expect((await (await fetch(`${server.url}/api/boards/${source.id}`)).json()).title).toBe('Quokka facts');
});
