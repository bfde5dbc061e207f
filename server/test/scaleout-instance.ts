/**
 * One scale-out instance as a child process, for tests that kill it with SIGKILL: a PostgreSQL store and the Redis
 * relay around the real server, on a free port of 127.0.0.1. Until main.ts wires DATABASE_URL and REDIS_URL, this is
 * that wiring in small. Prints one JSON line `{"event":"listening","port":N}` once it serves; SIGTERM drains.
 *
 * Environment: SCALEOUT_DATABASE_URL, SCALEOUT_SCHEMA, SCALEOUT_REDIS_URL, SCALEOUT_PREFIX (all required),
 * SCALEOUT_COMPACT_AFTER (default 500).
 */
import { createLogger } from '../src/log.ts';
import { PostgresStore } from '../src/persistence/postgres-store.ts';
import { RedisRelay } from '../src/scaleout/redis-relay.ts';
import { createScrawlServer } from '../src/server.ts';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) {
    console.error(`scaleout-instance: ${name} is required`);
    process.exit(2);
  }
  return value;
};

const log = createLogger('warn');
const relay = new RedisRelay({ url: required('SCALEOUT_REDIS_URL'), prefix: required('SCALEOUT_PREFIX'), logger: log });
const store = new PostgresStore({
  connectionString: required('SCALEOUT_DATABASE_URL'),
  schema: required('SCALEOUT_SCHEMA'),
  onIdleError: (error) => log.warn({ err: error.message }, 'idle database connection failed'),
});
const server = createScrawlServer({
  store,
  logger: log,
  extensions: [relay],
  compactAfterUpdates: Number(process.env.SCALEOUT_COMPACT_AFTER ?? 500),
});

await relay.open();
const { port } = await server.listen(0, '127.0.0.1');
console.log(JSON.stringify({ event: 'listening', port, instanceId: relay.instanceId }));

process.once('SIGTERM', () => {
  void server
    .stop()
    .then(() => relay.close())
    .then(() => process.exit(0));
});
