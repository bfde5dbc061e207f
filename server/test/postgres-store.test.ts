/**
 * PostgreSQL store: the shared contract suite, plus what only a shared store must survive: several instances
 * appending to and compacting the same room at once. Needs TEST_DATABASE_URL (scripts/services.sh sets it); every
 * run works in schemas of its own, dropped at the end, so runs and other suites never collide.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import pg from 'pg';
import * as Y from 'yjs';
import { StoreUnavailableError } from '../src/persistence/doc-store.ts';
import { PostgresStore } from '../src/persistence/postgres-store.ts';
import { canonicalJson } from './harness.ts';
import { runStoreContract } from './store-contract.ts';

const databaseUrl = process.env.TEST_DATABASE_URL;

if (!databaseUrl) {
  test('postgres store', { skip: 'not configured: set TEST_DATABASE_URL (source scripts/services.sh && ensure_postgres)' }, () => {});
} else {
  const url = databaseUrl;
  const run = `scrawl_t${process.pid}_${randomBytes(3).toString('hex')}`;
  const schemas: string[] = [];
  let counter = 0;
  const freshSchema = () => {
    const schema = `${run}_${counter++}`;
    schemas.push(schema);
    return schema;
  };
  const schemaOf = new WeakMap<object, string>();
  const openStore = async (schema: string) => {
    const store = new PostgresStore({ connectionString: url, schema });
    await store.open();
    schemaOf.set(store, schema);
    return store;
  };

  after(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  runStoreContract('postgres', {
    create: () => openStore(freshSchema()),
    reopen: (previous) => openStore(schemaOf.get(previous)!),
    singleWriter: false,
  });

  test('postgres store: appends of one tick go to the database as one INSERT', async () => {
    const store = await openStore(freshSchema());
    try {
      const pool = (store as unknown as { pool: pg.Pool }).pool;
      const query = pool.query.bind(pool);
      let inserts = 0;
      pool.query = ((...args: Parameters<typeof query>) => {
        if (typeof args[0] === 'string' && args[0].includes('INSERT INTO') && args[0].includes('scrawl_log')) inserts += 1;
        return query(...args);
      }) as typeof pool.query;
      const doc = new Y.Doc();
      const appends: Promise<void>[] = [];
      doc.on('update', (update: Uint8Array) => appends.push(store.append('batch', update)));
      for (let i = 0; i < 100; i++) doc.getArray('a').push([i]);
      await Promise.all(appends);
      assert.equal(inserts, 1);
      assert.equal((await store.stats('batch')).logEntries, 100);
    } finally {
      await store.close();
    }
  });

  test('postgres store: two instances appending to and compacting one room at once lose and double nothing', async () => {
    const schema = freshSchema();
    const [a, b] = [await openStore(schema), await openStore(schema)];
    try {
      // Two writers, one per instance, editing the same room; each also compacts it now and then.
      const docs = [new Y.Doc(), new Y.Doc()];
      const stores = [a, b];
      const appends: Promise<void>[] = [];
      const compactions: Promise<void>[] = [];
      docs.forEach((doc, i) => doc.on('update', (u: Uint8Array) => appends.push(stores[i].append('shared', u))));
      for (let step = 0; step < 400; step++) {
        const i = step % 2;
        docs[i].getArray<string>('list').push([`${i}:${step}`]);
        docs[i].getMap<number>('m').set(`k${step % 17}`, step);
        if (step % 23 === 0) compactions.push(stores[i].compact('shared'), stores[1 - i].compact('shared'));
        if (step % 40 === 0) await new Promise((r) => setImmediate(r));
      }
      await Promise.all(appends);
      await Promise.all(compactions);

      const expected = new Y.Doc();
      for (const doc of docs) Y.applyUpdate(expected, Y.encodeStateAsUpdate(doc));
      const readBack = async (store: PostgresStore) => {
        const doc = new Y.Doc();
        for (const update of await store.load('shared')) Y.applyUpdate(doc, update);
        return { list: doc.getArray('list').toArray(), m: doc.getMap('m').toJSON() };
      };
      const want = { list: expected.getArray('list').toArray(), m: expected.getMap('m').toJSON() };
      assert.equal(want.list.length, 400);
      assert.equal(canonicalJson(await readBack(a)), canonicalJson(want));
      assert.equal(canonicalJson(await readBack(b)), canonicalJson(want));

      // One last compaction from each side at the same moment: one merges, the other finds nothing left.
      await Promise.all([a.compact('shared'), b.compact('shared')]);
      assert.equal((await a.stats('shared')).logEntries, 0);
      assert.equal((await b.load('shared')).length, 1);
      assert.equal(canonicalJson(await readBack(b)), canonicalJson(want));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('postgres store: a row appended with a lower seq but committed after a compaction read survives it', async () => {
    const schema = freshSchema();
    const store = await openStore(schema);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const doc = new Y.Doc();
      const updates: Uint8Array[] = [];
      doc.on('update', (u: Uint8Array) => updates.push(u));
      doc.getMap('m').set('first', 1);
      doc.getMap('m').set('late', 2);
      doc.getMap('m').set('third', 3);
      // Another instance takes a seq for 'late' now but commits it only after this instance compacted.
      await client.query('BEGIN');
      await client.query(`INSERT INTO "${schema}".scrawl_log (room, update) VALUES ($1, $2)`, ['r', Buffer.from(updates[1])]);
      await store.append('r', updates[0]);
      await store.append('r', updates[2]);
      await store.compact('r');
      await client.query('COMMIT');
      const back = new Y.Doc();
      for (const update of await store.load('r')) Y.applyUpdate(back, update);
      assert.deepEqual(back.getMap('m').toJSON(), { first: 1, late: 2, third: 3 });
      assert.equal((await store.stats('r')).logEntries, 1);
    } finally {
      await client.end();
      await store.close();
    }
  });

  test('postgres store: an unreachable database is refused with an error naming it', async () => {
    const store = new PostgresStore({ connectionString: 'postgres://scrawl:secret-pw@127.0.0.1:1/nowhere_db' });
    await assert.rejects(store.open(), (error: Error) => {
      assert.ok(error instanceof StoreUnavailableError);
      assert.match(error.message, /PostgreSQL database "nowhere_db" at 127\.0\.0\.1:1 \(DATABASE_URL\)/);
      assert.doesNotMatch(error.message, /secret-pw/);
      return true;
    });
    await store.close();
  });
}
