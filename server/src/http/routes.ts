import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './http-util.ts';
import { handleBoardsApi } from './boards-api.ts';
import { handleRoomApi, type RoomApiContext } from './room-api.ts';
import type { ScrawlMetrics } from '../metrics.ts';
import { isOriginAllowed } from '../sync/socket-server.ts';
import { BACKUP_PATH, handleBackupRequest } from '../backup/backup-endpoint.ts';
import type { BackupService } from '../backup/backup-service.ts';
import type { SignIn } from '../people/sign-in.ts';
import { handlePeopleApi } from '../people/people-api.ts';

/** What the HTTP routes need from the rest of the server. */
export interface RouteContext extends RoomApiContext {
  /** Served at /metrics. */
  metrics: ScrawlMetrics;
  /** Origins allowed to call the API from a browser; null allows any. */
  allowedOrigins: string[] | null;
  /** True once the store is open and until draining starts. */
  isReady: () => boolean;
  /** The tldraw licence key handed to the page at runtime (null: none configured). */
  tldrawLicenseKey: string | null;
  /** BOARD_LIST: false lists only boards the caller names. */
  boardList: boolean;
  /** Serves `GET /api/admin/backup`; null for a store that cannot be backed up. */
  backups: BackupService | null;
  /** Sign-in mode's routes (`/auth/*`, `/api/me`, page redirects); null in open and token mode. */
  signIn: SignIn | null;
}

/** Serves the HTTP API. Returns false when no route matched, so the caller can try the web app. */
export async function handleApiRequest(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<boolean> {
  const url = URL.parse(req.url ?? '/', 'http://localhost');
  if (!url) {
    sendJson(res, 400, { error: 'unreadable URL' });
    return true;
  }
  if (url.pathname === '/healthz') {
    if (ctx.isReady()) sendJson(res, 200, { status: 'ok' });
    else sendJson(res, 503, { status: 'unavailable' });
    return true;
  }
  if (url.pathname === '/metrics') {
    res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType, 'cache-control': 'no-store' });
    res.end(await ctx.metrics.registry.metrics());
    return true;
  }
  if (url.pathname.startsWith('/api/')) {
    if (!isOriginAllowed(req, ctx.allowedOrigins)) {
      sendJson(res, 403, { error: 'origin not allowed' });
      return true;
    }
    // Apps embedding the board on another origin call the API from the browser: Bearer tokens, no cookies, so
    // reflecting an allowed origin is safe.
    const origin = req.headers.origin;
    if (origin !== undefined) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-methods': 'GET, HEAD, POST, PATCH',
          'access-control-allow-headers': 'Authorization, Content-Type, X-File-Name',
          'access-control-max-age': '600',
        });
        res.end();
        return true;
      }
    }
  }
  if (ctx.signIn && (await ctx.signIn.handleRequest(req, res, url))) return true;
  if (url.pathname === BACKUP_PATH && ctx.backups) {
    await handleBackupRequest(req, res, { backups: ctx.backups, verifier: ctx.verifier, people: ctx.people });
    return true;
  }
  if (url.pathname === '/api/config') {
    sendJson(res, 200, {
      tldrawLicenseKey: ctx.tldrawLicenseKey,
      authRequired: ctx.verifier !== null,
      boardList: ctx.boardList && ctx.boards !== null,
      // Only in sign-in mode, so the open and token modes' answer stays as it was.
      ...(ctx.people ? { signIn: true } : {}),
    });
    return true;
  }
  if (ctx.people && (await handlePeopleApi(req, res, url, ctx.people))) return true;
  if (ctx.boards && (await handleBoardsApi(req, res, url, { boards: ctx.boards, verifier: ctx.verifier, boardList: ctx.boardList, people: ctx.people }))) {
    return true;
  }
  return handleRoomApi(req, res, url.pathname, ctx);
}
