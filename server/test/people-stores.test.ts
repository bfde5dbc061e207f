/**
 * The access and session contract suites on memory, LevelDB and PostgreSQL (the last needs TEST_DATABASE_URL, which
 * `source scripts/services.sh && ensure_postgres` sets; each run works in schemas of its own, dropped after).
 */
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import pg from 'pg';
import type { DocStore } from '../src/persistence/doc-store.ts';
import { LevelDbStore } from '../src/persistence/leveldb-store.ts';
import { MemoryStore } from '../src/persistence/memory-store.ts';
import { PostgresStore } from '../src/persistence/postgres-store.ts';
import type { AccessStore } from '../src/people/access-store.ts';
import type { SessionStore } from '../src/people/session-store.ts';
import { peopleStoresFor } from '../src/people/stores-for.ts';
import { runAccessContract } from './access-contract.ts';
import { runSessionContract } from './session-contract.ts';
import { tempDir } from './harness.ts';

const dirs: { remove: () => void }[] = [];
after(() => dirs.forEach((d) => d.remove()));

type Part = AccessStore | SessionStore;
/** Each store part with the document store it lives in, to close and reopen both. */
const homes = new WeakMap<Part, { docs: DocStore; make: () => DocStore }>();

function factoryFor<P extends Part>(pick: (stores: ReturnType<typeof peopleStoresFor>) => P, makeHome: () => () => DocStore) {
  const openIn = async (make: () => DocStore, docs = make()): Promise<P> => {
    await docs.open();
    const part = pick(peopleStoresFor(docs));
    await part.open();
    homes.set(part, { docs, make });
    return part;
  };
  return {
    create: () => openIn(makeHome()),
    reopen: async (previous: P) => {
      const home = homes.get(previous)!;
      await previous.close();
      // The memory store keeps nothing between instances: the same one, opened again, reads its tables afresh.
      if (home.docs instanceof MemoryStore) {
        await previous.open();
        return previous;
      }
      await home.docs.close();
      return openIn(home.make);
    },
    dispose: async (part: P) => {
      await part.close();
      await homes.get(part)!.docs.close();
    },
  };
}

const memoryHome = () => {
  const docs = new MemoryStore();
  return () => docs;
};
const levelHome = () => {
  const dir = tempDir('scrawl-people-');
  dirs.push(dir);
  return () => new LevelDbStore({ directory: dir.path });
};

runAccessContract('memory', factoryFor((s) => s.access, memoryHome));
runSessionContract('memory', factoryFor((s) => s.sessions, memoryHome));
runAccessContract('leveldb', factoryFor((s) => s.access, levelHome));
runSessionContract('leveldb', factoryFor((s) => s.sessions, levelHome));

const databaseUrl = process.env.TEST_DATABASE_URL;
if (!databaseUrl) {
  test('postgres access and sessions', { skip: 'not configured: set TEST_DATABASE_URL (source scripts/services.sh && ensure_postgres)' }, () => {});
} else {
  const run = `scrawl_p${process.pid}_${randomBytes(3).toString('hex')}`;
  const schemas: string[] = [];
  after(async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });
  const postgresHome = () => {
    const schema = `${run}_${schemas.length}`;
    schemas.push(schema);
    return () => new PostgresStore({ connectionString: databaseUrl, schema });
  };
  runAccessContract('postgres', factoryFor((s) => s.access, postgresHome));
  runSessionContract('postgres', factoryFor((s) => s.sessions, postgresHome));
}
