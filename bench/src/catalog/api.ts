/**
 * Talking to the catalog of a running Scrawl: waiting for it to build its entries, and timing `GET /api/boards`.
 *
 * Times are the server's own, from the `Server-Timing: app;dur=<ms>` header that /api/boards answers with (handler
 * start to just before the JSON is written: authorization, parameters and the catalog's list or search). The round
 * trip seen by the client (one request at a time over a kept-alive connection) is recorded beside it.
 */
import { loadavg } from 'node:os';
import type { ServerProcess } from '../servers.ts';
import { percentile, sleep } from '../stats.ts';

/** One kind of request measured: a list page or a search, and the word whose board count says how many it matches. */
export interface CatalogQuery {
  key: string;
  label: string;
  /** Path and query string. */
  path: string;
  /** Vocabulary words the query stands for (the boards holding all of them are counted by the corpus), if any. */
  words?: string[];
}

/**
 * The requests measured: the first page of the boards page, and searches as people type them (a prefix, a whole
 * word, a word with one letter wrong, two words), each for a word on most boards and one on three.
 */
export const QUERIES: CatalogQuery[] = [
  { key: 'list', label: 'list: first page (limit 50)', path: '/api/boards?limit=50' },
  { key: 'prefixMany', label: 'prefix "onbo" (onboarding)', path: '/api/boards?limit=50&q=onbo', words: ['onboarding'] },
  { key: 'prefixFew', label: 'prefix "zepp" (zeppelin)', path: '/api/boards?limit=50&q=zepp', words: ['zeppelin'] },
  { key: 'wordMany', label: 'word "roadmap"', path: '/api/boards?limit=50&q=roadmap', words: ['roadmap'] },
  { key: 'wordMid', label: 'word "webhook"', path: '/api/boards?limit=50&q=webhook', words: ['webhook'] },
  { key: 'wordFew', label: 'word "quokka"', path: '/api/boards?limit=50&q=quokka', words: ['quokka'] },
  { key: 'typoMany', label: 'typo "custmer" (customer)', path: '/api/boards?limit=50&q=custmer', words: ['customer'] },
  { key: 'typoFew', label: 'typo "marzpan" (marzipan)', path: '/api/boards?limit=50&q=marzpan', words: ['marzipan'] },
  { key: 'twoMany', label: 'two words "customer feedback"', path: '/api/boards?limit=50&q=customer%20feedback', words: ['customer', 'feedback'] },
  { key: 'twoFew', label: 'two words "roadmap tamarind"', path: '/api/boards?limit=50&q=roadmap%20tamarind', words: ['roadmap', 'tamarind'] },
];

/** Timings of one query. */
export interface QueryTiming {
  /** Server-Timing app;dur of each measured request (ms). */
  server: number[];
  /** Client round trip of each measured request (ms). */
  roundTrip: number[];
  /** Boards in the last answer (at most the limit). */
  hits: number;
}

/** One GET; resolves with the server's own time (NaN without the header), the round trip and the boards answered. */
export async function timedGet(port: number, path: string): Promise<{ server: number; roundTrip: number; boards: number; status: number }> {
  const t0 = performance.now();
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  const body = (await response.json()) as { boards?: unknown[] };
  const roundTrip = performance.now() - t0;
  const match = /app;dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '');
  return { server: match ? Number(match[1]) : Number.NaN, roundTrip, boards: body.boards?.length ?? 0, status: response.status };
}

/**
 * `warmup` unmeasured requests (at most 3 s of them), then `count` measured ones, one at a time, or fewer when they
 * take longer than `budgetMs` in all (a slow search must not stretch the run past its ~10 minutes; the table shows
 * how many ran).
 */
export async function timeQuery(port: number, query: CatalogQuery, warmup: number, count: number, budgetMs: number): Promise<QueryTiming> {
  const timing: QueryTiming = { server: [], roundTrip: [], hits: 0 };
  const started = performance.now();
  let warm = 0;
  while (timing.server.length < count && performance.now() - started < budgetMs) {
    const answer = await timedGet(port, query.path);
    if (answer.status !== 200) throw new Error(`GET ${query.path} answered ${answer.status}`);
    if (Number.isNaN(answer.server)) throw new Error(`GET ${query.path} has no Server-Timing app;dur header`);
    timing.hits = answer.boards;
    if (warm < warmup && performance.now() - started < 3_000) {
      warm++;
      continue;
    }
    timing.server.push(answer.server);
    timing.roundTrip.push(answer.roundTrip);
  }
  return timing;
}

/** What the server logged about its catalog build, and how the API answered meanwhile. */
export interface CatalogBuild {
  /** 'store open' -> 'catalog built for boards stored without an entry', from the log lines' own times (ms). */
  buildMs: number;
  /** Boards the build added. */
  boards: number;
  /** Round trips of `GET /api/boards?limit=1`, polled every 100 ms during the build (ms). */
  probes: number[];
}

interface LogLine {
  level: number;
  time: number;
  msg: string;
  boards?: number;
}

function logLines(server: ServerProcess): LogLine[] {
  return server.logText().split('\n').flatMap((line) => {
    try {
      return line.startsWith('{') ? [JSON.parse(line) as LogLine] : [];
    } catch {
      return []; // a line being written as we read
    }
  });
}

/**
 * Waits (up to `timeoutMs`) for the server (started with LOG_LEVEL=info) to log that it built the catalog for the
 * boards stored without an entry; polls the list meanwhile, to see whether the build holds up the API.
 */
export async function waitForBuild(server: ServerProcess, timeoutMs: number): Promise<CatalogBuild> {
  const deadline = performance.now() + timeoutMs;
  const probes: number[] = [];
  while (performance.now() < deadline) {
    const lines = logLines(server);
    const failed = lines.find((l) => l.level >= 50);
    if (failed) throw new Error(`the server logged an error while building the catalog: ${failed.msg}`);
    const opened = lines.find((l) => l.msg === 'store open');
    const built = lines.find((l) => l.msg === 'catalog built for boards stored without an entry');
    if (opened && built) return { buildMs: built.time - opened.time, boards: built.boards ?? 0, probes };
    if (!server.alive) throw new Error(`the server exited while building the catalog:\n${server.logTail()}`);
    probes.push((await timedGet(server.port, '/api/boards?limit=1')).roundTrip);
    await sleep(100);
  }
  throw new Error(`no "catalog built" log line within ${timeoutMs / 1000} s`);
}

/** Server log lines at warn or worse (the catalog scenario runs some servers at info to read the build's times). */
export function warnings(server: ServerProcess): string[] {
  return logLines(server).filter((l) => l.level >= 40).map((l) => l.msg);
}

/** A markdown table of query timings, with how many boards hold each query's word. */
export function timingTable(store: string, timings: Map<string, QueryTiming>, boardsWith: (words: string[]) => number): string {
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(n >= 10 ? 1 : 2) : 'n/a');
  const rows = QUERIES.filter((q) => timings.has(q.key)).map((q) => {
    const t = timings.get(q.key)!;
    const withWord = q.words ? String(boardsWith(q.words)) : 'all';
    return `| ${q.label} | ${withWord} | ${t.hits} | ${t.server.length} | ${f(percentile(t.server, 50))} | ${f(percentile(t.server, 95))} | ` +
      `${f(percentile(t.server, 99))} | ${f(percentile(t.roundTrip, 50))} | ${f(percentile(t.roundTrip, 99))} |`;
  });
  return [
    `#### ${store}: GET /api/boards, one request at a time after a warm-up (load average ${loadavg()[0].toFixed(2)})`,
    '',
    '| query | boards with the word(s) | boards answered | requests | server p50 (ms) | p95 | p99 | round trip p50 (ms) | p99 |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
