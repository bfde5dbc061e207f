import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { newRoomId, roomIdFromPath } from '../rooms.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
};

// Vite puts content-hashed files under /assets/: they never change, so browsers may keep them for a year.
const IMMUTABLE = 'public, max-age=31536000, immutable';
// index.html names the current hashed files, so it must be revalidated every time.
const NO_CACHE = 'no-cache';

const APP_ROUTE = /^\/(b|embed)\/([^/]+)\/?$/;

/**
 * Serves the built web app from `root` (web/dist): `/` (the boards page), `/b/:room` and `/embed/:room` get
 * index.html, `/new` redirects to a new board, everything else is a file of the build. Returns false when nothing
 * matched.
 */
export async function serveWebApp(req: IncomingMessage, res: ServerResponse, root: string): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const url = URL.parse(req.url ?? '/', 'http://localhost');
  if (!url) return false;
  if (url.pathname === '/') return sendFile(req, res, join(root, 'index.html'), NO_CACHE, true);
  if (url.pathname === '/new') {
    // Without a catalog (the boards API answers /new otherwise), a new board is just a fresh id.
    res.writeHead(302, { location: `/b/${newRoomId()}`, 'cache-control': 'no-store' });
    res.end();
    return true;
  }
  const route = APP_ROUTE.exec(url.pathname);
  if (route) {
    if (roomIdFromPath(route[2]) === null) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Room ids are 1 to 64 letters, digits, "-" or "_".');
      return true;
    }
    return sendFile(req, res, join(root, 'index.html'), NO_CACHE, true);
  }
  const relative = normalize(decodeURIComponentSafe(url.pathname)).replace(/^([/\\])+/, '');
  const path = join(root, relative);
  // Never outside the build directory, whatever the URL says.
  if (!path.startsWith(root.endsWith(sep) ? root : root + sep)) return false;
  const cache = relative.startsWith(`assets${sep}`) ? IMMUTABLE : 'public, max-age=3600';
  return sendFile(req, res, path, cache, false);
}

async function sendFile(req: IncomingMessage, res: ServerResponse, path: string, cache: string, isIndex: boolean): Promise<boolean> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) {
    if (!isIndex) return false;
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('The web app is not built yet: run `npm run build` (npm start does it when missing).');
    return true;
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
    'content-length': info.size,
    'cache-control': cache,
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  await new Promise<void>((resolve, reject) => {
    createReadStream(path).on('error', reject).on('end', resolve).pipe(res);
  });
  return true;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
