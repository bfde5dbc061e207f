import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';

// One request ledger for the whole session (scenario 8). Set once in the runner; workers inherit it.
process.env.SCRAWL_E2E_LEDGER ??= join(mkdtempSync(join(tmpdir(), 'scrawl-e2e-')), 'requests.jsonl');

/**
 * Playwright drives Debian's Chromium (never a downloaded browser) against the real server, which each worker starts
 * itself on a free port with a fresh DATA_DIR (src/fixtures.ts) so tests can restart it. One worker: the scenarios
 * share one server and the ledger must see every request, and two cores cannot run several Chromiums well anyway.
 */
export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: true,
  timeout: 60_000,
  // 22 scenarios take ~6 min on a quiet 2-core machine and ~2x that when it is busy; CI allows 90 min in all.
  globalTimeout: 20 * 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['./src/summary-reporter.ts']],
  globalSetup: './src/global-setup.ts',
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
    trace: 'off',
    screenshot: 'only-on-failure',
  },
});
