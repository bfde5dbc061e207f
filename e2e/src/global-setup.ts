import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './scrawl-server.ts';
import { ledgerPath } from './request-ledger.ts';

/** Builds the web app when no build is there (as `npm start` does), and starts the request ledger empty. */
export default function globalSetup(): void {
  if (!existsSync(join(REPO_ROOT, 'web/dist/index.html'))) {
    console.log('e2e: web/dist is missing, building the web app once');
    const result = spawnSync('npm', ['run', 'build', '--workspace', 'web'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`building the web app failed (exit ${result.status})`);
  }
  rmSync(ledgerPath(), { force: true });
}
