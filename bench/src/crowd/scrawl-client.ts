/**
 * One Scrawl user in Node, put together the way the web app does it (web/src/sync/connection.ts,
 * web/src/app/useRoomBoard.ts, web/src/app/mountBoard.ts), minus the browser: a Y.Doc synced over `/sync` by
 * HocuspocusProvider with the app's batching of outgoing updates (web/src/sync/updateBatcher.ts), a tldraw
 * store bound to it by the app's own binding once the server's state arrived, and the app's presence sync publishing
 * the tldraw presence record into awareness.
 *
 * What differs from the browser, and why: the store is `createHeadlessStore()` (the same default schema, no editor or
 * React); no IndexedDB cache (a crowd of fresh tabs has none to load); the WebSocket is `ws` with byte counting
 * (counting-socket.ts). The web modules are imported by a computed URL, as bench/src/board/stroke-child.ts does, so
 * `tsc -p bench` does not type-check the web app (which needs the DOM library) as part of the bench; the few
 * signatures used are declared below.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { atom, type Signal } from '@tldraw/state';
import { createPresenceStateDerivation, UserRecordType, type TLInstancePresence, type TLStore } from '@tldraw/tlschema';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import { countingWebSocket, newCounter, type ByteCounter, type IsPresenceOnly } from './counting-socket.ts';
import type { CrowdClient } from './crowd-client.ts';
import { repoRoot } from '../servers.ts';

/** Options of the web's `batchUpdates` (web/src/sync/updateBatcher.ts). */
interface BatchOptions {
  intervalMs?: number;
}

interface WebBoard {
  batchUpdates(doc: Y.Doc, provider: HocuspocusProvider, options?: BatchOptions): { dispose(): void };
  createHeadlessStore(): TLStore;
  bindStoreToDoc(options: { store: TLStore; doc: Y.Doc }): { dispose(): void };
  syncPresence(options: { store: TLStore; awareness: unknown; localPresence: Signal<TLInstancePresence | null> }): () => void;
}

const webModule = (path: string) => import(pathToFileURL(join(repoRoot, 'web', 'src', ...path.split('/'))).href);

let web: Promise<WebBoard> | undefined;
/** The web app's board modules, loaded once per thread. */
function loadWeb(): Promise<WebBoard> {
  web ??= Promise.all([
    webModule('board/headlessStore.ts'), webModule('board/binding.ts'), webModule('board/presence.ts'), webModule('sync/updateBatcher.ts'),
  ]).then(([headless, binding, presence, batcher]) => ({ ...headless, ...binding, ...presence, ...batcher }) as WebBoard);
  return web;
}

/**
 * CROWD_SCRAWL_BATCH_MS: the batcher's least interval between update messages (default: the app's, two frames);
 * 0 turns batching off, to measure the client as it was before it (the same run, the same load).
 */
const batchEnv = process.env.CROWD_SCRAWL_BATCH_MS;
const batchMs = batchEnv === undefined || batchEnv === '' ? undefined : Number(batchEnv);

/** Hocuspocus message type 1: an awareness update (bench/src/clients.ts lists the framing). */
const MESSAGE_AWARENESS = 1;

/** A Hocuspocus frame is [varString document][varUint type][...]: awareness frames carry presence only. */
const isAwareness: IsPresenceOnly = (message) => {
  if (typeof message === 'string' || message.byteLength < 2) return false;
  const decoder = decoding.createDecoder(message);
  decoding.readVarString(decoder);
  return decoding.readVarUint(decoder) === MESSAGE_AWARENESS;
};

/** Options of {@link openScrawlClient}. */
export interface ScrawlClientOptions {
  /** `ws://host:port/sync`. */
  url: string;
  room: string;
  client: number;
}

/** Connects, waits for the server's state, binds a store to it and starts publishing presence. */
export async function openScrawlClient({ url, room, client }: ScrawlClientOptions): Promise<CrowdClient> {
  const { createHeadlessStore, bindStoreToDoc, syncPresence, batchUpdates } = await loadWeb();
  const bytes: ByteCounter = newCounter();
  const doc = new Y.Doc();
  const websocket = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: countingWebSocket(() => bytes, isAwareness) });
  const provider = new HocuspocusProvider({ websocketProvider: websocket, name: room, document: doc, token: null });
  const synced = new Promise<void>((resolve, reject) => {
    provider.on('synced', () => resolve());
    provider.on('authenticationFailed', ({ reason }: { reason?: string }) => reject(new Error(`Scrawl refused client ${client}: ${reason}`)));
  });
  provider.attach();
  // As connection.ts does: local updates leave merged, at most one message per two frames (the FrameClock is the rAF).
  const batcher = batchMs === 0 ? null : batchUpdates(doc, provider, batchMs === undefined ? {} : { intervalMs: batchMs });
  await synced;

  const store = createHeadlessStore();
  const binding = bindStoreToDoc({ store, doc });
  // The editor does this on mount: the instance, page state, camera and pointer the presence record is built from.
  // (ensureStoreIsUsable is marked internal in tldraw's published types, so it is reached through a cast.)
  (store as unknown as { ensureStoreIsUsable(): void }).ensureStoreIsUsable();
  const $user = atom('crowd.user', UserRecordType.create({ id: UserRecordType.createId(`crowd-${client}`), name: `User ${client}`, color: '#e03131' }));
  const localPresence = createPresenceStateDerivation($user)(store);
  const stopPresence = syncPresence({ store, awareness: provider.awareness, localPresence });

  return {
    store,
    bytes,
    isConnected: () => websocket.status === 'connected' && provider.isSynced,
    async close() {
      stopPresence();
      binding.dispose();
      batcher?.dispose();
      provider.destroy();
      websocket.destroy();
      doc.destroy();
    },
  };
}
