import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

