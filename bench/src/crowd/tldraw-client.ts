/**
 * One tldraw sync user in Node, put together the way `useSync` (@tldraw/sync) does it, minus React: a store from
 * `createTLStore` with tldraw's default shapes and bindings, tldraw's own `ClientWebSocketAdapter` to the anchor's
 * `/connect/:room?sessionId=...`, and a `TLSyncClient` that pushes the store's changes and the presence record
 * derived from it (`createPresenceStateDerivation`, in 'full' mode as soon as anyone else is in the room, as
 * `useSync` does).
 *
 * ClientWebSocketAdapter listens to `window` (online/offline), `document` (visibility) and constructs the global
 * `WebSocket`; Node has none of the first two, so {@link installBrowserStubs} gives this thread inert ones (no event
 * ever fires on them) and a counting `ws` as `WebSocket`. Only the worker threads running tldraw clients install
 * them.
 */
import { setMaxListeners } from 'node:events';
import * as syncCore from '@tldraw/sync-core';
import { TLSyncClient, type TLPersistentClientSocket } from '@tldraw/sync-core';
import { atom, computed } from '@tldraw/state';
import { createPresenceStateDerivation, UserRecordType, type TLRecord } from '@tldraw/tlschema';
import { createTLStore, defaultBindingUtils, defaultShapeUtils, type TLStore } from 'tldraw';
import { countingWebSocket, newCounter, type ByteCounter, type IsPresenceOnly } from './counting-socket.ts';
import type { CrowdClient } from './crowd-client.ts';

/**
 * tldraw's own socket adapter, the one `useSync` uses. It is exported at runtime but marked internal, so its type is
 * left out of the package's declarations; this is the part of it used here.
 */
const ClientWebSocketAdapter = (syncCore as unknown as {
  ClientWebSocketAdapter: new (getUri: () => string) => TLPersistentClientSocket<any, any> & { close(): void };
}).ClientWebSocketAdapter;

/** Internal members of tldraw's classes that useSync relies on (left out of the published types). */
type WithInternals = { ensureStoreIsUsable(): void };

/** Byte counters by session id: the adapter builds its sockets itself, from a URL carrying the session id. */
const countersBySession = new Map<string, ByteCounter>();

/** Gives this thread the browser globals ClientWebSocketAdapter touches. Call once, before the first client. */
export function installBrowserStubs(): void {
  const global = globalThis as unknown as Record<string, unknown>;
  // devicePixelRatio: tldraw reads it for a new instance record whenever `window` exists.
  global.window ??= Object.assign(new EventTarget(), { devicePixelRatio: 1, navigator: globalThis.navigator });
  global.document ??= Object.assign(new EventTarget(), { hidden: false });
  // Every client's adapter listens on these two; dozens of listeners on one target is expected here, not a leak.
  setMaxListeners(0, global.window as EventTarget, global.document as EventTarget);
  const WebSocketClass = countingWebSocket((url) => {
    const session = new URL(url).searchParams.get('sessionId') ?? '';
    const counter = countersBySession.get(session);
    if (counter === undefined) throw new Error(`no client opened session ${session}`);
    return counter;
  }, isPresenceOnly);
  Object.defineProperty(globalThis, 'WebSocket', { value: WebSocketClass, writable: true, configurable: true });
}

/**
 * tldraw sync messages are JSON: a push or a patch that names presence records and no shape carries presence only.
 * (A push carrying both a stroke and the cursor counts as stroke traffic.)
 */
const isPresenceOnly: IsPresenceOnly = (message) =>
  (message.includes('"presence"') || message.includes('instance_presence:')) && !message.includes('shape:');

/** Options of {@link openTldrawClient}. */
export interface TldrawClientOptions {
  /** `ws://host:port/connect/:room`. */
  url: string;
  client: number;
}

/** Connects a TLSyncClient and waits until the room's state is in its store. */
export async function openTldrawClient({ url, client }: TldrawClientOptions): Promise<CrowdClient> {
  const bytes = newCounter();
  const sessionId = `crowd-${client}`;
  countersBySession.set(sessionId, bytes);
  const store = createTLStore({ shapeUtils: defaultShapeUtils, bindingUtils: defaultBindingUtils });
  const socket = new ClientWebSocketAdapter(() => {
    const withParams = new URL(url);
    withParams.searchParams.set('sessionId', sessionId);
    withParams.searchParams.set('storeId', store.id);
    return withParams.toString();
  });
  const $user = atom('crowd.user', UserRecordType.create({ id: UserRecordType.createId(`crowd-${client}`), name: `User ${client}`, color: '#e03131' }));
  const presence = createPresenceStateDerivation($user)(store);
  const otherSessions = store.query.ids('instance_presence');
  const presenceMode = computed<'solo' | 'full'>('presenceMode', () => (otherSessions.get().size === 0 ? 'solo' : 'full'));

  let syncClient: TLSyncClient<TLRecord, TLStore> | undefined;
  await new Promise<void>((resolve, reject) => {
    syncClient = new TLSyncClient<TLRecord, TLStore>({
      store,
      socket,
      presence: presence as never,
      presenceMode,
      onLoad: () => resolve(),
      onSyncError: (reason) => reject(new Error(`tldraw sync refused client ${client}: ${reason}`)),
      // As useSync: a store that just received the room's state gets its instance, page state, camera and pointer.
      onAfterConnect: () => (store as unknown as WithInternals).ensureStoreIsUsable(),
    });
  });

  return {
    store,
    bytes,
    isConnected: () => socket.connectionStatus === 'online' && (syncClient as unknown as { isConnectedToRoom: boolean }).isConnectedToRoom,
    async close() {
      syncClient!.close();
      socket.close();
    },
  };
}
