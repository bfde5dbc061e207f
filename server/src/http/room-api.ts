import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hocuspocus } from '@hocuspocus/server';
import * as Y from 'yjs';
import { CloseCode, ProtocolError } from '../close-codes.ts';
import type { VersionHistory } from '../history/version-history.ts';
import { withRoomDocument } from '../sync/hocuspocus.ts';
import type { DocStore } from '../persistence/doc-store.ts';
import { roomIdFromPath } from '../rooms.ts';
import type { TokenClaims, TokenVerifier } from '../sync/auth.ts';
import { DEFAULT_MAX_ASSET_BYTES, type FileAssetStore, serveAsset, uploadAsset } from './assets.ts';
import { exportTldr } from './board-files.ts';
import { serveComments } from './comments-api.ts';
import { HttpError, bearerToken, readJson, sendJson } from './http-util.ts';
import type { BoardService } from '../workspace/board-service.ts';
import type { People } from '../people/people.ts';

/** What the room API needs from the rest of the server. */
export interface RoomApiContext {
  hocuspocus: Hocuspocus;
  /** Checks Bearer tokens; null when auth is off. */
  verifier: TokenVerifier | null;
  /** Where uploaded images live; null: uploads are refused (503). */
  assets: FileAssetStore | null;
  /** Saved versions. */
  history: VersionHistory;
  /** The store, for the inspector's figures. */
  store: DocStore;
  /** Boards as a whole: a board in the trash or deleted is neither read nor changed here. Null: no catalog. */
  boards: BoardService | null;
  /** Sign-in mode: who may call what is decided by the board's access record (tokens still work); null otherwise. */
  people: People | null;
}

/**
 * Who may call a route (with auth on): a holder of a token for the room, a read-write holder, an admin (a read-write
 * token for every room, `room: "*"`), or anyone (asset files). In sign-in mode: viewer, editor, admin (SIGN_IN_NEED),
 * and asset files a viewer's unless AUTH_SECRET is set too (see authorize).
 */
export type Access = 'read' | 'write' | 'admin' | 'open';

interface Route {
  method: string;
  /** Matched against the path after `/api/rooms/:room`. */
  path: RegExp;
  access: Access;
  handle: (call: RoomCall) => Promise<void>;
}

interface RoomCall {
  req: IncomingMessage;
  res: ServerResponse;
  ctx: RoomApiContext;
  room: string;
  /** Groups of the route's path pattern. */
  params: string[];
  /** The caller's token claims (null when auth is off or the route is open). */
  claims: TokenClaims | null;
}

const VERSION_ID = '([0-9a-z]{9}-[0-9a-f]{8})';

const ROUTES: Route[] = [
  { method: 'GET', path: /^\/?$/, access: 'admin', handle: inspect },
  { method: 'GET', path: /^\/state$/, access: 'read', handle: getState },
  { method: 'GET', path: /^\/export$/, access: 'read', handle: exportBoard },
  { method: 'GET', path: /^\/comments$/, access: 'read', handle: ({ res, ctx, room }) => serveComments(res, ctx.hocuspocus, room) },
  { method: 'POST', path: /^\/assets$/, access: 'write', handle: postAsset },
  { method: 'GET', path: /^\/assets\/([^/]+)$/, access: 'open', handle: getAsset },
  { method: 'GET', path: /^\/versions$/, access: 'read', handle: listVersions },
  { method: 'POST', path: /^\/versions$/, access: 'write', handle: saveVersion },
  { method: 'GET', path: new RegExp(`^/versions/${VERSION_ID}$`), access: 'read', handle: getVersion },
  { method: 'PATCH', path: new RegExp(`^/versions/${VERSION_ID}$`), access: 'write', handle: labelVersion },
  { method: 'POST', path: new RegExp(`^/versions/${VERSION_ID}/restore$`), access: 'write', handle: restoreVersion },
  { method: 'POST', path: /^\/share$/, access: 'write', handle: share },
];

/**
 * The routes under `/api/rooms/:room` (method, pattern of the path after it, access), read-only: the role-matrix test
 * (test/sign-in-role-matrix.test.ts) walks this table, so a route added here without an expectation there fails it.
 */
export const ROOM_ROUTES: readonly Readonly<Pick<Route, 'method' | 'path' | 'access'>>[] = ROUTES;

const ROOM_PATH = /^\/api\/rooms\/([^/]+)(\/.*)?$/;

/**
 * Serves `/api/rooms/:room/...`: state, export, comments, assets, versions and share links. With auth on, every route but asset files
 * needs a Bearer token for the room (401 without, 403 for another room), and changing routes a read-write one.
 * Returns false when the path is not under `/api/rooms/`.
 */
export async function handleRoomApi(req: IncomingMessage, res: ServerResponse, pathname: string, ctx: RoomApiContext): Promise<boolean> {
  const match = ROOM_PATH.exec(pathname);
  if (!match) return false;
  const room = roomIdFromPath(match[1]);
  if (room === null) {
    sendJson(res, 400, { error: 'room ids match ^[A-Za-z0-9_-]{1,64}$' });
    return true;
  }
  const rest = match[2] ?? '';
  const candidates = ROUTES.filter((route) => route.path.test(rest));
  const route = candidates.find((r) => r.method === req.method || (req.method === 'HEAD' && r.method === 'GET'));
  if (!route) {
    sendJson(res, candidates.length > 0 ? 405 : 404, { error: candidates.length > 0 ? 'method not allowed' : 'not found' });
    return true;
  }
  try {
    const claims = await authorize(req, ctx, room, route.access);
    const closed = route.access === 'open' ? null : await ctx.boards?.closedReason(room);
    if (closed) throw new HttpError(closed === 'board was deleted' ? 410 : 403, closed);
    await route.handle({ req, res, ctx, room, params: route.path.exec(rest)!.slice(1), claims });
  } catch (error) {
    if (error instanceof HttpError) sendJson(res, error.status, { error: error.message });
    else throw error;
  }
  return true;
}

/** The role a route's access asks for in sign-in mode. */
const SIGN_IN_NEED = { read: 'viewer', write: 'editor', admin: 'admin' } as const;

async function authorize(req: IncomingMessage, ctx: RoomApiContext, room: string, access: Access): Promise<TokenClaims | null> {
  if (access === 'open') {
    // Asset files: an <img> sends no token, so in open and token mode the 256-bit content hash is the key. In sign-in
    // mode without AUTH_SECRET every <img> is the web app's own, same-origin with the session cookie: a file is then a
    // viewer's like the rest of the board (issue 16, "asset URLs"), and a removed member's saved URLs stop working.
    if (ctx.people && !ctx.verifier) await ctx.people.authorize(req, room, 'viewer');
    return null;
  }
  if (ctx.people) return (await ctx.people.authorize(req, room, SIGN_IN_NEED[access])).claims ?? null;
  if (!ctx.verifier) return null;
  try {
    const claims = await ctx.verifier.authorize(bearerToken(req), room);
    if (access !== 'read' && claims.mode !== 'rw') throw new ProtocolError(CloseCode.forbidden, 'read-only token');
    if (access === 'admin' && claims.room !== '*') throw new ProtocolError(CloseCode.forbidden, 'admin token required');
    return claims;
  } catch (error) {
    if (error instanceof ProtocolError) throw new HttpError(error.code === CloseCode.forbidden ? 403 : 401, error.reason);
    throw error;
  }
}

function sendUpdate(res: ServerResponse, req: IncomingMessage, update: Uint8Array): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': update.byteLength, 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : update);
}

/** The room inspector, for debugging: sizes, clients and a readable dump of the document. */
async function inspect({ res, ctx, room }: RoomCall): Promise<void> {
  const live = ctx.hocuspocus.documents.get(room);
  const connections = live?.getConnectionsCount() ?? 0;
  const awarenessStates = live?.awareness.getStates().size ?? 0;
  const stored = await ctx.store.stats(room);
  await withRoomDocument(ctx.hocuspocus, room, async (doc) => {
    const roots: Record<string, unknown> = {};
    for (const [name, type] of doc.share) roots[name] = readableRoot(type);
    sendJson(res, 200, {
      room,
      loaded: live !== undefined,
      connections,
      awarenessStates,
      documentBytes: Y.encodeStateAsUpdate(doc).byteLength,
      yjsClients: doc.store.clients.size,
      store: stored,
      versions: (await ctx.history.list(room)).length,
      document: roots,
    });
  });
}

/** A root type as JSON, typed from its content (the server never declares root types). */
function readableRoot(type: Y.AbstractType<any>): unknown {
  if (type._map.size > 0) return Object.fromEntries([...type._map.keys()].map((key) => [key, toReadable(type._map.get(key)!)]));
  const items: unknown[] = [];
  for (let item = type._start; item !== null; item = item.right) if (!item.deleted) items.push(...item.content.getContent().map(toReadable));
  return items.every((i) => typeof i === 'string') ? items.join('') : items;
}

function toReadable(value: unknown): unknown {
  if (value instanceof Y.Item) return value.deleted ? undefined : toReadable(value.content.getContent().at(-1));
  return value instanceof Y.AbstractType ? value.toJSON() : value;
}

async function getState({ req, res, ctx, room }: RoomCall): Promise<void> {
  sendUpdate(res, req, await readRoomState(ctx.hocuspocus, room));
}

/** The board as a file to download (`?format=tldr`, the only format so far): board-files.ts. */
async function exportBoard({ req, res, ctx, room }: RoomCall): Promise<void> {
  const format = URL.parse(req.url ?? '', 'http://localhost')?.searchParams.get('format') ?? null;
  await exportTldr(req, res, { hocuspocus: ctx.hocuspocus, assets: ctx.assets, room, format });
}

async function postAsset({ req, res, ctx, room }: RoomCall): Promise<void> {
  if (!ctx.assets) throw new HttpError(503, 'no asset store configured');
  await uploadAsset(req, res, ctx.assets, room, DEFAULT_MAX_ASSET_BYTES);
}

async function getAsset({ req, res, ctx, room, params }: RoomCall): Promise<void> {
  // Readable without a token (but in sign-in mode, see authorize): <img> cannot send one, and the id is a 256-bit content hash.
  if (!ctx.assets) throw new HttpError(404, 'no such asset');
  // Checked per person (authorize above): no shared cache may hand the file to someone else.
  await serveAsset(req, res, ctx.assets, room, params[0], ctx.people && !ctx.verifier ? 'private' : 'public');
}

async function listVersions({ res, ctx, room }: RoomCall): Promise<void> {
  sendJson(res, 200, await ctx.history.list(room));
}

async function saveVersion({ req, res, ctx, room }: RoomCall): Promise<void> {
  const label = labelOf(await readJson(req));
  sendJson(res, 201, await ctx.history.save(room, label));
}

async function getVersion({ req, res, ctx, room, params }: RoomCall): Promise<void> {
  const state = await ctx.history.load(room, params[0]);
  if (!state) throw new HttpError(404, 'no such version');
  sendUpdate(res, req, state);
}

async function labelVersion({ req, res, ctx, room, params }: RoomCall): Promise<void> {
  const version = await ctx.history.label(room, params[0], labelOf(await readJson(req)));
  if (!version) throw new HttpError(404, 'no such version');
  sendJson(res, 200, version);
}

async function restoreVersion({ res, ctx, room, params }: RoomCall): Promise<void> {
  const result = await ctx.history.restore(room, params[0]);
  if (!result) throw new HttpError(404, 'no such version');
  sendJson(res, 200, result);
}

/** Share links: a read-write holder gets a fresh edit or view-only token for the room. */
async function share({ req, res, ctx, room, claims }: RoomCall): Promise<void> {
  const { mode } = await readJson(req);
  if (mode !== 'rw' && mode !== 'ro') throw new HttpError(400, 'mode must be "rw" or "ro"');
  if (!ctx.verifier) {
    // Without auth there is nothing to enforce: a view-only link only asks the app to show the board read-only.
    sendJson(res, 200, { mode, token: null, url: mode === 'ro' ? `/b/${room}?view=1` : `/b/${room}` });
    return;
  }
  const token = await ctx.verifier.mint({ room, mode, ...(claims?.sub ? { sub: claims.sub } : {}) });
  sendJson(res, 200, { mode, token, url: `/b/${room}?token=${encodeURIComponent(token)}` });
}

function labelOf(body: Record<string, unknown>): string {
  const label = body.label ?? '';
  if (typeof label !== 'string' || label.length > 200) throw new HttpError(400, 'label must be a string of at most 200 characters');
  return label.trim();
}

/**
 * The room's whole state as one update, from the live document (loading it from the store through Hocuspocus if no
 * one is connected, and letting it unload again).
 */
function readRoomState(hocuspocus: Hocuspocus, room: string): Promise<Uint8Array> {
  return withRoomDocument(hocuspocus, room, (doc) => Y.encodeStateAsUpdate(doc));
}
