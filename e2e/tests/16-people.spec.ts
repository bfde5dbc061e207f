import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { drawNewStroke, shapesOf, waitUntilConnected, wavyPath } from '../src/board.ts';
import { expect, test } from '../src/fixtures.ts';
import { ACCOUNTS, CLIENT, startE2eProvider, type E2eProvider } from '../src/oidc-idp.ts';
import { freePort, ScrawlServer } from '../src/scrawl-server.ts';

/**
 * Issue 16 in Chromium: a Scrawl server in sign-in mode against a real OpenID Provider (oidc-provider on 127.0.0.1,
 * with local login pages), three people in three browser contexts, every acceptance step in order: sign-in through the
 * provider's login page, no access, viewer (refused on /sync and /yjs/:room), editor, removal within 1 s, a view link
 * and its revocation, an admin's list, logout.
 */

const SESSION_SECRET = 'an-e2e-session-secret-that-is-long-enough-0123456789';

/** Signs `login` in from `path` of Scrawl: its sign-in page, the provider's login page, back to `path`. */
async function signIn(page: Page, scrawl: ScrawlServer, login: keyof typeof ACCOUNTS, path = '/'): Promise<void> {
  await page.goto(`${scrawl.url}${path}`);
  await expect(page.getByTestId('sign-in-page')).toBeVisible();
  const button = page.getByTestId('sign-in-button');
  await expect(button).toHaveText(/^Sign in with 127\.0\.0\.1:\d+$/);
  await button.click();
  await expect(page.getByTestId('idp-login')).toBeVisible();
  expect(new URL(page.url()).pathname).toMatch(/^\/interaction\//);
  await page.getByTestId('idp-login').fill(login);
  await page.getByTestId('idp-password').fill('anything: the test provider takes any password');
  await page.getByTestId('idp-submit').click();
  await page.waitForURL((url) => url.origin === scrawl.url && url.pathname === path.split('?')[0]);
}

/** The close code a WebSocket to `/yjs/:room` opened from `page` (with its cookie and origin) gets. */
function yjsCloseCode(page: Page, room: string): Promise<number> {
  return page.evaluate(
    (r) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/yjs/${r}`);
        ws.onclose = (event) => resolve(event.code);
      }),
    room,
  );
}

/** A map in the board's Y.Doc that the board itself ignores: raw writes that prove what the server accepts. */
const probe = (page: Page, key: string, value?: string) =>
  page.evaluate(([k, v]) => (v === undefined ? window.__scrawl.doc.getMap('e2e-probe').get(k) : window.__scrawl.doc.getMap('e2e-probe').set(k, v)), [key, value] as const);

async function openPeopleDialog(page: Page) {
  if (!(await page.getByTestId('people-dialog').isVisible())) await page.getByTestId('share-button').click();
  await expect(page.getByTestId('people-dialog')).toBeVisible();
  return page.getByTestId('people-dialog');
}

const row = (page: Page, email: string) => page.locator(`[data-testid="people-row"][data-email="${email}"]`);

test('people and roles: sign-in, no access, viewer, editor, removal, links, admin, logout', async ({ boards }) => {
  test.setTimeout(240_000);
  const port = await freePort();
  const scrawlUrl = `http://127.0.0.1:${port}`;
  let provider: E2eProvider | null = await startE2eProvider(scrawlUrl);
  const dataDir = await mkdtemp(join(tmpdir(), 'scrawl-e2e-people-'));
  const env = {
    OIDC_ISSUER_URL: provider.issuer,
    OIDC_CLIENT_ID: CLIENT.id,
    OIDC_CLIENT_SECRET: CLIENT.secret,
    SESSION_SECRET,
    PUBLIC_URL: scrawlUrl,
  };
  let scrawl = new ScrawlServer({ dataDir, port, env });
  await scrawl.start();
  const nodeClients: WebsocketProvider[] = [];
  try {
    const [aliceContext, bobContext, carolContext] = [await boards.newContext(), await boards.newContext(), await boards.newContext()];
    const alice = await aliceContext.context.newPage();
    const bob = await bobContext.context.newPage();
    const carol = await carolContext.context.newPage();

    let room = '';
    await test.step('Alice signs in through the provider and lands on her boards; she creates a board', async () => {
      await signIn(alice, scrawl, 'alice');
      await expect(alice.getByTestId('new-board')).toBeVisible();
      await expect(alice.getByTestId('person-name')).toHaveText('Alice Archer');
      await expect(alice.getByTestId('person-menu').getByTestId('avatar')).toHaveAttribute('src', `${provider!.issuer}/avatars/alice.svg`);
      await alice.getByTestId('new-board').click();
      await alice.waitForURL(/\/b\/[A-Za-z0-9_-]+$/);
      room = new URL(alice.url()).pathname.split('/')[2];
      await waitUntilConnected(alice);
      expect(await alice.evaluate(() => window.__scrawl.editor.user.getName()), 'presence shows the signed-in name').toBe('Alice Archer');
      await drawNewStroke(alice, wavyPath(300, 300, 20));
      const members = await alice.request.get(`${scrawl.url}/api/boards/${room}/members`);
      expect((await members.json()).owner.email).toBe('alice@example.com');
    });

    await test.step('Bob cannot open it: no-access page with the owner, socket 4403, API 403, not in his list', async () => {
      await signIn(bob, scrawl, 'bob', `/b/${room}`);
      await expect(bob.getByTestId('no-access')).toBeVisible();
      await expect(bob.getByTestId('no-access-owner')).toHaveText('Alice Archer');
      await expect(bob.getByTestId('ask-owner')).toHaveAttribute('href', /^mailto:alice%40example\.com/);
      expect(await yjsCloseCode(bob, room)).toBe(4403);
      expect((await bob.request.get(`${scrawl.url}/api/rooms/${room}/state`)).status()).toBe(403);
      const list = (await (await bob.request.get(`${scrawl.url}/api/boards`)).json()) as { boards: Array<{ id: string }> };
      expect(list.boards.map((b) => b.id)).not.toContain(room);
      await bob.goto(`${scrawl.url}/`);
      await expect(bob.getByTestId('person-name')).toHaveText('Bob Baker');
      await expect(bob.locator(`[data-testid="board-card"][data-board-id="${room}"]`)).toHaveCount(0);
    });

    await test.step('Alice adds Bob as viewer: he sees the board live; his edits are refused on /sync and /yjs/:room', async () => {
      const dialog = await openPeopleDialog(alice);
      await dialog.getByTestId('people-invite-email').fill('bob@example.com');
      await dialog.getByTestId('people-invite-role').selectOption('viewer');
      await dialog.getByTestId('people-invite-submit').click();
      await expect(row(alice, 'bob@example.com')).toContainText('Bob Baker');
      await expect(row(alice, 'bob@example.com').getByTestId('people-role')).toHaveValue('viewer');

      await bob.goto(`${scrawl.url}/b/${room}`);
      await waitUntilConnected(bob);
      await expect(bob.getByTestId('connection-status')).toContainText('view only');
      expect(await bob.evaluate(() => window.__scrawl.editor.getInstanceState().isReadonly)).toBe(true);
      await expect.poll(async () => (await shapesOf(bob)).length).toBe(1);
      await drawNewStroke(alice, wavyPath(300, 450, 20));
      await expect.poll(async () => (await shapesOf(bob)).length, { message: 'live for the viewer' }).toBe(2);

      // /sync, from his page: a raw write into the doc goes out on his socket and the server drops it.
      await probe(bob, 'from-bob-sync', 'vandal');
      // /yjs/:room, from Node with his session cookie.
      const cookies = await bobContext.context.cookies(scrawl.url);
      const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
      const CookieSocket = class extends WebSocket {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, { protocols, headers: { cookie } } as never);
        }
      };
      const nodeDoc = new Y.Doc();
      const node = new WebsocketProvider(`${scrawl.wsUrl}/yjs`, room, nodeDoc, { WebSocketPolyfill: CookieSocket as never, disableBc: true });
      nodeClients.push(node);
      await expect.poll(() => node.synced, { message: "Bob's y-websocket client is let in (read)" }).toBe(true);
      expect(nodeDoc.getMap('records').size, 'it received the board').toBeGreaterThan(0);
      nodeDoc.getMap('e2e-probe').set('from-bob-yjs', 'vandal');
      // A later write of Alice's reaches everyone; Bob's two never reach her.
      await probe(alice, 'marker', 'after-bob');
      await expect.poll(() => probe(bob, 'marker')).toBe('after-bob');
      await expect.poll(() => nodeDoc.getMap('e2e-probe').get('marker')).toBe('after-bob');
      await alice.waitForTimeout(300);
      expect(await probe(alice, 'from-bob-sync'), "a viewer's /sync update is refused").toBeUndefined();
      expect(await probe(alice, 'from-bob-yjs'), "a viewer's /yjs update is refused").toBeUndefined();
      node.destroy();
    });

    await test.step('Alice makes Bob editor: his stroke reaches her', async () => {
      await row(alice, 'bob@example.com').getByTestId('people-role').selectOption('editor');
      await expect(row(alice, 'bob@example.com').getByTestId('people-role')).toHaveValue('editor');
      // A raised role is not pushed by the server: his read-only board asks again every few seconds (no focus, no
      // reload here) and reconnects as an editor.
      await expect(bob.getByTestId('connection-status')).not.toContainText('view only', { timeout: 15_000 });
      await waitUntilConnected(bob);
      expect(await bob.evaluate(() => window.__scrawl.editor.getInstanceState().isReadonly)).toBe(false);
      const stroke = await drawNewStroke(bob, wavyPath(500, 300, 20));
      await expect.poll(async () => (await shapesOf(alice)).map((s) => s.id)).toContain(stroke.id);

      // Her cursor in his board carries her avatar, a picture the server vouches for (a member's).
      await expect
        .poll(
          async () => {
            await alice.mouse.move(600, 330);
            await alice.mouse.move(640, 360, { steps: 5 });
            return bob.getByTestId('cursor-avatar').count();
          },
          { message: "Alice's avatar on her cursor in Bob's board" },
        )
        .toBe(1);
      await expect(bob.getByTestId('cursor-avatar')).toHaveAttribute('src', `${provider!.issuer}/avatars/alice.svg`);
      await expect(bob.getByTestId('cursor-avatar')).toBeVisible();
      // And in his people menu, in place of her initial.
      await expect(bob.getByTestId('people-menu-avatar')).toHaveAttribute('src', `${provider!.issuer}/avatars/alice.svg`);
      await expect(bob.getByTestId('people-menu-avatar')).toBeVisible();
    });

    await test.step('Alice lowers Bob to viewer: his board reconnects read-only', async () => {
      await row(alice, 'bob@example.com').getByTestId('people-role').selectOption('viewer');
      await expect(bob.getByTestId('connection-status')).toContainText('view only');
      await waitUntilConnected(bob);
      expect(await bob.evaluate(() => window.__scrawl.editor.getInstanceState().isReadonly)).toBe(true);
    });

    await test.step('Alice removes Bob: his open board disconnects within 1 s and shows the no-access page', async () => {
      await bob.evaluate(() => {
        const socket = window.__scrawl.provider.configuration.websocketProvider;
        socket.on('close', ({ event }: { event: CloseEvent }) => {
          (window as any).__e2eClosed ??= { at: Date.now(), code: event.code, reason: event.reason };
        });
      });
      const removedAt = Date.now();
      await row(alice, 'bob@example.com').getByTestId('people-remove').click();
      await expect(bob.getByTestId('no-access')).toBeVisible();
      await expect(row(alice, 'bob@example.com')).toHaveCount(0);
      const closed = await bob.evaluate(() => (window as any).__e2eClosed as { at: number; code: number; reason: string });
      const elapsedMs = closed.at - removedAt;
      console.log(`removal -> Bob's socket closed: ${elapsedMs} ms (code ${closed.code}, "${closed.reason}")`);
      expect(closed.code).toBe(4403);
      expect(elapsedMs, 'closed within 1 s of the click').toBeLessThan(1000);
      expect(await yjsCloseCode(bob, room), 'and his next attempt is refused').toBe(4403);
    });

    let linkUrl = '';
    await test.step('a view link opened by a signed-in Carol is read-only; revoking it cuts her off', async () => {
      const dialog = await openPeopleDialog(alice);
      await dialog.getByTestId('people-link-access').selectOption('view');
      await expect(dialog.getByTestId('people-link-url')).toHaveValue(new RegExp(`^${scrawl.url}/b/${room}\\?link=[A-Za-z0-9_-]{22}$`));
      linkUrl = await dialog.getByTestId('people-link-url').inputValue();

      await signIn(carol, scrawl, 'carol', new URL(linkUrl).pathname + new URL(linkUrl).search);
      await waitUntilConnected(carol);
      expect(new URL(carol.url()).search, 'the link id leaves the address once accepted').toBe('');
      await expect(carol.getByTestId('connection-status')).toContainText('view only');
      expect(await carol.evaluate(() => window.__scrawl.editor.getInstanceState().isReadonly)).toBe(true);
      await expect.poll(async () => (await shapesOf(carol)).length).toBe(3);
      await probe(carol, 'from-carol', 'vandal');
      await probe(alice, 'marker2', 'after-carol');
      await expect.poll(() => probe(carol, 'marker2')).toBe('after-carol');
      await alice.waitForTimeout(300);
      expect(await probe(alice, 'from-carol'), "a view link's writes are refused").toBeUndefined();
      await expect(row(alice, 'carol@example.com')).toContainText('through a link');

      await dialog.getByTestId('people-link-access').selectOption('off');
      await expect(carol.getByTestId('no-access')).toBeVisible();
      await expect(dialog.getByTestId('people-link-url')).toHaveCount(0);
      // The revoked link itself now leads nowhere.
      await carol.goto(linkUrl);
      await expect(carol.getByTestId('no-access')).toContainText('revoked');
    });

    await test.step('Carol as admin lists every board', async () => {
      // The operator adds her to ADMIN_EMAILS: a restart with the same data (sessions live in the store).
      await scrawl.stop();
      scrawl = new ScrawlServer({ dataDir, port, env: { ...env, ADMIN_EMAILS: 'carol@example.com' } });
      await scrawl.start();
      await carol.goto(`${scrawl.url}/`);
      await expect(carol.getByTestId('person-name')).toHaveText('Carol Cooper');
      await expect(carol.locator(`[data-testid="board-card"][data-board-id="${room}"]`)).toHaveCount(1);
      const bobs = (await (await bob.request.get(`${scrawl.url}/api/boards`)).json()) as { boards: Array<{ id: string }> };
      expect(bobs.boards.map((b) => b.id), 'Bob still does not see it').not.toContain(room);
      // An admin backs up the whole server from the boards page (docs/backups.md): a complete archive with the board.
      const [download] = await Promise.all([carol.waitForEvent('download'), carol.getByTestId('server-backup').click()]);
      expect(download.suggestedFilename()).toMatch(/^scrawl-backup-.+\.tar$/);
      const archive = await readFile((await download.path())!);
      expect(archive.subarray(257, 262).toString('latin1'), 'a tar archive').toBe('ustar');
      expect(archive.includes(Buffer.from(room)), 'it holds the board').toBe(true);
      await carol.goto(`${scrawl.url}/b/${room}`);
      await waitUntilConnected(carol);
      await expect(carol.getByTestId('connection-status')).not.toContainText('view only');
    });

    await test.step('Alice hands the board to Bob: he owns it, and she stays on it as an editor', async () => {
      await alice.goto(`${scrawl.url}/b/${room}`);
      await waitUntilConnected(alice);
      const dialog = await openPeopleDialog(alice);
      await dialog.getByTestId('people-invite-email').fill('bob@example.com');
      await dialog.getByTestId('people-invite-role').selectOption('editor');
      await dialog.getByTestId('people-invite-submit').click();
      await row(alice, 'bob@example.com').getByTestId('people-make-owner').click();
      await expect(dialog.getByTestId('people-transfer')).toContainText('You stay on it as an editor');
      await dialog.getByTestId('people-transfer-confirm').click();
      // Her own role went down, so her board reconnects with the new one (as for anyone whose role changes).
      const members = async () => (await (await bob.request.get(`${scrawl.url}/api/boards/${room}/members`)).json()) as { owner: { email: string }; you: string };
      await expect.poll(async () => (await members()).owner.email).toBe('bob@example.com');
      expect((await members()).you).toBe('owner');
      await waitUntilConnected(alice);
      await expect(alice.getByTestId('connection-status')).not.toContainText('view only');
      const after = await openPeopleDialog(alice);
      await expect(row(alice, 'bob@example.com').getByTestId('people-role-label')).toHaveText('Owner');
      await expect(row(alice, 'alice@example.com')).toContainText('Editor');
      // No longer the owner, she manages nothing any more: the dialog shows the list only.
      await expect(after.getByTestId('people-invite-email')).toHaveCount(0);
    });

    await test.step('logout ends the session, and the board open in her other tab asks her to sign in', async () => {
      const boardTab = await aliceContext.context.newPage();
      await boardTab.goto(`${scrawl.url}/b/${room}`);
      await waitUntilConnected(boardTab);
      await alice.goto(`${scrawl.url}/`);
      await expect(alice.getByTestId('person-name')).toBeVisible();
      await expect(alice.getByTestId('server-backup'), 'backups are for admins').toHaveCount(0);
      const session = (await aliceContext.context.cookies(scrawl.url)).find((c) => c.name === 'scrawl_session');
      expect(session, 'Alice has a session cookie').toBeTruthy();
      await alice.getByTestId('person-menu').getByTestId('sign-out').click();
      // RP-initiated logout: the provider asks, then sends her back to Scrawl's sign-in page.
      await alice.getByTestId('idp-logout').click();
      await expect(alice.getByTestId('sign-in-page')).toBeVisible();
      expect(new URL(alice.url()).origin).toBe(scrawl.url);
      // Her other tab's socket was closed with the session (4401 signed out), without a reload or a reconnect.
      await expect(boardTab.getByTestId('sign-in-page')).toBeVisible({ timeout: 5_000 });
      expect(new URL(boardTab.url()).pathname).toBe(`/b/${room}`);
      await boardTab.close();
      // The old cookie opens nothing any more (the session is gone from the store, not only from the browser).
      const replay = { headers: { cookie: `scrawl_session=${session!.value}` } };
      expect(((await (await fetch(`${scrawl.url}/api/me`, replay)).json()) as { person: unknown }).person).toBeNull();
      expect((await fetch(`${scrawl.url}/api/boards`, replay)).status).toBe(401);
      // Signing in again goes through the provider's login page again (its session ended too).
      await alice.getByTestId('sign-in-button').click();
      await expect(alice.getByTestId('idp-login')).toBeVisible();
    });
  } finally {
    for (const node of nodeClients) node.destroy();
    await scrawl.stop();
    await provider?.stop();
    provider = null;
    await rm(dataDir, { recursive: true, force: true });
  }
});
