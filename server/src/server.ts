import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Extension, Hocuspocus } from '@hocuspocus/server';
import { CloseCode } from './close-codes.ts';
import { listenWithAcceptQueues } from './http/accept-queues.ts';
import { handleApiRequest } from './http/routes.ts';
import { sendJson } from './http/http-util.ts';
import { VersionHistory } from './history/version-history.ts';
import { serveWebApp } from './http/web-app.ts';
import { FileAssetStore } from './http/assets.ts';
import { silentLogger, type Logger } from './log.ts';
import type { DocStore } from './persistence/doc-store.ts';
import { PersistenceExtension } from './persistence/persistence-extension.ts';
import { AuthExtension, TokenVerifier } from './sync/auth.ts';
import { createHocuspocus } from './sync/hocuspocus.ts';
import { SocketServer, clientAddress, refuseUpgrade } from './sync/socket-server.ts';
import { SignIn, type SignInOptions } from './people/sign-in.ts';
import { isRoomCloser } from './sync/close-room.ts';
import { clientUpdateHooks, listensToEveryMessage } from './sync/direct-messages.ts';
import { DEFAULT_LIMITS, type Limits } from './sync/limits.ts';
import { ScrawlMetrics } from './metrics.ts';
import type { BoardCatalog } from './workspace/board-catalog.ts';
import { BoardService } from './workspace/board-service.ts';
import type { TemplateSource } from './workspace/templates.ts';
import { CatalogIndexer } from './workspace/catalog-indexer.ts';
import { catalogForStore } from './workspace/catalog-for-store.ts';
import { BackupService } from './backup/backup-service.ts';
import { BackupScheduler } from './backup/scheduler.ts';
import { LevelDbStore } from './persistence/leveldb-store.ts';
import { PostgresStore } from './persistence/postgres-store.ts';

/** Options of {@link createScrawlServer}. Only `store` is required. */
export interface ScrawlServerOptions {
  /** Where rooms are kept. The server opens it in `start()` and closes it in `stop()`. */
  store: DocStore;
  /** Structured logger; silent by default. */
  logger?: Logger;
  /** Largest accepted WebSocket message in bytes, default 16 MiB; larger ones close with 1009. */
  maxMessageBytes?: number;
  /** Heartbeat period in milliseconds, default 15000; a peer silent for a whole period after a ping is dropped. */
  heartbeatMs?: number;
  /** Compact a room's log after this many appends, default 500. */
  compactAfterUpdates?: number;
  /**
   * Extra Hocuspocus extensions (auth, scale-out), consulted before persistence. One that implements
   * `beforeHandleMessage`, `beforeSync` or `afterHandleMessage` sees every message, and every message then takes
   * Hocuspocus's pipeline instead of the direct path (docs/architecture.md). `beforeHandleAwareness` is never called:
   * awareness updates are applied straight to the document's awareness.
   */
  extensions?: Extension[];
  /** The built web app (web/dist) to serve at `/`, `/b/:room`, `/embed/:room`; unset serves no app (API only). */
  webRoot?: string;
  /** Handed to the canvas at runtime through `GET /api/config` (TLDRAW_LICENSE_KEY); null by default. */
  tldrawLicenseKey?: string | null;
  /** HS256 secret (AUTH_SECRET). When set, every connection and API call needs a token; unset, none does. */
  authSecret?: string | null;
  /** Directory for uploaded images (`<dir>/assets/...`), normally DATA_DIR; unset refuses uploads. */
  assetDir?: string;
  /** Save an automatic version at the first change after this much idle time, default 10 minutes; 0 turns it off. */
  autoVersionAfterIdleMs?: number;
  /** Abuse limits; each unset field keeps its default (see DEFAULT_LIMITS in sync/limits.ts). */
  limits?: Partial<Limits>;
  /** Origins allowed for WebSocket upgrades and the API (ALLOWED_ORIGINS); null (default) allows any. */
  allowedOrigins?: string[] | null;
  /** Behind a reverse proxy: take client addresses from X-Forwarded-For (TRUST_PROXY). Default false. */
  trustProxy?: boolean;
  /** TLS certificate and key (PEM contents) for `listen()`: serve https and wss. Unset: plain http. */
  tls?: { cert: string | Buffer; key: string | Buffer } | null;
  /** Listening sockets `listen()` binds to its port (SO_REUSEPORT), default ACCEPT_QUEUES (256 on Linux, else 1). */
  acceptQueues?: number;
  /**
   * The board catalog (boards page, search, trash, templates). Default: the one that lives beside `store` (LevelDB:
   * the same database; PostgreSQL: the same schema; otherwise in memory). `false` turns the catalog and `/api/boards`
   * off (the boards page then lists nothing; benchmarks compare the relay with and without it).
   */
  catalog?: BoardCatalog | false;
  /** BOARD_LIST, default true. False: `/api/boards` lists only boards the caller names (`ids=`), and templates. */
  boardList?: boolean;
  /** Templates seeded as template boards at the first start, default none (`main.ts` ships server/templates/). */
  templates?: TemplateSource;
  /** Days a board stays in the trash before it is deleted for good, default 30. */
  trashDays?: number;
  /**
   * Scheduled backups (BACKUP_DIR, BACKUP_INTERVAL, BACKUP_KEEP) into `dir`; unset: none. `firstDelayMs` (default 60 s)
   * is the least wait after start. Backups cover the store and the assets under `assetDir`. The admin endpoint
   * `GET /api/admin/backup` is served whatever this says, for LevelDB and PostgreSQL stores.
   */
  backup?: { dir: string; intervalMs: number; keep: number; firstDelayMs?: number } | null;
  /**
   * Sign-in mode (OIDC_* + SESSION_SECRET + PUBLIC_URL; docs/authentication.md): people sign in with an OpenID Connect
   * provider and boards have owners, members and links, enforced on both endpoints and the API. Tokens (`authSecret`)
   * are still accepted beside it. Unset (default): open or token mode, exactly as without this option.
   */
  signIn?: SignInOptions | null;
}

/** A running (or ready to run) Scrawl server. */
export interface ScrawlServer {
  /** The Hocuspocus instance that owns the live documents. */
  readonly hocuspocus: Hocuspocus;
  /** The store behind it. */
  readonly store: DocStore;
  /** Boards as a whole (catalog, trash, duplicates, templates); null when the catalog is off. */
  readonly boards: BoardService | null;
  /** Opens the store; until then /healthz answers 503 and upgrades are refused. */
  start(): Promise<void>;
  /** Opens the store and listens on its own HTTP server; resolves with the bound address (port 0 picks a free one). */
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Adds Scrawl's routes and WebSocket endpoints to an existing HTTP(S) server (embedding the server as a library). */
  attach(server: HttpServer | HttpsServer): void;
  /** The server's Prometheus metrics. */
  readonly metrics: ScrawlMetrics;
  /** Backups taken by this server (admin endpoint, schedule); null for a store that cannot be backed up. */
  readonly backups: BackupService | null;
  /** The request handler, for mounting under another framework: answers Scrawl's routes, 404 for the rest. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  /** The upgrade handler: returns false when the path is not one of Scrawl's WebSocket endpoints. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /**
   * Graceful stop: stop accepting, close every socket with 1001, wait for every room's writes and unload, close the
   * store. Resolves when done; safe to call twice.
   */
  stop(): Promise<void>;
}

/** Builds a Scrawl server: the HTTP API, both WebSocket endpoints and persistence around one Hocuspocus instance. */
export function createScrawlServer(options: ScrawlServerOptions): ScrawlServer {
  const log = options.logger ?? silentLogger;
  const store = options.store;
  const persistence = new PersistenceExtension({ store, log, compactAfterUpdates: options.compactAfterUpdates });
  const assets = options.assetDir ? new FileAssetStore(options.assetDir) : null;
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const metrics = new ScrawlMetrics({
    connections: () => sockets.counts(),
    roomsLoaded: () => hocuspocus.documents.size,
    joinsWaiting: () => sockets.joinsWaiting,
  });
  persistence.observe(metrics);
  const verifier = options.authSecret ? new TokenVerifier(options.authSecret) : null;
  const countAuthFailure = (reason: string) => metrics.authFailures.inc({ reason });
  const tokenGate = verifier ? new AuthExtension(verifier, countAuthFailure) : null;
  const history = new VersionHistory({
    hocuspocus: () => hocuspocus,
    store,
    persistence,
    log,
    autoVersionAfterIdleMs: options.autoVersionAfterIdleMs,
  });
  // The scale-out relay, when there is one, closes rooms and people's connections on every instance.
  const closer = options.extensions?.filter(isRoomCloser)[0];
  const catalog = options.catalog === false ? null : (options.catalog ?? catalogForStore(store));
  const indexer = catalog ? new CatalogIndexer({ catalog, store, log, liveBytes: (room) => persistence.stateBytes(room) }) : null;
  const boards =
    catalog && indexer
      ? new BoardService({
          catalog,
          indexer,
          store,
          persistence,
          hocuspocus: () => hocuspocus,
          assets,
          log,
          trashDays: options.trashDays,
          templates: options.templates,
          closer,
          // Sign-in mode's access record goes with the board (signIn is made below; this runs long after).
          onDeletedForever: async (room) => signIn?.people.access.remove(room),
        })
      : null;
  // Sign-in mode replaces the token gate with its own, which still lets token holders in.
  const signIn = options.signIn
    ? new SignIn(options.signIn, {
        store,
        verifier,
        tokens: tokenGate,
        isTemplate: async (room) => (await catalog?.get(room))?.template === true,
        hocuspocus: () => hocuspocus,
        closer,
        clientAddress: (req) => clientAddress(req, options.trustProxy ?? false),
        onFailure: countAuthFailure,
        log,
      })
    : null;
  const auth = signIn ? [signIn.extension] : tokenGate ? [tokenGate] : [];
  const backups =
    store instanceof LevelDbStore || store instanceof PostgresStore ? new BackupService({ store, dataDir: options.assetDir ?? null, metrics, log }) : null;
  const scheduler = backups && options.backup ? new BackupScheduler({ ...options.backup, service: backups, store, log }) : null;
  // What every client update goes through before it is applied, in this order (the version captures the state
  // before the change), on the direct path and on Hocuspocus's alike.
  const clientUpdateObservers = [history, persistence];
  const sockets: SocketServer = new SocketServer({
    hocuspocus: () => hocuspocus,
    log,
    maxMessageBytes: options.maxMessageBytes ?? 16 * 1024 * 1024,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    limits,
    metrics,
    allowedOrigins: options.allowedOrigins ?? null,
    trustProxy: options.trustProxy ?? false,
    // An extension of the embedding app that listens to every message gets every message through Hocuspocus's
    // pipeline (the socket layer's turn budget is the only other per-message hook).
    updateObservers: (options.extensions ?? []).some(listensToEveryMessage) ? null : clientUpdateObservers,
  });
  const hocuspocus = createHocuspocus({
    extensions: [
      ...auth,
      ...(boards ? [boards] : []),
      sockets.extension,
      ...(options.extensions ?? []),
      history,
      persistence,
      ...(indexer ? [indexer] : []),
      clientUpdateHooks(clientUpdateObservers),
    ],
    limits,
  });
  let state: 'created' | 'starting' | 'ready' | 'draining' | 'stopped' = 'created';
  let started: Promise<void> | null = null;
  let stopped: Promise<void> | null = null;
  const ownServers: (HttpServer | HttpsServer)[] = [];
  const closeListeners: (() => void)[] = [];

  const start = () => {
    started ??= (async () => {
      state = 'starting';
      await store.open();
      await boards?.start();
      await signIn?.start();
      await scheduler?.start();
      state = 'ready';
      log.info({ store: store.kind }, 'store open');
    })();
    return started;
  };

  const routes = {
    hocuspocus,
    verifier,
    assets,
    history,
    metrics,
    store,
    boards,
    backups,
    boardList: options.boardList ?? true,
    signIn,
    people: signIn?.people ?? null,
    allowedOrigins: options.allowedOrigins ?? null,
    isReady: () => state === 'ready',
    tldrawLicenseKey: options.tldrawLicenseKey ?? null,
  };

  /** Answers Scrawl's routes; resolves false, answering nothing, for any other path. */
  const routeRequest = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    try {
      return (await handleApiRequest(req, res, routes)) || (options.webRoot !== undefined && (await serveWebApp(req, res, options.webRoot)));
    } catch (error) {
      log.error({ err: error, url: req.url }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
      return true;
    }
  };

  const handleRequest = (req: IncomingMessage, res: ServerResponse) => {
    void routeRequest(req, res).then((handled) => {
      if (!handled) sendJson(res, 404, { error: 'not found' });
    });
  };

  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    if (state !== 'ready') {
      refuseUpgrade(socket, 503, 'Service Unavailable', 'starting or shutting down');
      return true;
    }
    if (!signIn) return sockets.handleUpgrade(req, socket, head);
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/sync' && !path.startsWith('/yjs/')) return false;
    // The session is looked up before the upgrade; the socket layer reads the person from the request.
    signIn.identifyUpgrade(req).then(
      () => sockets.handleUpgrade(req, socket, head),
      (error: unknown) => {
        log.error({ err: error }, 'cannot read the session of an upgrade');
        refuseUpgrade(socket, 503, 'Service Unavailable', 'sessions cannot be read right now');
      },
    );
    return true;
  };

  const attach = (server: HttpServer | HttpsServer) => {
    // With handlers of the host app on the same server, Scrawl answers only its own routes and leaves the rest.
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (server.listenerCount('request') === 1) handleRequest(req, res);
      else void routeRequest(req, res);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!handleUpgrade(req, socket, head)) refuseUpgrade(socket, 404, 'Not Found', 'no WebSocket endpoint here');
    });
  };

  const listen = async (port: number, host = '0.0.0.0'): Promise<AddressInfo> => {
    await start();
    const server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }) : createServer();
    attach(server);
    ownServers.push(server);
    const queues = await listenWithAcceptQueues(server, port, host, options.acceptQueues);
    closeListeners.push(queues.close);
    return queues.address;
  };

  const stop = () => {
    stopped ??= (async () => {
      state = 'draining';
      for (const server of ownServers) server.close();
      for (const close of closeListeners) close();
      await scheduler?.stop();
      backups?.cancel();
      sockets.closeAll(CloseCode.goingAway, 'server shutting down');
      await waitForUnload(hocuspocus, 10_000);
      sockets.destroy();
      for (const server of ownServers) server.closeAllConnections();
      await signIn?.stop();
      await boards?.stop();
      await store.close();
      state = 'stopped';
      log.info('stopped');
    })();
    return stopped;
  };

  return { hocuspocus, store, boards, metrics, backups, start, listen, attach, handleRequest, handleUpgrade, stop };
}

/** Waits until every document has been stored and unloaded, or `timeoutMs` passed (then stores what is left). */
async function waitForUnload(hocuspocus: Hocuspocus, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  hocuspocus.flushPendingStores();
  while (
    (hocuspocus.documents.size > 0 || hocuspocus.loadingDocuments.size > 0 || hocuspocus.unloadingDocuments.size > 0) &&
    Date.now() < deadline
  ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
