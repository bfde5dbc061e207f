/**
 * What the scale-out test files share: PostgreSQL and Redis from TEST_DATABASE_URL and TEST_REDIS_URL (which
 * `source scripts/services.sh && ensure_redis && ensure_postgres` starts or finds, as `.ci/run` does), names for this
 * run's schemas and channel prefixes so runs never meet, and cleanup after the file's tests.
 */
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import pg from 'pg';
import { PostgresStore } from '../src/persistence/postgres-store.ts';
import { RedisRelay } from '../src/scaleout/redis-relay.ts';
import { startServer, type TestServer } from './harness.ts';

/** The services and this run's names, handed to a file's tests by {@link withScaleoutServices}. */
export interface ScaleoutServices {
  dbUrl: string;
  redisUrl: string;
  /** Unique per run of the file: schema names and Redis channel prefixes start with it. */
  run: string;
  /** A PostgreSQL schema of this run (`run` itself without a name), dropped after the file's tests. */
  schema(name?: string): string;
  /** Run after the file's tests, the last one added first, before the schemas are dropped. */
  cleanups: (() => Promise<unknown> | void)[];
}

/**
 * Defines a file's scale-out tests with the services, or, when they are not configured, one skipped test named
 * `suite` that says what to set. `tag` (two letters) keeps the files' schema names apart.
 */
export function withScaleoutServices(suite: string, tag: string, define: (services: ScaleoutServices) => void): void {
  const dbUrl = process.env.TEST_DATABASE_URL;
  const redisUrl = process.env.TEST_REDIS_URL;
  if (!dbUrl || !redisUrl) {
    test(suite, { skip: 'not configured: set TEST_DATABASE_URL and TEST_REDIS_URL (source scripts/services.sh && ensure_redis && ensure_postgres)' }, () => {});
    return;
  }
  const run = `scrawl_${tag}${process.pid}_${randomBytes(3).toString('hex')}`;
  const schemas = new Set<string>();
  const cleanups: (() => Promise<unknown> | void)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    const client = new pg.Client({ connectionString: dbUrl });
    await client.connect();
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });
  const schema = (name?: string) => {
    const named = name ? `${run}_${name}` : run;
    schemas.add(named);
    return named;
  };
  define({ dbUrl, redisUrl, run, schema, cleanups });
}

/**
 * `count` in-process servers on one PostgreSQL `schema`, each relaying through its own RedisRelay on `prefix`; they
 * stop (and their relays close) with the file's cleanups.
 */
export async function startRelayedServers(
  services: ScaleoutServices,
  count: number,
  prefix: string,
  schema: string,
): Promise<{ servers: TestServer[]; relays: RedisRelay[] }> {
  const servers: TestServer[] = [];
  const relays: RedisRelay[] = [];
  for (let i = 0; i < count; i++) {
    const relay = new RedisRelay({ url: services.redisUrl, prefix });
    await relay.open();
    relays.push(relay);
    const server = await startServer({ store: new PostgresStore({ connectionString: services.dbUrl, schema }), extensions: [relay] });
    servers.push(server);
    services.cleanups.push(async () => {
      await server.stop();
      await relay.close();
    });
  }
  return { servers, relays };
}
