import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { freePort } from './scrawl-server.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** A host app's origin for the embedding examples: files of one directory served on 127.0.0.1 and its own port. */
export interface StaticHost {
  /** `http://127.0.0.1:PORT`: another port than the Scrawl server's, so another origin. */
  origin: string;
  /** Paths requested so far (`/iframe.html`, `/assets/…`), in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Serves the files under `root` as they are, as a static host (`npx http-server`, `python3 -m http.server`) would:
 * `/` is `index.html`, anything outside `root` or missing is a 404.
 */
export async function serveDirectory(root: string): Promise<StaticHost> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const requests: string[] = [];
  const base = normalize(root + sep);
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', origin).pathname);
    requests.push(path);
    const file = normalize(join(base, path.endsWith('/') ? `${path}index.html` : path));
    try {
      if (!file.startsWith(base) || !(await stat(file)).isFile()) throw new Error('not a file');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
