/**
 * The built pages the board scenario opens, each built when missing or older than its sources:
 * - bench/.build/scrawl, Scrawl's app built with web's own Vite config, as `npm run build --workspace web` builds
 *   web/dist (the bench's own copy, so a rebuild of web/dist during a run cannot change files under a page load);
 * - bench/tldraw-page/dist, the tldraw sync page (also rebuilt when tldraw's package changes);
 * - for the CPU profiles, unminified builds of both under bench/.build/:
 *   the bundle then keeps a `// <module path>` line before each module, which is how cpu-profile.ts traces a
 *   sample to its package. Minified code runs the same functions; only names and lines differ.
 * BENCH_WEB_REF (optional): build Scrawl's app from that commit's web/ (`git archive`) instead of the working tree,
 * to measure a commit while uncommitted work sits in the checkout. Unset: the working tree, as `npm run build` would.
 * Every directory written here is gitignored.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScenarioSkipped } from '../scenario.ts';
import { repoRoot } from '../servers.ts';

const vite = join(repoRoot, 'node_modules', '.bin', 'vite');
/** Where the tldraw sync page's sources live. */
const tldrawPage = join(repoRoot, 'bench', 'tldraw-page');
/** The tldraw sync page, built for the measured loads (the anchor's STATIC_DIR). */
export const TLDRAW_PAGE_DIST = join(tldrawPage, 'dist');
/** Scrawl's app, minified, for the measured loads. */
export const SCRAWL_DIST = join(repoRoot, 'bench', '.build', 'scrawl');
/** Scrawl's app, unminified, for the CPU profile. */
export const SCRAWL_PROFILE_DIST = join(repoRoot, 'bench', '.build', 'scrawl-profile');
/** The tldraw sync page, unminified, for the CPU profile. */
export const TLDRAW_PROFILE_DIST = join(repoRoot, 'bench', '.build', 'tldraw-profile');

/** Newest modification time (ms) of the files under `paths` (directories walked, node_modules and builds skipped). */
function newestMtime(paths: string[]): number {
  let newest = 0;
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (!stat.isDirectory()) {
      newest = Math.max(newest, stat.mtimeMs);
      return;
    }
    for (const entry of readdirSync(path)) {
      if (entry === 'node_modules' || entry.startsWith('dist')) continue;
      visit(join(path, entry));
    }
  };
  for (const path of paths) visit(path);
  return newest;
}

/** Runs `vite build` in `cwd` with extra arguments and environment; throws ScenarioSkipped when it fails. */
function viteBuild(what: string, cwd: string, args: string[]): void {
  console.log(`  building ${what}: vite build ${args.join(' ')}`);
  const result = spawnSync(vite, ['build', ...args], {
    cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 600_000,
  });
  // Vite's output (Rolldown's warnings about React's "use client" directives) only matters when the build fails.
  if (result.status !== 0) {
    console.log(`${result.stdout}${result.stderr}`.split('\n').slice(-30).join('\n'));
    throw new ScenarioSkipped(`vite build of ${what} failed (exit ${result.status ?? result.signal})`);
  }
}

/**
 * Builds `outDir` with `build` unless its index.html is newer than every file under `sources` and it was built from
 * the same `origin` (a description of the sources: the working tree or a commit), kept in a file inside it.
 */
function ensureFresh(outDir: string, sources: string[], build: () => void, origin = 'working tree'): string {
  const index = join(outDir, 'index.html');
  const stamp = join(outDir, '.bench-origin');
  const sameOrigin = existsSync(stamp) && readFileSync(stamp, 'utf8') === origin;
  if (sameOrigin && existsSync(index) && statSync(index).mtimeMs >= newestMtime(sources)) return `${outDir} (${origin}) up to date`;
  build();
  if (!existsSync(index)) throw new ScenarioSkipped(`building ${outDir} left no index.html`);
  writeFileSync(stamp, origin);
  return `${outDir} (${origin}) built now`;
}

/** tldraw's installed package: a tldraw upgrade rebuilds the page. */
const tldrawPackage = join(repoRoot, 'node_modules', 'tldraw', 'package.json');

/** The tldraw sync page (bench/tldraw-page/dist). Returns a line for the notes. */
export function ensureTldrawPage(): string {
  return ensureFresh(TLDRAW_PAGE_DIST, [tldrawPage, tldrawPackage], () => viteBuild('the tldraw sync page', tldrawPage, []));
}

/** Where Scrawl's app is built from: web/ of the working tree, or of the commit BENCH_WEB_REF names (extracted once). */
function webSource(): { web: string; origin: string } {
  const ref = process.env.BENCH_WEB_REF;
  if (!ref) return { web: join(repoRoot, 'web'), origin: 'working tree' };
  const commit = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: repoRoot, encoding: 'utf8' }).trim();
  // Keyed by web/'s tree, not the commit: commits that leave web/ alone reuse the copy and its builds.
  const tree = execFileSync('git', ['rev-parse', `${commit}:web`], { cwd: repoRoot, encoding: 'utf8' }).trim();
  // Inside the repository, so that the copy resolves the workspace's node_modules like web/ itself.
  const root = join(repoRoot, 'bench', '.build', `web-${tree.slice(0, 12)}`);
  if (!existsSync(join(root, 'tsconfig.base.json'))) {
    mkdirSync(root, { recursive: true });
    // web/tsconfig.json extends the root's base config, which Vite's transform reads.
    const archive = spawnSync('git', ['archive', commit, 'web', 'tsconfig.base.json'], { cwd: repoRoot, maxBuffer: 256 * 1024 * 1024 });
    const untar = spawnSync('tar', ['-x', '-C', root], { input: archive.stdout });
    if (archive.status !== 0 || untar.status !== 0) throw new ScenarioSkipped(`cannot extract web/ of ${ref} (${commit})`);
  }
  return { web: join(root, 'web'), origin: `web/ tree ${tree.slice(0, 12)}` };
}

const sourcesOf = (web: string) => [join(web, 'src'), join(web, 'index.html'), join(web, 'vite.config.ts'), tldrawPackage];

/** Scrawl's app for the measured loads (bench/.build/scrawl). Returns a line for the notes. */
export function ensureScrawlBuild(): string {
  const { web, origin } = webSource();
  return ensureFresh(SCRAWL_DIST, sourcesOf(web), () => viteBuild("Scrawl's app", web, ['--outDir', SCRAWL_DIST, '--emptyOutDir']), origin);
}

/** Unminified builds of Scrawl's app and the tldraw sync page for the CPU profiles. Returns lines for the notes. */
export function ensureProfileBuilds(): string[] {
  const { web, origin } = webSource();
  return [
    ensureFresh(SCRAWL_PROFILE_DIST, sourcesOf(web), () =>
      viteBuild('Scrawl (unminified, for the profile)', web, ['--outDir', SCRAWL_PROFILE_DIST, '--emptyOutDir', '--minify', 'false']), origin),
    ensureFresh(TLDRAW_PROFILE_DIST, [tldrawPage, tldrawPackage], () =>
      viteBuild('the tldraw sync page (unminified, for the profile)', tldrawPage, ['--outDir', TLDRAW_PROFILE_DIST, '--emptyOutDir', '--minify', 'false'])),
  ];
}
