/**
 * Capacity, part c: appends/s the PostgreSQL store commits with group commit, and their commit latency.
 *
 * The store's own append path (server/src/persistence/postgres-store.ts: appends of one commit window become one
 * multi-row INSERT into scrawl_log, batches commit one after another) driven directly in the bench process, on a fresh
 * database (scaleout.ts's freshDatabase), with 1,000 rooms appending real Yjs updates (a one-key map change, as the
 * other scenarios stamp). Open loop: each step offers a fixed rate, spread over the rooms, whether or not earlier
 * appends have committed, as clients do (they do not wait for one acknowledgement before sending the next update).
 * Latency is from append() to its promise resolving, i.e. what an acknowledgement waits for. A step holds when its
 * p99 is <= 100 ms and at least 90 % of the offered appends committed (within the window or the 10 s after it).
 *
 * Also read per step: the CPU of every `postgres` process (backends, WAL writer, checkpointer) and of the bench
 * process (which runs the store, as a Scrawl instance would), and the WAL written per append; at the end, the log
 * table's size on disk (heap + index) per row, which is what an hour of appends costs before compaction.
 */
import pg from 'pg';
import * as Y from 'yjs';
import { PostgresStore } from '../../../server/src/persistence/postgres-store.ts';
import { stamp } from '../docs.ts';
import { freshDatabase, requireServices } from '../scaleout.ts';
import { percentile, sleep } from '../stats.ts';
import { cpuSecondsOf, machineWindow } from './machine.ts';
import { P99_BOUND_MS, stepUp, type Step, type Stepped } from './steps.ts';

/** Offered appends/s per step. */
export const APPEND_RATES = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000];
const ROOMS = 1_000;
const WARMUP_MS = 1_000;
const TICK_MS = 5;
/** Appends still uncommitted after the window are waited for this long before the step counts them as failed. */
const DRAIN_MS = 10_000;

/** What part c measured: the steps, and the log table's size per row at the end. */
export interface AppendCapacity {
  stepped: Stepped;
  bytesPerRow: number;
  rows: number;
}

/** Part c on a fresh database; stops stepping after `budgetMs`. */
export async function measureAppends(durationS: number, budgetMs: number): Promise<AppendCapacity> {
  await requireServices();
  const db = await freshDatabase();
  const store = new PostgresStore({ connectionString: db.url });
  const admin = new pg.Client({ connectionString: db.url });
  try {
    await store.open();
    await admin.connect();
    const updates = Array.from({ length: ROOMS }, () => {
      const doc = new Y.Doc();
      stamp(doc, 'w');
      return Y.encodeStateAsUpdate(doc);
    });
    const stepped = await stepUp('postgres', APPEND_RATES, budgetMs, (rate) => measureRate(store, admin, updates, rate, durationS));
    const { rows } = await admin.query<{ bytes: string; n: string }>(
      `SELECT pg_total_relation_size('scrawl_log') AS bytes, (SELECT count(*) FROM scrawl_log) AS n`,
    );
    return { stepped, bytesPerRow: Number(rows[0].bytes) / Number(rows[0].n), rows: Number(rows[0].n) };
  } finally {
    await store.close().catch(() => {});
    await admin.end().catch(() => {});
    await db.drop();
  }
}

async function walLsn(admin: pg.Client): Promise<string> {
  const { rows } = await admin.query<{ lsn: string }>('SELECT pg_current_wal_lsn() AS lsn');
  return rows[0].lsn;
}

async function measureRate(store: PostgresStore, admin: pg.Client, updates: Uint8Array[], rate: number, durationS: number): Promise<Step> {
  const latencies: number[] = [];
  let issued = 0;
  let committed = 0;
  let failed = 0;
  let recordFrom = Number.POSITIVE_INFINITY;
  let recordUntil = Number.POSITIVE_INFINITY;
  const append = () => {
    const room = issued % ROOMS;
    issued++;
    const at = performance.now();
    store.append(`cap-${room}`, updates[room]).then(() => {
      committed++;
      if (at >= recordFrom && at < recordUntil) latencies.push(performance.now() - at);
    }, () => failed++);
  };
  // Each tick issues what the offered rate owes by now, so a late timer does not lower the rate.
  const start = performance.now();
  const endAt = start + WARMUP_MS + durationS * 1000;
  let counters: { wal: string; pgCpu: number; bench: NodeJS.CpuUsage; machine: () => { busyPct: number; load1: number }; issued: number; committed: number } | undefined;
  while (performance.now() < endAt) {
    const now = performance.now();
    if (counters === undefined && now - start >= WARMUP_MS) {
      recordFrom = now;
      counters = { wal: await walLsn(admin), pgCpu: cpuSecondsOf('postgres'), bench: process.cpuUsage(), machine: machineWindow(), issued, committed };
    }
    const owed = Math.floor(((now - start) / 1000) * rate) - issued;
    for (let i = 0; i < owed; i++) append();
    await sleep(TICK_MS);
  }
  recordUntil = performance.now();
  const windowS = (recordUntil - recordFrom) / 1000;
  const offered = issued - counters!.issued;
  const committedInWindow = latencies.length;
  const drainBy = performance.now() + DRAIN_MS;
  while (committed + failed < issued && performance.now() < drainBy) await sleep(20);
  const wallS = (performance.now() - recordFrom) / 1000;
  const pgCpuPct = (100 * (cpuSecondsOf('postgres') - counters!.pgCpu)) / wallS;
  const bench = process.cpuUsage(counters!.bench);
  const { rows } = await admin.query<{ bytes: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS bytes', [counters!.wal]);
  const { busyPct, load1 } = counters!.machine();
  // Latencies counted so far are those committed before the drain ended; the rest did not commit in time.
  const all = latencies.length;
  const p99 = percentile(latencies, 99);
  const share = offered === 0 ? 0 : all / offered;
  const held = p99 <= P99_BOUND_MS && share >= 0.9 && failed === 0;
  const why = held ? undefined : [
    p99 > P99_BOUND_MS ? `p99 ${p99.toFixed(0)} ms > ${P99_BOUND_MS}` : '',
    share < 0.9 ? `${(100 * share).toFixed(0)} % committed` : '',
    failed > 0 ? `${failed} appends failed` : '',
  ].filter(Boolean).join(', ');
  return {
    held,
    why,
    cells: {
      'offered appends/s': rate,
      'committed appends/s': committedInWindow / windowS,
      'p50 ms': percentile(latencies, 50),
      'p99 ms': p99,
      'WAL B/append': Number(rows[0].bytes) / Math.max(1, committed - counters!.committed),
      'postgres CPU %': pgCpuPct,
      'bench (store) CPU %': (100 * (bench.user + bench.system)) / 1e6 / wallS,
      'machine busy %': busyPct,
      load: load1,
    },
  };
}
