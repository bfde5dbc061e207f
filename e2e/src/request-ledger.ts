import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/** One request a page made (or tried to make), as seen by Playwright. */
export interface LedgerEntry {
  /** Title of the test whose browser context made it. */
  test: string;
  /** `http`, `websocket` */
  kind: string;
  url: string;
  /** Whether it would have left 127.0.0.1. Such requests are aborted before they go out, and recorded here. */
  foreign: boolean;
}

/**
 * Requests of the whole run, across tests and worker restarts (a failed test restarts the worker, so the ledger lives
 * in a file whose path the config puts in SCRAWL_E2E_LEDGER). Scenario 8 reads it at the end of the session.
 */
export function ledgerPath(): string {
  const path = process.env.SCRAWL_E2E_LEDGER;
  if (!path) throw new Error('SCRAWL_E2E_LEDGER is not set (playwright.config.ts sets it)');
  return path;
}

export function recordRequest(entry: LedgerEntry): void {
  appendFileSync(ledgerPath(), JSON.stringify(entry) + '\n');
}

export function readLedger(): LedgerEntry[] {
  const path = ledgerPath();
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LedgerEntry);
}

/**
 * Whether a URL stays on this machine's loopback address. data:, blob: and about: URLs never touch the network.
 * Anything else must be http(s)/ws(s) to exactly 127.0.0.1.
 */
export function staysLocal(url: string): boolean {
  const parsed = URL.parse(url);
  if (!parsed) return false;
  if (['data:', 'blob:', 'about:'].includes(parsed.protocol)) return true;
  return ['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol) && parsed.hostname === '127.0.0.1';
}
