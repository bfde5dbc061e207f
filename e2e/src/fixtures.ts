import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base, expect, type BrowserContext, type Page, type WebSocketRoute } from '@playwright/test';
import { recordRequest, staysLocal } from './request-ledger.ts';
import { freePort, ScrawlServer } from './scrawl-server.ts';
import { openBoard } from './board.ts';

/**
 * Cuts a context's network the way a dropped Wi-Fi link does. `context.setOffline(true)` alone fails new requests
 * and flips `navigator.onLine`, but Chromium keeps already-open WebSockets alive
 * (https://github.com/microsoft/playwright/issues/4910), so the sync socket is routed through Playwright and closed
 * here too; while offline, reconnection attempts are refused.
 */
export interface NetworkSwitch {
  goOffline(): Promise<void>;
  goOnline(): Promise<void>;
  /** How many sync sockets were opened so far (a reconnect adds one). */
  readonly socketsOpened: number;
}

/** A browser context made by the {@link Boards} fixture: every request it makes is watched. */
export interface BoardContext {
  context: BrowserContext;
  network: NetworkSwitch;
  /** Opens `/b/:room` in a new tab, waits until the board is connected, and sets the user's name. */
  open(room: string, userName?: string): Promise<Page>;
}

/** Makes watched browser contexts; closes them after the test. */
export interface Boards {
  newContext(): Promise<BoardContext>;
}

interface WorkerFixtures {
  /** The real server, one per worker (the config runs one worker), on a free port with a fresh DATA_DIR. */
  server: ScrawlServer;
}

interface TestFixtures {
  /** A room id unique to this test. */
  room: string;
  boards: Boards;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  server: [
    async ({}, use) => {
      const dataDir = await mkdtemp(join(tmpdir(), 'scrawl-e2e-data-'));
      const server = new ScrawlServer({ dataDir, port: await freePort() });
      await server.start();
      await use(server);
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
    { scope: 'worker', timeout: 60_000 },
  ],

  room: async ({}, use, testInfo) => {
    const slug = testInfo.titlePath.at(-1)!.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 32);
    await use(`e2e-${slug}-${Math.random().toString(36).slice(2, 8)}`.replace(/-+/g, '-'));
  },

  boards: async ({ browser, server }, use, testInfo) => {
    const made: BrowserContext[] = [];
    const testTitle = testInfo.titlePath.slice(1).join(' > ');
    await use({
      async newContext() {
        const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
        made.push(context);
        // Every HTTP(S) request of every page and worker: recorded, and stopped if it would leave 127.0.0.1.
        await context.route('**/*', async (route) => {
          const url = route.request().url();
          const foreign = !staysLocal(url);
          recordRequest({ test: testTitle, kind: 'http', url, foreign });
          if (foreign) await route.abort('blockedbyclient');
          else await route.fallback();
        });
        // WebSockets: foreign ones refused; the sync socket goes through the network switch.
        await context.routeWebSocket(
          (url) => !staysLocal(url.href),
          (ws) => {
            recordRequest({ test: testTitle, kind: 'websocket', url: ws.url(), foreign: true });
            void ws.close({ code: 1008, reason: 'e2e: no traffic outside 127.0.0.1' });
          },
        );
        const network = await cuttableSync(context, (url) => recordRequest({ test: testTitle, kind: 'websocket', url, foreign: false }));
        return {
          context,
          network,
          open: (room: string, userName?: string) => openBoard(context, server.url, room, userName),
        };
      },
    });
    for (const context of made) await context.close().catch(() => {});
  },
});

async function cuttableSync(context: BrowserContext, onSocket: (url: string) => void): Promise<NetworkSwitch> {
  let offline = false;
  let socketsOpened = 0;
  const live = new Set<WebSocketRoute>();
  await context.routeWebSocket(
    (url) => staysLocal(url.href),
    (ws) => {
      onSocket(ws.url());
      if (offline) {
        // What a reconnect attempt without a network amounts to: a transient close, retried later.
        void ws.close({ code: 1001, reason: 'e2e: offline' }).catch(() => {});
        return;
      }
      socketsOpened++;
      const server = ws.connectToServer();
      live.add(ws);
      // Having onClose handlers turns off Playwright's close forwarding, so forward closes both ways here.
      ws.onClose((code, reason) => {
        live.delete(ws);
        void server.close({ code, reason }).catch(() => {});
      });
      server.onClose((code, reason) => {
        live.delete(ws);
        void ws.close({ code, reason }).catch(() => {});
      });
    },
  );
  return {
    get socketsOpened() {
      return socketsOpened;
    },
    async goOffline() {
      offline = true;
      await context.setOffline(true);
      for (const ws of [...live]) {
        live.delete(ws);
        await ws.close({ code: 1001, reason: 'e2e: network cut' }).catch(() => {});
      }
    },
    async goOnline() {
      offline = false;
      await context.setOffline(false);
    },
  };
}

export { expect };
