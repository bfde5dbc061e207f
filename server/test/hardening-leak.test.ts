/**
 * Hardening: leak check. 1,000 rooms are opened, edited and closed (raw clients, both endpoints, 50 at a time):
 * - on a child-process server (LevelDB in a temporary DATA_DIR), its RSS after a settle period returns within 10 % of
 *   the warmed-up baseline. The server exposes no GC, and a fresh process's RSS is not a steady state: V8 grows its
 *   committed heap and malloc keeps what it got, so RSS climbs from ~125 MiB to ~250 MiB over the first two rounds and
 *   then stays there (heap in use after a full GC stays 14-19 MiB throughout, checked once with a diagnostic preload).
 *   So the child runs with V8 heap caps (V8_LIMITS: runtime flags, no code change), two warm-up rounds come first, the
 *   baseline is taken after them, and two more rounds are compared with it;
 * - on an in-process server, every document counted as loaded (and loading/unloading) goes back to 0, and the edits
 *   were stored.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as Y from 'yjs';
import { startLevelDbServer, tempDir, waitFor } from './harness.ts';
import { RawSyncClient, fakeAddress, mib, rssBytes, sleep, startHardeningChild } from './hardening-clients.ts';

const ROOMS = 1_000;
const CONCURRENCY = 50;
const SETTLE_MS = 2_000;
const WARMUP_ROUNDS = 2;
/**
 * Caps on V8's heap for the child, so that its committed heap (which V8 grows with the allocation rate and keeps) cannot
 * swing RSS by tens of MiB between rounds; live data (~20 MiB) is far below them, and a leak still shows as RSS growth.
 */
const V8_LIMITS = '--max-old-space-size=128 --max-semi-space-size=4';

/** Opens, edits and closes `ROOMS` rooms `prefix-0..`; resolves when every client has closed. */
async function churnRooms(wsUrl: string, prefix: string, round: number): Promise<void> {
  let nextRoom = 0;
  const failures: string[] = [];
  const worker = async () => {
    while (nextRoom < ROOMS) {
      const i = nextRoom++;
      // Each client from its own address (X-Forwarded-For, the server trusts the proxy), as behind a load balancer: the
      // per-address upgrade limit is not what this test is about.
      const client = new RawSyncClient(wsUrl, i % 2 ? 'sync' : 'yjs', `${prefix}-${i}`, fakeAddress(round * ROOMS + i));
      let outcome = await client.connect(10_000);
      // An upgrade refused by a per-address rate limit is retried, as a real client would.
      for (let attempt = 0; outcome.kind === 'refused-http' && outcome.status === 429 && attempt < 100; attempt++) {
        await sleep(100);
        outcome = await client.connect(10_000);
      }
      if (outcome.kind !== 'synced') failures.push(`${prefix}-${i}: ${JSON.stringify(outcome)}`);
      client.doc.getMap('m').set('edit', `${prefix}-${i}`);
      client.doc.getText('t').insert(0, 'x'.repeat(200));
      const closing = new Promise((resolve) => client.ws!.once('close', resolve));
      client.close();
      await closing;
      client.doc.destroy();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  assert.deepEqual(failures.slice(0, 5), []);
}

test(`leak check (RSS): ${ROOMS} rooms opened, edited and closed leave a child server's RSS within 10 % of its baseline`, async () => {
  const child = await startHardeningChild({ NODE_OPTIONS: V8_LIMITS, TRUST_PROXY: 'true' });
  try {
    const pid = child.process.pid!;
    const rssStart = rssBytes(pid);
    const t0 = performance.now();
    for (let round = 0; round < WARMUP_ROUNDS; round++) await churnRooms(child.wsUrl, `warm${round}`, round);
    const warmMs = performance.now() - t0;
    await sleep(SETTLE_MS);
    const rssBaseline = rssBytes(pid);

    const t1 = performance.now();
    await churnRooms(child.wsUrl, 'leak-a', 10);
    const roundMs = performance.now() - t1;
    const rssPeakish = rssBytes(pid);
    await sleep(SETTLE_MS);
    const rssAfterA = rssBytes(pid);
    await churnRooms(child.wsUrl, 'leak-b', 11);
    await sleep(SETTLE_MS);
    const rssAfterB = rssBytes(pid);

    console.log(
      `leak (child RSS): start ${mib(rssStart)}; ${WARMUP_ROUNDS} warm-up rounds of ${ROOMS} rooms in ${warmMs.toFixed(0)} ms -> baseline ${mib(rssBaseline)}; ` +
        `round A in ${roundMs.toFixed(0)} ms, right after ${mib(rssPeakish)}, settled ${mib(rssAfterA)} ` +
        `(${(((rssAfterA - rssBaseline) / rssBaseline) * 100).toFixed(1)} %); round B settled ${mib(rssAfterB)} ` +
        `(${(((rssAfterB - rssBaseline) / rssBaseline) * 100).toFixed(1)} %)`,
    );
    // Both rounds after the warm-up, so one lucky GC cannot hide growth that accumulates round after round.
    assert.ok(rssAfterA <= rssBaseline * 1.1, `RSS after round A ${mib(rssAfterA)} vs baseline ${mib(rssBaseline)}`);
    assert.ok(rssAfterB <= rssBaseline * 1.1, `RSS after round B ${mib(rssAfterB)} vs baseline ${mib(rssBaseline)}`);

    // Every edit of the last round was stored, read back through the API (which loads and unloads each room again).
    // Each client closed right after editing: on a loaded machine some of those edits used to wait past their turn
    // while the close arrived, and were lost (close-drain.test.ts).
    const lost: string[] = [];
    for (let i = 0; i < ROOMS; i++) {
      const response = await fetch(`${child.httpUrl}/api/rooms/leak-b-${i}/state`);
      const doc = new Y.Doc();
      Y.applyUpdate(doc, new Uint8Array(await response.arrayBuffer()));
      if (doc.getMap('m').get('edit') !== `leak-b-${i}`) lost.push(`leak-b-${i}`);
    }
    assert.deepEqual(lost, [], `${lost.length} of ${ROOMS} edits not stored`);
  } finally {
    await child.stop();
    child.removeDataDir();
  }
});

test(`leak check (documents): ${ROOMS} rooms opened, edited and closed leave no document loaded in the server`, async () => {
  const dir = tempDir('scrawl-hardening-leak-');
  const srv = await startLevelDbServer(dir.path, { trustProxy: true });
  try {
    const { hocuspocus } = srv.server;
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, hocuspocus.documents.size)), 5);
    await churnRooms(srv.wsUrl, 'docs', 20);
    clearInterval(sampler);
    const t0 = performance.now();
    await waitFor(
      () => hocuspocus.documents.size === 0 && hocuspocus.loadingDocuments.size === 0 && hocuspocus.unloadingDocuments.size === 0,
      10_000,
      () =>
        `still loaded: ${hocuspocus.documents.size} documents (${[...hocuspocus.documents.keys()].slice(0, 5).join(', ')}), ` +
        `${hocuspocus.loadingDocuments.size} loading, ${hocuspocus.unloadingDocuments.size} unloading`,
    );
    console.log(`leak (documents): peak ${peak} loaded at once, 0 loaded ${(performance.now() - t0).toFixed(0)} ms after the last close`);
    assert.equal(hocuspocus.getConnectionsCount(), 0);
    for (const i of [0, 1, 500, 999]) {
      const doc = new Y.Doc();
      for (const update of await srv.server.store.load(`docs-${i}`)) Y.applyUpdate(doc, update);
      assert.equal(doc.getMap('m').get('edit'), `docs-${i}`);
    }
  } finally {
    await srv.stop();
    dir.remove();
  }
});
