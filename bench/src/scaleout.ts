/**
 * Plumbing for the scale-out scenarios: Scrawl instances on one PostgreSQL and one Redis, each a child process of
 * `node server/src/main.ts` with DATABASE_URL and REDIS_URL (what an operator runs; main.ts wires PostgresStore and
 * RedisRelay from them).
 *
 * The services are the ones scripts/services.sh locates or starts (`source scripts/services.sh && ensure_redis &&
 * ensure_postgres` exports TEST_DATABASE_URL and TEST_REDIS_URL); without those variables the bench tries their
 * standard loopback addresses. It never starts a service itself: when one does not answer, the scenario is skipped
 * with a message saying how to start it.
 *
 * Isolation: main.ts has no schema option (PostgresStore's `schema` defaults to public), so each measurement gets a
 * fresh database, `scrawl_bench_<pid>_<n>`, created on the server of TEST_DATABASE_URL and dropped afterwards.
 * Redis is shared with whoever else uses it (main.ts's channel prefix is the default "scrawl"): room names carry a
 * random suffix so no test's rooms can be mixed with ours.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import pg from 'pg';
import { ScenarioSkipped } from './scenario.ts';
import { CLK_TCK, ServerProcess } from './servers.ts';

export const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/scrawl_test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const HOW = 'start them with `source scripts/services.sh && ensure_redis && ensure_postgres` (exports TEST_DATABASE_URL, TEST_REDIS_URL)';

function loopbackOnly(url: URL, what: string): void {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new ScenarioSkipped(`${what} is ${url.host}, not on this machine: the bench talks to 127.0.0.1 only`);
  }
}

/** PING over a bare socket: resolves true on +PONG within 2 s. */
function redisPing(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write(url.password ? `AUTH ${decodeURIComponent(url.password)}\r\nPING\r\n` : 'PING\r\n'));
    socket.on('data', (data: Buffer) => {
      if (data.toString().includes('+PONG')) done(true);
      else if (data.toString().startsWith('-')) done(false);
    });
  });
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Throws ScenarioSkipped, with how to fix it, when PostgreSQL or Redis does not answer. */
export async function requireServices(): Promise<void> {
  const db = new URL(DATABASE_URL);
  const redis = new URL(REDIS_URL);
  loopbackOnly(db, 'TEST_DATABASE_URL');
  loopbackOnly(redis, 'TEST_REDIS_URL');
  if (!(await redisPing(redis))) throw new ScenarioSkipped(`Redis does not answer at ${redis.host}; ${HOW}`);
  try {
    await adminQuery('SELECT 1');
  } catch (error) {
    throw new ScenarioSkipped(`PostgreSQL does not answer at ${db.host}${db.pathname} (${(error as Error).message}); ${HOW}`);
  }
}

let databases = 0;

/** A fresh database for one measurement; drop() removes it (and any connection left to it). */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `scrawl_bench_${process.pid}_${++databases}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {}),
  };
}

/** A room name no other user of the shared Redis will have. */
export function uniqueRoom(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Starts `count` Scrawl instances on one fresh database and the shared Redis, hands them over, always stops them
 * and drops the database. Instances are started one after another (each creates its tables on first use).
 */
export async function withInstances<T>(count: number, fn: (instances: ServerProcess[]) => Promise<T>): Promise<T> {
  const db = await freshDatabase();
  const instances: ServerProcess[] = [];
  try {
    for (let i = 0; i < count; i++) {
      try {
        instances.push(await ServerProcess.start('scrawl', { DATABASE_URL: db.url, REDIS_URL }));
      } catch (error) {
        // Not a ServerUnavailable for the run (that would skip every later Scrawl scenario): this setup failed.
        throw new Error(`scale-out instance ${i + 1} did not start: ${(error as Error).message}`);
      }
    }
    return await fn(instances);
  } finally {
    await Promise.all(instances.map((s) => s.stop()));
    await db.drop();
  }
}

/** Server logs of the instances, for the notes (anything at LOG_LEVEL=warn is worth a look). */
export function instanceLogLines(instances: ServerProcess[]): string[] {
  return instances.flatMap((s, i) => s.logText().split('\n')
    .filter((line) => line.trim() !== '' && !/listening on|running at/.test(line))
    .map((line) => `instance ${i + 1}: ${line.length > 300 ? `${line.slice(0, 300)}...` : line}`));
}

/** utime + stime (s) of the local redis-server, when there is exactly one and /proc lets us read it; else NaN. */
export function redisCpuSeconds(): number {
  try {
    const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'redis-server';
      } catch {
        return false;
      }
    });
    if (pids.length !== 1) return Number.NaN;
    const stat = readFileSync(`/proc/${pids[0]}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}
