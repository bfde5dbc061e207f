import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hocuspocus } from '@hocuspocus/server';
import * as Y from 'yjs';
import { CloseCode, ProtocolError } from '../close-codes.ts';
import { isValidRoomId } from '../rooms.ts';
import type { TokenVerifier } from '../sync/auth.ts';
import { DEFAULT_MAX_ASSET_BYTES, type FileAssetStore, serveAsset, uploadAsset } from './assets.ts';

/** What the HTTP routes need from the rest of the server. */
export interface RouteContext {
  hocuspocus: Hocuspocus;
  /** True once the store is open and until draining starts. */
  isReady: () => boolean;
  /** The tldraw licence key handed to the page at runtime (null: none configured). */
  tldrawLicenseKey: string | null;
  /** Checks Bearer tokens on room routes; null when auth is off. */
  verifier: TokenVerifier | null;
  /** Where uploaded images live; null: uploads are refused (503). */
  assets: FileAssetStore | null;
}

/** With auth on, the request's Bearer token must grant `room`: answers 401/403 and returns false otherwise. */
async function authorized(req: IncomingMessage, res: ServerResponse, ctx: RouteContext, room: string, needsWrite = false): Promise<boolean> {
  if (!ctx.verifier) return true;
  const header = req.headers.authorization ?? '';
  const token = header.startsWith('Bearer ') ? header.slice(7).trim() : null;
  try {
    const claims = await ctx.verifier.authorize(token, room);
    if (needsWrite && claims.mode !== 'rw') throw new ProtocolError(CloseCode.forbidden, 'read-only token');
    return true;
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    sendJson(res, error.code === CloseCode.forbidden ? 403 : 401, { error: error.reason });
    return false;
  }
}

/** Sends a JSON body with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

const ROOM_STATE = /^\/api\/rooms\/([^/]+)\/state$/;
const ROOM_ASSETS = /^\/api\/rooms\/([^/]+)\/assets(?:\/([^/]+))?$/;

/**
 * Serves the HTTP API. Returns false when no route matched, so the caller can try the next handler (the web app).
 */
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
  if (url.pathname === '/api/config') {
    sendJson(res, 200, { tldrawLicenseKey: ctx.tldrawLicenseKey });
    return true;
  }
  const assets = ROOM_ASSETS.exec(url.pathname);
  if (assets) {
    const room = safeDecode(assets[1]);
    if (!isValidRoomId(room)) {
      sendJson(res, 400, { error: 'room ids match ^[A-Za-z0-9_-]{1,64}$' });
    } else if (!ctx.assets) {
      sendJson(res, 503, { error: 'no asset store configured' });
    } else if (assets[2] === undefined && req.method === 'POST') {
      if (await authorized(req, res, ctx, room, true)) await uploadAsset(req, res, ctx.assets, room, DEFAULT_MAX_ASSET_BYTES);
    } else if (assets[2] !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
      // Readable without a token: <img> cannot send one, and the id is a 256-bit content hash.
      await serveAsset(req, res, ctx.assets, room, assets[2]);
    } else {
      sendJson(res, 405, { error: 'method not allowed' });
    }
    return true;
  }
  const state = ROOM_STATE.exec(url.pathname);
  if (state) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: 'method not allowed' });
      return true;
    }
    const room = safeDecode(state[1]);
    if (!isValidRoomId(room)) {
      sendJson(res, 400, { error: 'room ids match ^[A-Za-z0-9_-]{1,64}$' });
      return true;
    }
    if (!(await authorized(req, res, ctx, room))) return true;
    const update = await readRoomState(ctx.hocuspocus, room);
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': update.byteLength,
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : update);
    return true;
  }
  return false;
}

/**
 * The room's whole state as one update, from the live document (loading it from the store through Hocuspocus if no
 * one is connected, and letting it unload again).
 */
export async function readRoomState(hocuspocus: Hocuspocus, room: string): Promise<Uint8Array> {
  const connection = await hocuspocus.openDirectConnection(room, {});
  try {
    return Y.encodeStateAsUpdate(connection.document!);
  } finally {
    await connection.disconnect();
  }
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}
