import type { IncomingMessage, ServerResponse } from 'node:http';
import { CloseCode, ProtocolError } from '../close-codes.ts';
import { isValidRoomId, newRoomId } from '../rooms.ts';
import type { TokenClaims, TokenVerifier } from '../sync/auth.ts';
import { CATALOG_VIEWS, type BoardEntry, type CatalogView, MAX_PAGE_SIZE, type SearchHit } from '../workspace/board-catalog.ts';
import { MAX_TITLE_CHARS, normalizeTitle } from '../workspace/board-title.ts';
import type { BoardService } from '../workspace/board-service.ts';
import { importTldr } from './board-files.ts';
import { HttpError, bearerToken, mediaType, readBody, readJson, sendJson } from './http-util.ts';
import type { Need, People } from '../people/people.ts';
import type { Person } from '../people/person.ts';

/** What the boards API needs from the rest of the server. */
export interface BoardsApiContext {
  boards: BoardService;
  /** Checks Bearer tokens; null when auth is off. */
  verifier: TokenVerifier | null;
  /** BOARD_LIST: false refuses to list boards unless the caller names them (`ids`). */
  boardList: boolean;
  /**
   * Sign-in mode: boards are listed and changed by their access records (viewer reads, editor changes, owner trashes
   * and restores), and whoever creates a board (duplicate, import, template) owns it. Null or unset otherwise.
   */
  people?: People | null;
}

/** Largest accepted thumbnail. */
export const MAX_THUMBNAIL_BYTES = 256 * 1024;

/** A board takes a new thumbnail at most this often. */
const THUMBNAIL_INTERVAL_MS = 10_000;

/** Most ids one listing may name. */
const MAX_IDS = 200;

const DEFAULT_PAGE_SIZE = 50;

/** First bytes of the accepted image types, checked against the declared type. */
const IMAGE_SIGNATURES: Record<string, (bytes: Buffer) => boolean> = {
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/webp': (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
};

/** When each board last took a thumbnail on this instance. */
const lastThumbnailAt = new Map<string, number>();

const BOARD_PATH = /^\/api\/boards\/([^/]+)(\/[a-z]+)?$/;

/**
 * Serves `/api/boards` (docs/protocol.md, "Boards: the catalog"), `POST /api/boards/import` (board-files.ts) and
 * `GET /new`. Returns false for other paths. With auth on, listing shows only the boards a token's `room` claim
 * covers, and each board's routes need a token for it (read-write to change it; duplicating and importing need one
 * for every room, since the result is a new room).
 */
export async function handleBoardsApi(req: IncomingMessage, res: ServerResponse, url: URL, ctx: BoardsApiContext): Promise<boolean> {
  try {
    if (url.pathname === '/new' && (req.method === 'GET' || req.method === 'HEAD')) return await newBoard(req, res, url, ctx);
    if (url.pathname === '/api/boards' || url.pathname === '/api/boards/') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method not allowed');
      await listBoards(req, res, url, ctx);
      return true;
    }
    if (url.pathname === '/api/boards/import' && req.method === 'POST') {
      // A new room, like a duplicate: a read-write token for every room.
      const { person } = await authorize(req, ctx, '*', 'write', 'signed-in');
      const entry = await importTldr(req, ctx.boards);
      if (person) await ctx.people!.claimNew(entry.id, person);
      sendJson(res, 201, summary(entry));
      return true;
    }
    const match = BOARD_PATH.exec(url.pathname);
    if (!match) return false;
    const room = match[1];
    if (!isValidRoomId(room)) throw new HttpError(400, 'room ids match ^[A-Za-z0-9_-]{1,64}$');
    await boardRoute(req, res, url, ctx, room, match[2] ?? '');
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    sendJson(res, error.status, { error: error.message });
  }
  return true;
}

/**
 * The routes of one board under `/api/boards/:room`, as `"<METHOD> <action>"` (action '' for the board itself). The
 * switch below is typed by this list, so typecheck fails when the two differ; the role-matrix test
 * (test/sign-in-role-matrix.test.ts) walks it, so a route without an expectation there fails that test.
 */
export const BOARD_ROUTES = ['GET ', 'PATCH ', 'DELETE ', 'POST /restore', 'POST /duplicate', 'PUT /thumbnail', 'GET /thumbnail', 'HEAD /thumbnail'] as const;

async function boardRoute(req: IncomingMessage, res: ServerResponse, url: URL, ctx: BoardsApiContext, room: string, action: string): Promise<void> {
  // Any string at run time (unknown ones reach `default`); typed so each case must be one of BOARD_ROUTES.
  const route = `${req.method} ${action}` as (typeof BOARD_ROUTES)[number];
  const { boards } = ctx;
  switch (route) {
    case 'GET ':
      await authorize(req, ctx, room, 'read');
      return sendJson(res, 200, summary(await known(boards, room)));
    case 'PATCH ': {
      await authorize(req, ctx, room, 'write');
      const body = await readJson(req);
      const entry = await known(boards, room);
      if (entry.deletedAt) throw new HttpError(409, 'board is in the trash');
      const title = body.title === undefined ? undefined : titleOf(body.title);
      if (body.starred !== undefined && typeof body.starred !== 'boolean') throw new HttpError(400, 'starred must be true or false');
      let updated = entry;
      if (title !== undefined) updated = (await boards.rename(room, title)) ?? updated;
      if (typeof body.starred === 'boolean') updated = (await boards.star(room, body.starred)) ?? updated;
      return sendJson(res, 200, summary(updated));
    }
    case 'DELETE ': {
      await authorize(req, ctx, room, 'write', 'owner');
      if (url.searchParams.get('forever') === '1') {
        await known(boards, room);
        if (!(await boards.deleteForever(room))) throw new HttpError(409, 'only a board in the trash can be deleted for good');
        res.writeHead(204).end();
        return;
      }
      await known(boards, room);
      return sendJson(res, 200, summary((await boards.trash(room))!));
    }
    case 'POST /restore':
      await authorize(req, ctx, room, 'write', 'owner');
      await known(boards, room);
      return sendJson(res, 200, summary((await boards.restore(room))!));
    case 'POST /duplicate': {
      // A copy is a new board: in token mode a token for every room; signed in, reading the original is enough.
      const { person } = ctx.people ? await authorize(req, ctx, room, 'read') : await authorize(req, ctx, '*', 'write');
      const body = await readJson(req);
      const title = body.title === undefined ? undefined : titleOf(body.title);
      if (body.template !== undefined && typeof body.template !== 'boolean') throw new HttpError(400, 'template must be true or false');
      if (body.template === true && person && !person.admin) throw new HttpError(403, 'only admins make templates');
      if ((await known(boards, room)).deletedAt) throw new HttpError(409, 'board is in the trash');
      const copy = (await boards.duplicate(room, { title, template: body.template === true }))!;
      if (person && !copy.template) await ctx.people!.claimNew(copy.id, person);
      return sendJson(res, 201, summary(copy));
    }
    case 'PUT /thumbnail':
      await authorize(req, ctx, room, 'write');
      return putThumbnail(req, res, boards, room);
    case 'GET /thumbnail':
    case 'HEAD /thumbnail': {
      // As asset files (room-api.ts): in sign-in mode without AUTH_SECRET every <img> carries the session cookie, so a
      // thumbnail (a picture of the board) is a viewer's; otherwise the version in the URL is the key.
      const checked = ctx.people != null && !ctx.verifier;
      if (checked) await ctx.people!.authorize(req, room, 'viewer');
      return getThumbnail(req, res, url, boards, room, checked ? 'private' : 'public');
    }
    default:
      route satisfies never;
      throw new HttpError(['/restore', '/duplicate', '/thumbnail', ''].includes(action) ? 405 : 404, 'no such route');
  }
}

async function listBoards(req: IncomingMessage, res: ServerResponse, url: URL, ctx: BoardsApiContext): Promise<void> {
  const started = performance.now();
  // How long the catalog took, for browsers' devtools and the catalog benchmark (npm run bench -- catalog).
  const timed = () => res.setHeader('server-timing', `app;dur=${(performance.now() - started).toFixed(2)}`);
  const { claims, person } = await authorize(req, ctx, null, 'read', 'signed-in');
  const params = url.searchParams;
  const view = (params.get('view') ?? 'recent') as CatalogView;
  if (!CATALOG_VIEWS.includes(view)) throw new HttpError(400, `view must be one of ${CATALOG_VIEWS.join(', ')}`);
  const limit = params.has('limit') ? Number(params.get('limit')) : DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) throw new HttpError(400, `limit must be 1..${MAX_PAGE_SIZE}`);
  let ids = params.has('ids') ? (params.get('ids') ?? '').split(',').filter(Boolean) : null;
  if (ids && (ids.length > MAX_IDS || !ids.every(isValidRoomId))) throw new HttpError(400, `ids must be at most ${MAX_IDS} room ids`);
  if (!ctx.boardList && ids === null && view !== 'templates') {
    throw new HttpError(403, 'listing boards is turned off on this server (BOARD_LIST=off): name the boards with ids=');
  }
  // A token for one room lists that room at most.
  if (claims && claims.room !== '*') ids = (ids ?? [claims.room]).filter((id) => id === claims.room);
  // A signed-in person lists the boards they own, are members of or opened through a link (admins: all); every
  // signed-in person sees the templates.
  const visible = person && view !== 'templates' ? await ctx.people!.visibleRooms(person) : null;
  if (visible) ids = ids ? ids.filter((id) => visible.includes(id)) : visible;
  const q = (params.get('q') ?? '').trim();
  const catalog = ctx.boards.catalog;
  if (q) {
    if (q.length > 200) throw new HttpError(400, 'q must be at most 200 characters');
    const hits = await catalog.search({ q, view, limit, ids });
    timed();
    return sendJson(res, 200, { boards: hits.map(searchResult), cursor: null });
  }
  const cursor = params.get('cursor');
  if (cursor !== null && !/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw new HttpError(400, 'unreadable cursor');
  const page = await catalog.list({ view, cursor, limit, ids });
  timed();
  sendJson(res, 200, { boards: page.entries.map(summary), cursor: page.cursor });
}

async function newBoard(req: IncomingMessage, res: ServerResponse, url: URL, ctx: BoardsApiContext): Promise<boolean> {
  const template = url.searchParams.get('template');
  let room = newRoomId();
  if (template !== null) {
    if (!isValidRoomId(template)) throw new HttpError(400, 'template ids are room ids');
    let person: Person | null = null;
    if (ctx.people && !url.searchParams.has('token')) {
      person = await ctx.people.personOf(req);
      if (!person) throw new HttpError(401, 'sign in required');
    } else if (ctx.verifier) await verify(ctx.verifier, url.searchParams.get('token'), '*', 'write');
    const copy = await ctx.boards.fromTemplate(template);
    if (!copy) throw new HttpError(404, 'no such template');
    if (person) await ctx.people!.claimNew(copy.id, person);
    room = copy.id;
  }
  res.writeHead(302, { location: `/b/${room}`, 'cache-control': 'no-store' });
  res.end();
  return true;
}

async function putThumbnail(req: IncomingMessage, res: ServerResponse, boards: BoardService, room: string): Promise<void> {
  const type = mediaType(req);
  const signature = IMAGE_SIGNATURES[type];
  if (!signature) throw new HttpError(415, 'a thumbnail is image/png or image/webp');
  const bytes = await readBody(req, MAX_THUMBNAIL_BYTES, `a thumbnail is at most ${MAX_THUMBNAIL_BYTES} bytes`);
  if (!signature(bytes)) throw new HttpError(415, `the body is not ${type}`);
  const entry = await known(boards, room);
  if (entry.deletedAt) throw new HttpError(409, 'board is in the trash');
  const now = Date.now();
  // Only recent uploads matter: forget the rest, so the map holds the boards of the last 10 s, not every board ever.
  for (const [board, at] of lastThumbnailAt) if (now - at >= THUMBNAIL_INTERVAL_MS) lastThumbnailAt.delete(board);
  if (now - (lastThumbnailAt.get(room) ?? 0) < THUMBNAIL_INTERVAL_MS) throw new HttpError(429, 'this board got a thumbnail moments ago');
  lastThumbnailAt.set(room, now);
  await boards.catalog.putThumbnail(room, { type, bytes });
  res.writeHead(204).end();
}

async function getThumbnail(req: IncomingMessage, res: ServerResponse, url: URL, boards: BoardService, room: string, cache: 'public' | 'private'): Promise<void> {
  // No token: an <img> cannot send one; the version in the URL is a content hash only readers of the catalog learn.
  const thumbnail = await boards.catalog.getThumbnail(room);
  if (!thumbnail || url.searchParams.get('v') !== thumbnail.version) throw new HttpError(404, 'no such thumbnail');
  res.writeHead(200, {
    'content-type': thumbnail.type,
    'content-length': thumbnail.bytes.byteLength,
    'cache-control': `${cache}, max-age=31536000, immutable`,
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : thumbnail.bytes);
}

/** The board's entry; 404 when the catalog holds none. */
async function known(boards: BoardService, room: string): Promise<BoardEntry> {
  const entry = await boards.catalog.get(room);
  if (!entry) throw new HttpError(404, 'no such board');
  return entry;
}

function titleOf(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_TITLE_CHARS) throw new HttpError(400, `title must be a string of at most ${MAX_TITLE_CHARS} characters`);
  return normalizeTitle(value);
}

/**
 * Checks the caller when auth is on. Token mode: the Bearer token for `room` (null: any token), read-write for
 * changes. Sign-in mode: a role on `room` (viewer to read, editor to change, or `need`), a Bearer token still
 * accepted as in token mode; `room` null or `*` needs only someone signed in.
 */
async function authorize(
  req: IncomingMessage,
  ctx: BoardsApiContext,
  room: string | null,
  access: 'read' | 'write',
  need?: Need,
): Promise<{ claims: TokenClaims | null; person: Person | null }> {
  if (ctx.people) {
    const signedInNeed: Need = room === null || room === '*' ? 'signed-in' : (need ?? (access === 'read' ? 'viewer' : 'editor'));
    const caller = await ctx.people.authorize(req, room === '*' ? null : room, signedInNeed);
    if (caller.claims && (room === '*' || room === null) && access === 'write') await verify(ctx.verifier!, bearerToken(req), room, access);
    return { claims: caller.claims ?? null, person: caller.person ?? null };
  }
  return { claims: ctx.verifier ? await verify(ctx.verifier, bearerToken(req), room, access) : null, person: null };
}

async function verify(verifier: TokenVerifier, token: string | null, room: string | null, access: 'read' | 'write'): Promise<TokenClaims> {
  try {
    const claims = room === null ? await verifier.verify(token) : await verifier.authorize(token, room);
    if (access === 'write' && claims.mode !== 'rw') throw new ProtocolError(CloseCode.forbidden, 'read-only token');
    return claims;
  } catch (error) {
    if (error instanceof ProtocolError) throw new HttpError(error.code === CloseCode.forbidden ? 403 : 401, error.reason);
    throw error;
  }
}

/** A board as the API shows it (docs/protocol.md, BoardSummary). */
export function summary(entry: BoardEntry) {
  return {
    id: entry.id,
    title: entry.title,
    createdAt: entry.createdAt,
    updatedAt: entry.updatedAt,
    shapeCount: entry.shapeCount,
    bytes: entry.bytes,
    lastEditors: entry.lastEditors,
    excerpt: entry.excerpt,
    thumbnailUrl: entry.thumbnail ? `/api/boards/${entry.id}/thumbnail?v=${entry.thumbnail.version}` : null,
    deletedAt: entry.deletedAt,
    template: entry.template,
    starred: entry.starred,
  };
}

function searchResult(hit: SearchHit) {
  return { ...summary(hit.entry), excerpt: hit.excerpt, highlights: hit.highlights, titleHighlights: hit.titleHighlights };
}
