/**
 * Hardening: at least 100,000 malformed frames over both endpoints against a child-process server. Each connection
 * gets a burst of frames (random bytes, truncated varints, huge declared lengths, invalid and wrong document names,
 * valid-looking updates with garbage content, valid updates followed by garbage, interleaved with well-formed frames
 * the server must keep the connection open for) ending in one that is certainly malformed; the server must close it
 * with 4400 (or 1009 for an oversized frame), and a new connection takes over. Throughout: /healthz answers 200 (polled
 * from another process), the server's RSS stays within a stated bound, and two bystanders in another room (a
 * HocuspocusProvider and a y-websocket provider) keep exchanging edits with no close.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import { waitFor, watchBystanders, type Bystanders } from './harness.ts';
import {
  bytes,
  mib,
  percentiles,
  rssBytes,
  sleep,
  startHardeningChild,
  startHealthProbe,
  varString,
  varUint,
  type HardeningChild,
} from './hardening-clients.ts';
import { seededRandom } from './random.ts';

const MALFORMED_FRAMES = 100_000;
const WARMUP_FRAMES = 10_000;
const MAX_MESSAGE_BYTES = 64 * 1024;
const WORKERS = 8;
const FUZZ_ROOMS = 8;
/** Allowed RSS growth of the server over the measured run (after a warm-up), see the test for why. */
const RSS_GROWTH_BOUND_BYTES = 160 * 2 ** 20;
const ACCEPTED_CLOSE_CODES = [4400, 1009];

let child: HardeningChild;
let bystanders: Bystanders;

before(async () => {
  child = await startHardeningChild({ MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) });
  bystanders = await watchBystanders(child.wsUrl);
});

after(async () => {
  bystanders?.destroy();
  await child.stop();
  child.removeDataDir();
});

/** A frame and whether the server must refuse it (certain) or might accept it by chance (maybe), or must accept it. */
type Fuzzed = { frame: Uint8Array | string; kind: 'certain' | 'maybe' | 'valid' };

/** Real Yjs updates of several shapes to mutate. */
function templateUpdates(): Uint8Array[] {
  const doc = new Y.Doc();
  doc.clientID = 4242;
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  doc.getMap('m').set('key', 'value');
  doc.getText('t').insert(0, 'hello fuzz');
  doc.getArray('a').push([1, 'two', { three: [3] }, new Uint8Array([4])]);
  doc.getText('t').delete(2, 3);
  const nested = new Y.Map();
  doc.getMap('m').set('nested', nested);
  nested.set('x', 1);
  updates.push(Y.encodeStateAsUpdate(doc));
  return updates;
}

function fuzzer(next: () => number) {
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const randomBytes = (max: number) => new Uint8Array(int(max + 1)).map(() => int(256));
  const templates = templateUpdates();
  const hugeLengths = [2 ** 31, 2 ** 32 - 1, 2 ** 40, 2 ** 53 - 1, MAX_MESSAGE_BYTES * 4, 1_000_000];
  const sync = (syncType: number, payload: Uint8Array) => bytes(0, syncType, varUint(payload.byteLength), payload);

  const mutate = (update: Uint8Array): Uint8Array => {
    const out = update.slice();
    const flips = 1 + int(4);
    for (let i = 0; i < flips; i++) out[int(out.length)] = int(256);
    return next() < 0.3 ? out.subarray(0, int(out.length)) : out;
  };

  /** Bodies in y-websocket framing (what follows the document name on /sync). */
  const bodies: [number, () => Fuzzed][] = [
    [3, () => ({ frame: randomBytes(96), kind: 'maybe' })],
    [1, () => ({ frame: bytes(int(2) ? 0 : 1, ...Array(1 + int(8)).fill(0x80)), kind: 'certain' })],
    [1, () => ({ frame: bytes(0, pick([0, 1, 2]), varUint(pick(hugeLengths)), randomBytes(16)), kind: 'certain' })],
    [1, () => ({ frame: bytes(1, varUint(pick(hugeLengths)), randomBytes(16)), kind: 'certain' })],
    [1, () => ({ frame: bytes(1, varUint(8), varUint(pick(hugeLengths)), randomBytes(7)), kind: 'maybe' })],
    [3, () => ({ frame: sync(pick([1, 2]), mutate(pick(templates))), kind: 'maybe' })],
    [2, () => ({ frame: bytes(sync(2, pick(templates)), 1 + int(255), randomBytes(8)), kind: 'certain' })],
    [1, () => ({ frame: bytes(0, 3 + int(200), randomBytes(8)), kind: 'certain' })],
    [1, () => ({ frame: bytes(pick([6, 8, 9, 11, 12, 50, 127]), randomBytes(8)), kind: 'certain' })],
    [1, () => ({ frame: bytes(1, varUint(6), 1, 1, 1, 3, 0x7b, 0x78, 0x7d), kind: 'certain' })],
    [1, () => ({ frame: 'not a binary frame', kind: 'certain' })],
  ];
  const totalWeight = bodies.reduce((sum, [w]) => sum + w, 0);
  const body = (): Fuzzed => {
    let r = next() * totalWeight;
    for (const [w, make] of bodies) if ((r -= w) < 0) return make();
    return bodies[0][1]();
  };
  /** Well-formed frames that keep a connection open (y-websocket framing). */
  const validBody = (): Uint8Array =>
    pick([
      bytes(0, 0, varUint(1), 0), // step 1, empty state vector
      bytes(1, varUint(1), 0), // awareness update with no entries
      bytes(3), // query awareness
    ]);

  const room = () => `fuzz-${int(FUZZ_ROOMS)}`;
  const invalidNames = () =>
    pick([
      '',
      'has space',
      'x'.repeat(65 + int(100)),
      'dots..',
      'ü-room',
      '../etc/passwd',
      String.fromCharCode(...Array.from({ length: 1 + int(20) }, () => int(0x3000))),
    ]);

  /** One frame for `/yjs/:room`. */
  const yjsFrame = (): Fuzzed => (next() < 0.001 ? { frame: new Uint8Array(MAX_MESSAGE_BYTES + 1 + int(1000)), kind: 'certain' } : body());
  /** One frame for `/sync`: a document name (valid, wrong, invalid, truncated, absurdly long) and a body. */
  const syncFrame = (): Fuzzed => {
    const r = next();
    if (r < 0.001) return { frame: new Uint8Array(MAX_MESSAGE_BYTES + 1 + int(1000)), kind: 'certain' };
    if (r < 0.1) return { frame: bytes(varString(invalidNames()), validBody()), kind: 'certain' };
    if (r < 0.15) return { frame: bytes(varUint(pick(hugeLengths)), randomBytes(12)), kind: 'certain' };
    if (r < 0.2) return { frame: bytes(varUint(20 + int(40)), ...Buffer.from('fuzz-1')), kind: 'certain' };
    const b = body();
    if (typeof b.frame === 'string') return b;
    // "Wrong" names: valid room ids this connection never authenticated for; Hocuspocus queues those (bounded).
    const name = r < 0.35 ? `other-${int(1000)}` : room();
    return { frame: bytes(varString(name), b.frame), kind: b.kind };
  };

  /** A burst for one connection: well-formed and malformed frames, ending in a certainly malformed one. */
  const burst = (endpoint: 'sync' | 'yjs', syncRoom: string): Fuzzed[] => {
    const frames: Fuzzed[] = [];
    if (endpoint === 'sync' && next() < 0.5) {
      frames.push({ frame: bytes(varString(syncRoom), 2, 0, varString('')), kind: 'valid' });
      frames.push({ frame: bytes(varString(syncRoom), 0, 0, varUint(1), 0), kind: 'valid' });
    }
    // Long bursts, so 100,000 frames need few connections (~400): per-address upgrade limits stay out of the way.
    const length = 1 + int(550);
    for (let i = 0; i < length; i++) {
      if (next() < 0.15) {
        const valid = validBody();
        frames.push({ frame: endpoint === 'sync' ? bytes(varString(syncRoom), valid) : valid, kind: 'valid' });
      } else {
        frames.push(endpoint === 'sync' ? syncFrame() : yjsFrame());
      }
    }
    let last: Fuzzed;
    do last = endpoint === 'sync' ? syncFrame() : yjsFrame();
    while (last.kind !== 'certain');
    frames.push(last);
    return frames;
  };
  return { burst, room, int };
}

/** Counters of one fuzz run. */
interface FuzzStats {
  /** Upgrades refused with HTTP 429 (no frame sent; retried). */
  refusedUpgrades: number;
  connections: number;
  malformedFrames: number;
  validFrames: number;
  closeCodes: Map<number, number>;
  unexpected: string[];
}

async function runFuzz(url: string, next: () => number, malformedTarget: number, seed: number): Promise<FuzzStats> {
  const fuzz = fuzzer(next);
  const stats: FuzzStats = { refusedUpgrades: 0, connections: 0, malformedFrames: 0, validFrames: 0, closeCodes: new Map(), unexpected: [] };
  const worker = async () => {
    while (stats.malformedFrames < malformedTarget && stats.unexpected.length < 5) {
      const endpoint = fuzz.int(2) ? 'sync' : 'yjs';
      const room = fuzz.room();
      const frames = fuzz.burst(endpoint, room);
      const ws = new WebSocket(endpoint === 'sync' ? `${url}/sync` : `${url}/yjs/${room}`, { perMessageDeflate: false });
      const outcome = await new Promise<{ code: number; reason: string } | string>((resolve) => {
        const timer = setTimeout(() => {
          resolve(`no close within 10 s after a burst of ${frames.length} frames on /${endpoint}`);
          ws.terminate();
        }, 10_000);
        ws.on('error', () => {}); // the close event that follows carries what we check
        ws.on('unexpected-response', (_req, res) => {
          clearTimeout(timer);
          res.resume();
          ws.terminate();
          resolve(`http ${res.statusCode}`);
        });
        ws.on('close', (code, reason) => {
          clearTimeout(timer);
          resolve({ code, reason: reason.toString() });
        });
        ws.on('open', () => {
          for (const f of frames) ws.send(f.frame);
        });
      });
      if (outcome === 'http 429') {
        // Refused by an upgrade rate limit before any frame was sent: wait and open another.
        stats.refusedUpgrades += 1;
        await sleep(200);
        continue;
      }
      stats.connections += 1;
      for (const f of frames) {
        if (f.kind === 'valid') stats.validFrames += 1;
        else stats.malformedFrames += 1;
      }
      if (typeof outcome === 'string') stats.unexpected.push(`seed ${seed}: ${outcome}`);
      else {
        stats.closeCodes.set(outcome.code, (stats.closeCodes.get(outcome.code) ?? 0) + 1);
        if (!ACCEPTED_CLOSE_CODES.includes(outcome.code)) {
          stats.unexpected.push(`seed ${seed}: /${endpoint} closed with ${outcome.code} ${outcome.reason}`);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  return stats;
}

test(`fuzz: ${MALFORMED_FRAMES} malformed frames over /sync and /yjs/:room; the server, its memory and other rooms are unaffected`, async () => {
  const { seed, next } = seededRandom();
  console.log(`hardening fuzz seed: ${seed} (rerun with SEED=${seed})`);
  const pid = child.process.pid!;

  // Warm-up: JIT, allocator pools and the fuzz rooms' first loads, so the RSS baseline is a steady state.
  await runFuzz(child.wsUrl, next, WARMUP_FRAMES, seed);
  await sleep(1_000);
  const rssBefore = rssBytes(pid);

  const probe = startHealthProbe(child.httpUrl, 50);
  let rssPeak = rssBefore;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, rssBytes(pid))), 250);

  // Bystanders in another room: alternate writes and wait for the other side, all along the run.
  let fuzzing = true;
  const roundTrips: number[] = [];
  const bystanderFailures: string[] = [];
  const bystanderEdits = (async () => {
    for (let i = 0; fuzzing; i++) {
      const [from, to] = i % 2 ? [bystanders.hocuspocus.document, bystanders.yjs.doc] : [bystanders.yjs.doc, bystanders.hocuspocus.document];
      const t0 = performance.now();
      from.getMap('m').set('tick', i);
      try {
        await waitFor(() => to.getMap('m').get('tick') === i, 10_000, () => `bystander tick ${i} not delivered`);
        roundTrips.push(performance.now() - t0);
      } catch (error) {
        bystanderFailures.push((error as Error).message);
      }
      await sleep(100);
    }
  })();

  const t0 = performance.now();
  const stats = await runFuzz(child.wsUrl, next, MALFORMED_FRAMES, seed);
  const seconds = (performance.now() - t0) / 1000;
  fuzzing = false;
  await bystanderEdits;
  await sleep(2_000);
  clearInterval(rssTimer);
  const rssAfter = rssBytes(pid);
  const health = await probe.stop();
  const serverRejections = (child.output().match(/"closing connection"/g) ?? []).length;

  const healthMs = percentiles(health.map((s) => s.latencyMs));
  const rt = percentiles(roundTrips);
  console.log(
    `fuzz: ${stats.malformedFrames} malformed + ${stats.validFrames} well-formed frames over ${stats.connections} connections (${stats.refusedUpgrades} upgrades refused 429) in ` +
      `${seconds.toFixed(1)} s (${Math.round(stats.malformedFrames / seconds)} malformed frames/s); close codes ` +
      `${JSON.stringify(Object.fromEntries(stats.closeCodes))}; frames the server refused (logged, warm-up included): ${serverRejections}; ` +
      `server RSS before ${mib(rssBefore)}, peak ${mib(rssPeak)}, after 2 s settle ${mib(rssAfter)}; ` +
      `/healthz n=${healthMs.n} p50 ${healthMs.p50} ms p99 ${healthMs.p99} ms max ${healthMs.max} ms; ` +
      `bystander round trips n=${rt.n} p50 ${rt.p50.toFixed(1)} ms p99 ${rt.p99.toFixed(1)} ms max ${rt.max.toFixed(1)} ms`,
  );

  assert.deepEqual(stats.unexpected, []);
  assert.ok(stats.malformedFrames >= MALFORMED_FRAMES);
  assert.ok(health.length > 0 && health.every((s) => s.status === 200), `seed ${seed}: /healthz failed during the fuzz`);
  assert.equal((await fetch(`${child.httpUrl}/healthz`)).status, 200);
  assert.equal(child.process.exitCode, null, 'the server process exited');
  // Bound: the live state is eight fuzz rooms of a few hundred bytes each. Measured (seed 17145127): RSS rises ~120 MiB
  // over the run because V8 grows its committed heap (heapTotal ~90 -> ~150 MiB) under this allocation rate and keeps
  // it, while the heap in use after a full GC stays ~20 MiB and external memory ~11 MiB, flat from 40,000 to 120,000
  // frames (checked once with a diagnostic preload calling gc(); the server exposes no GC, so the test cannot).
  // 160 MiB admits that and catches retention of >= 1.7 KiB per malformed frame or >= 45 KiB per connection.
  assert.ok(rssAfter - rssBefore < RSS_GROWTH_BOUND_BYTES, `seed ${seed}: RSS grew ${mib(rssAfter - rssBefore)}`);
  assert.deepEqual(bystanderFailures, []);
  assert.deepEqual(bystanders.closes, [], 'a bystander connection closed');
  assert.ok(rt.n > 10, 'bystanders exchanged too few edits');
});
