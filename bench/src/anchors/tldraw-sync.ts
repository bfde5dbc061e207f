/**
 * Anchor: tldraw sync, as tldraw's own "simple server" example runs it: one `TLSocketRoom` (@tldraw/sync-core) per
 * room id, with tldraw's default schema, behind a plain `ws` server.
 *
 * Env:
 * - HOST, PORT (required): where to listen.
 * - STATIC_DIR (optional): a built page (bench/tldraw-page's dist) served for every other GET path, index.html as
 *   the fallback, so a browser opens `/b/:room` the same way it opens a Scrawl board.
 *
 * Routes: WebSocket `/connect/:roomId?sessionId=...` (what `useSync` and the Node crowd clients call), GET
 * `/rooms/:roomId/count` (the number of document records, to check that a written board arrived) and the page.
 *
 * Rooms live in memory only: tldraw's example persists snapshots to disk on a timer, off the relay path, so leaving
 * storage out only makes this anchor cheaper than the real thing. Every figure compared against it is conservative.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { TLSocketRoom } from '@tldraw/sync-core';
import { WebSocketServer } from 'ws';

const port = Number(process.env.PORT);
const address = process.env.HOST ?? '127.0.0.1';
const staticDir = process.env.STATIC_DIR;
if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be a positive integer');

const rooms = new Map<string, TLSocketRoom>();

/** The room for an id, created empty on first use, like tldraw's example server. */
function roomFor(roomId: string): TLSocketRoom {
  let room = rooms.get(roomId);
  if (room === undefined || room.isClosed()) {
    room = new TLSocketRoom({
      // Default schema (tldraw's default shapes and bindings): the page uses the stock <Tldraw />.
      clientTimeout: 60_000,
      log: { warn: () => {}, error: (...args: unknown[]) => console.error('tldraw sync:', ...args) },
    });
    rooms.set(roomId, room);
  }
  return room;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2', '.woff': 'font/woff', '.ico': 'image/x-icon',
};

/** The file under STATIC_DIR for a URL path, or index.html for client-side routes; undefined when none. */
function staticFile(pathname: string): string | undefined {
  if (staticDir === undefined) return undefined;
  const candidate = normalize(join(staticDir, decodeURIComponent(pathname)));
  if (candidate.startsWith(normalize(staticDir)) && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  const index = join(staticDir, 'index.html');
  return existsSync(index) ? index : undefined;
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://anchor');
  const count = /^\/rooms\/([^/]+)\/count$/.exec(url.pathname);
  if (count) {
    const room = rooms.get(count[1]!);
    const records = room ? Object.keys(room.getCurrentSnapshot().documents).length : 0;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ records }));
    return;
  }
  const file = staticFile(url.pathname);
  if (file === undefined) {
    // Without a page, "/" still answers 200: that is how the bench knows an anchor is up.
    if (url.pathname === '/') res.writeHead(200, { 'content-type': 'text/plain' }).end('tldraw sync anchor\n');
    else res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
  createReadStream(file).pipe(res);
});

const sockets = new WebSocketServer({ noServer: true });
server.on('upgrade', (req: IncomingMessage, socket, head) => {
  const url = new URL(req.url ?? '/', 'http://anchor');
  const match = /^\/connect\/([^/]+)$/.exec(url.pathname);
  const sessionId = url.searchParams.get('sessionId');
  if (!match || !sessionId) {
    socket.destroy();
    return;
  }
  sockets.handleUpgrade(req, socket, head, (ws) => {
    roomFor(decodeURIComponent(match[1]!)).handleSocketConnect({ sessionId, socket: ws });
  });
});

server.listen(port, address, () => {
  console.log(`tldraw sync anchor listening on ${address}:${port}${staticDir ? ` serving ${staticDir}` : ''}`);
});

/** SIGTERM from the bench: stop accepting, close every room's sessions, exit. */
process.on('SIGTERM', () => {
  for (const room of rooms.values()) room.close();
  sockets.close();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
});
