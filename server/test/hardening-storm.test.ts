/**
 * Hardening: a connection storm. 2,000 raw clients (both endpoints, 200 rooms) open within 2 s against a child-process
 * server; every one must be served (sync step 2) or cleanly refused (an HTTP error status, or close 1001/1013/4429),
 * and none may hang. /healthz is polled from a separate process throughout.
 */
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import {
  RawSyncClient,
  fakeAddress,
  mib,
  percentiles,
  rssBytes,
  sleep,
  startHardeningChild,
  startHealthProbe,
  type HardeningChild,
  type RawOutcome,
} from './hardening-clients.ts';
import { seededRandom } from './random.ts';

const CONNECTIONS = 2_000;
const ROOMS = 200;
const OPEN_WINDOW_MS = 2_000;
/** A connection not served or refused within this time counts as hung. */
const HANG_MS = 20_000;
const REFUSAL_CLOSE_CODES = [1001, 1013, 4429];

let child: HardeningChild;

before(async () => {
  // Each connection costs a descriptor here and one in the server; both processes inherit this shell's limit.
  const limit = Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim());
  console.log(`fd limit (ulimit -n): ${limit}`);
  assert.ok(limit >= CONNECTIONS + 500, `ulimit -n is ${limit}: raise it to at least ${CONNECTIONS + 500} (e.g. ulimit -n 8192) to run the storm`);
  child = await startHardeningChild({ TRUST_PROXY: 'true' });
});

after(async () => {
  await child.stop();
  child.removeDataDir();
});

test(`connection storm: ${CONNECTIONS} connections in ${OPEN_WINDOW_MS} ms over ${ROOMS} rooms are all served or cleanly refused`, async () => {
  const { seed, next } = seededRandom();
  console.log(`storm seed: ${seed} (rerun with SEED=${seed})`);
  const rssBefore = rssBytes(child.process.pid!);
  const probe = startHealthProbe(child.httpUrl);
  await sleep(100);

  // Built beforehand: a Y.Doc costs ~0.2 ms (its random client id), which would eat into the opening window.
  const clients = Array.from(
    { length: CONNECTIONS },
    // Each from its own address (X-Forwarded-For; the server trusts the proxy), as 2,000 users behind a load balancer.
    (_, i) => new RawSyncClient(child.wsUrl, next() < 0.5 ? 'sync' : 'yjs', `storm-${Math.floor(next() * ROOMS)}`, fakeAddress(i)),
  );
  const outcomes: Promise<RawOutcome>[] = [];
  const t0 = performance.now();
  // Paced by the clock: each wake opens however many the schedule says are due by now, so time this process spends
  // handling the answers of earlier connections delays no one past the window.
  for (let opened = 0; opened < CONNECTIONS; ) {
    const due = Math.min(CONNECTIONS, Math.max(opened + 10, Math.ceil(((performance.now() - t0) / OPEN_WINDOW_MS) * CONNECTIONS)));
    for (; opened < due; opened++) outcomes.push(clients[opened].connect(HANG_MS));
    await sleep(5);
  }
  const openedInMs = performance.now() - t0;
  const results = await Promise.all(outcomes);
  const allDoneMs = performance.now() - t0;
  const rssPeak = rssBytes(child.process.pid!);
  const health = await probe.stop();

  const synced = results.filter((r) => r.kind === 'synced');
  const refusedHttp = results.filter((r) => r.kind === 'refused-http');
  const closed = results.filter((r) => r.kind === 'closed');
  const failed = results.filter((r) => r.kind === 'error');
  const serveMs = percentiles(synced.map((r) => r.ms));
  const healthMs = percentiles(health.map((s) => s.latencyMs));
  console.log(
    `storm: ${CONNECTIONS} opened in ${openedInMs.toFixed(0)} ms, all settled after ${allDoneMs.toFixed(0)} ms; ` +
      `synced ${synced.length} (time to step 2 p50 ${serveMs.p50} ms, p99 ${serveMs.p99} ms, max ${serveMs.max} ms), ` +
      `refused by HTTP ${refusedHttp.length}, closed ${closed.length}, errors ${failed.length}; ` +
      `server RSS ${mib(rssBefore)} -> ${mib(rssPeak)}; /healthz n=${healthMs.n} p50 ${healthMs.p50} ms p99 ${healthMs.p99} ms max ${healthMs.max} ms`,
  );

  assert.ok(openedInMs < OPEN_WINDOW_MS + 500, `opening took ${openedInMs.toFixed(0)} ms, the storm was not a storm`);
  assert.deepEqual(failed.slice(0, 5), [], `seed ${seed}: ${failed.length} connections hung or failed`);
  for (const r of refusedHttp) assert.ok(r.status >= 400, `seed ${seed}: refused with HTTP ${r.status}`);
  for (const r of closed) assert.ok(REFUSAL_CLOSE_CODES.includes(r.code), `seed ${seed}: closed with ${r.code} ${r.reason}`);
  assert.ok(health.every((s) => s.status === 200), `seed ${seed}: /healthz failed during the storm`);

  for (const client of clients) client.destroy();
});
