/**
 * The board catalog's contract suite on memory, LevelDB and PostgreSQL (the last needs TEST_DATABASE_URL, which
 * `source scripts/services.sh && ensure_postgres` sets, as `.ci/run` does; each run works in schemas of its own).
 */
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import pg from 'pg';
import { LevelDbStore } from '../src/persistence/leveldb-store.ts';
import { PostgresStore } from '../src/persistence/postgres-store.ts';
import type { BoardCatalog } from '../src/workspace/board-catalog.ts';
import { catalogForStore } from '../src/workspace/catalog-for-store.ts';
import { IndexedCatalog, memoryCatalogRecords } from '../src/workspace/indexed-catalog.ts';
import { runCatalogContract } from './catalog-contract.ts';
import { tempDir } from './harness.ts';

const dirs: { remove: () => void }[] = [];
after(() => dirs.forEach((d) => d.remove()));

// The memory catalog keeps nothing between runs: "reopening" hands back the same instance.
runCatalogContract('memory', {
  create: async () => {
    const catalog = new IndexedCatalog('memory', memoryCatalogRecords());
    await catalog.open();
    return catalog;
  },
  reopen: async (previous) => previous,
  dispose: async () => {},
});

/** Each catalog with the store it lives in, to close and reopen both. */
const homes = new WeakMap<BoardCatalog, { store: LevelDbStore | PostgresStore; reopen: () => LevelDbStore | PostgresStore }>();

async function openIn(store: LevelDbStore | PostgresStore, reopen: () => LevelDbStore | PostgresStore): Promise<BoardCatalog> {
  await store.open();
  const catalog = catalogForStore(store);
  await catalog.open();
  homes.set(catalog, { store, reopen });
  return catalog;
}

const reopenHome = async (previous: BoardCatalog) => {
  const home = homes.get(previous)!;
  await home.store.close();
  return openIn(home.reopen(), home.reopen);
};
const disposeHome = async (catalog: BoardCatalog) => {
  await catalog.close();
  await homes.get(catalog)!.store.close();
};

runCatalogContract('leveldb', {
  create: () => {
    const dir = tempDir('scrawl-catalog-');
    dirs.push(dir);
    const make = () => new LevelDbStore({ directory: dir.path });
    return openIn(make(), make);
  },
  reopen: reopenHome,
  dispose: disposeHome,
});

const databaseUrl = process.env.TEST_DATABASE_URL;
if (!databaseUrl) {
  test('postgres catalog', { skip: 'not configured: set TEST_DATABASE_URL (source scripts/services.sh && ensure_postgres)' }, () => {});
} else {
  const run = `scrawl_c${process.pid}_${randomBytes(3).toString('hex')}`;
  const schemas: string[] = [];
  after(async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });
  runCatalogContract('postgres', {
    create: () => {
      const schema = `${run}_${schemas.length}`;
      schemas.push(schema);
      const make = () => new PostgresStore({ connectionString: databaseUrl, schema });
      return openIn(make(), make);
    },
    reopen: reopenHome,
    dispose: disposeHome,
  });
}
