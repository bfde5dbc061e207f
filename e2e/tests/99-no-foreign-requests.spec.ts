import { drawNewStroke, wavyPath } from '../src/board.ts';
import { expect, test } from '../src/fixtures.ts';
import { readLedger } from '../src/request-ledger.ts';

// Runs last (files run in name order on the one worker): it judges every request of the session so far.
test('no request leaves 127.0.0.1 during the whole session', async ({ boards, room, server }) => {
  // Its own visit, touching what tends to pull in remote assets: fonts, icons, menus, translations, a fresh `/`.
  const context = await boards.newContext();
  const page = await context.open(room, 'Dora');
  await drawNewStroke(page, wavyPath(300, 300, 10));
  await page.keyboard.press('t'); // text tool: loads the text fonts
  await page.mouse.click(700, 300);
  await page.keyboard.type('fonts');
  await page.keyboard.press('Escape');
  await page.getByTestId('main-menu.button').click().catch(() => {});
  await page.keyboard.press('Escape');
  const fresh = await context.context.newPage();
  // `/` is the boards page (thumbnails, templates); its "New board" goes through /new to a fresh board.
  await fresh.goto(`${server.url}/`);
  await expect(fresh.getByTestId('new-board')).toBeVisible();
  await fresh.getByTestId('new-from-template').click();
  await expect(fresh.getByTestId('template-option').first()).toBeVisible();
  await fresh.keyboard.press('Escape');
  await fresh.getByTestId('new-board').click();
  await expect(fresh).toHaveURL(new RegExp(`^${server.url}/b/[A-Za-z0-9_-]{1,64}$`));
  await fresh.waitForFunction(() => window.__scrawl?.status().state === 'connected');
  await page.evaluate(() => document.fonts.ready);

  const ledger = readLedger();
  const tests = new Set(ledger.map((entry) => entry.test));
  console.log(`requests watched this session: ${ledger.length} from ${tests.size} tests`);
  expect(ledger.length, 'the ledger saw the session').toBeGreaterThan(20);
  expect(ledger.some((entry) => entry.kind === 'websocket'), 'WebSockets are watched too').toBe(true);
  const foreign = ledger.filter((entry) => entry.foreign).map((entry) => `${entry.test}: ${entry.kind} ${entry.url}`);
  expect(foreign, 'requests to anything but 127.0.0.1').toEqual([]);
});
