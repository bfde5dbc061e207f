import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import type { BrowserContext } from '@playwright/test';
import { build } from 'vite';
import { REPO_ROOT } from './scrawl-server.ts';

/** docs/examples/react built for a test: the static files and how long the build took. */
export interface BuiltReactExample {
  /** Temp directory of the whole build (library, app, Vite caches): remove it when done. */
  workDir: string;
  /** Directory holding index.html and assets/. */
  outDir: string;
  /** Library build + example build, in ms. */
  buildMs: number;
}

/**
 * Builds docs/examples/react the way its README path does (`npm run build:lib --workspace web`, then `vite build` in
 * the example), without installing anything and without writing into the repository:
 * 1. `@scrawl/web`'s library, with web/vite.lib.config.ts as is, into a temp dir (so it is never a stale
 *    web/dist-lib, and a concurrent build of web/ is not disturbed);
 * 2. the example with its own vite.config.ts (React plugin, dedupe), where the dependency `@scrawl/web`
 *    (`file:../../../web`, not installed in the example) is aliased to that build, exactly as its package.json
 *    `exports` map it: `.` -> scrawl.js, `./style.css` -> style.css. react, react-dom and tldraw resolve from the
 *    root node_modules, as for the library's externals.
 */
export async function buildReactExample(): Promise<BuiltReactExample> {
  const started = Date.now();
  const work = await mkdtemp(join(tmpdir(), 'scrawl-e2e-react-'));
  const libDir = join(work, 'dist-lib');
  const outDir = join(work, 'app');
  await build({
    root: join(REPO_ROOT, 'web'),
    configFile: join(REPO_ROOT, 'web/vite.lib.config.ts'),
    cacheDir: join(work, 'vite-cache-lib'),
    logLevel: 'warn',
    build: { outDir: libDir, emptyOutDir: true, sourcemap: false },
  });
  const example = join(REPO_ROOT, 'docs/examples/react');
  await build({
    root: example,
    configFile: join(example, 'vite.config.ts'),
    cacheDir: join(work, 'vite-cache-app'),
    logLevel: 'error',
    resolve: {
      alias: [
        { find: /^@scrawl\/web\/style\.css$/, replacement: join(libDir, 'style.css') },
        { find: /^@scrawl\/web$/, replacement: join(libDir, 'scrawl.js') },
      ],
    },
    build: { outDir, emptyOutDir: true },
  });
  return { workDir: work, outDir, buildMs: Date.now() - started };
}

/** tldraw's CDN for this tldraw version: `<Tldraw>`'s default `assetUrls` (fonts, icons, translations, embed icons). */
const TLDRAW_CDN = 'https://cdn.tldraw.com/5.4.2/';

/** What {@link mirrorTldrawCdn} answered. */
export interface CdnMirror {
  /** URLs served from the local copy. */
  served: string[];
  /** URLs asked for that the local copy lacks (answered 404). */
  missing: string[];
}

/**
 * The React example passes no `assetUrls`, so tldraw takes its defaults from `https://cdn.tldraw.com/5.4.2/`
 * (docs/embedding.md: "Default: tldraw's CDN"). Nothing may leave 127.0.0.1 in this suite, so for this context those
 * requests are answered here, before they go out, from the identical files of the installed @tldraw/assets 5.4.2
 * (the package the CDN publishes). Registered after the `boards` fixture's ledger route, it runs first, so these
 * requests never reach the network nor the session ledger; the caller asserts on {@link CdnMirror} instead. Any other
 * foreign request still goes to the ledger and is aborted there.
 */
export async function mirrorTldrawCdn(context: BrowserContext): Promise<CdnMirror> {
  const assets = join(REPO_ROOT, 'node_modules/@tldraw/assets');
  const version = JSON.parse(await readFile(join(assets, 'package.json'), 'utf8')).version as string;
  if (!TLDRAW_CDN.includes(`/${version}/`)) throw new Error(`@tldraw/assets is ${version}, the mirror serves ${TLDRAW_CDN}`);
  const mirror: CdnMirror = { served: [], missing: [] };
  await context.route(
    (url) => url.href.startsWith(TLDRAW_CDN),
    async (route) => {
      const url = route.request().url();
      const file = normalize(join(assets, decodeURIComponent(new URL(url).pathname.slice(new URL(TLDRAW_CDN).pathname.length))));
      const body = file.startsWith(assets + sep) ? await readFile(file).catch(() => null) : null;
      if (!body) {
        mirror.missing.push(url);
        await route.fulfill({ status: 404, body: 'not in @tldraw/assets' });
        return;
      }
      mirror.served.push(url);
      await route.fulfill({ status: 200, body, contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', headers: { 'access-control-allow-origin': '*' } });
    },
  );
  return mirror;
}

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
};
