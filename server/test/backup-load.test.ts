/**
 * Backups taken while the real server serves 50 writing clients in 20 rooms, restored into the other store kind: every
 * update acknowledged before the backup started is there, with versions, assets and catalog entries. LevelDB ->
 * PostgreSQL goes through `npm run backup` (which finds the directory locked and asks the running server); PostgreSQL
 * -> LevelDB through the server's backup service and `npm run restore`. Prints the acknowledgement p99 without and
 * during the backup. PostgreSQL parts need TEST_DATABASE_URL; they skip with a message otherwise.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { verifyArchive } from '../src/backup/archive-reader.ts';
import { PostgresRestoreTarget } from '../src/backup/postgres-target.ts';
import { restoreArchive } from '../src/backup/restore.ts';
import { LevelDbStore } from '../src/persistence/leveldb-store.ts';
import { PostgresStore } from '../src/persistence/postgres-store.ts';
import { PostgresCatalog } from '../src/workspace/postgres-catalog.ts';
import { createLevelDbCatalog } from '../src/workspace/leveldb-catalog.ts';
import { type TestServer, startLevelDbServer, startServer, tempDir, waitFor } from './harness.ts';
import { WritingClients, assertAcknowledgedPresent, runCli } from './backup-fixtures.ts';

const databaseUrl = process.env.TEST_DATABASE_URL;
const dirs: { remove: () => void }[] = [];
const schemas: string[] = [];
const run = `scrawl_bk${process.pid}_${randomBytes(3).toString('hex')}`;
after(async () => {
  dirs.forEach((d) => d.remove());
  if (!databaseUrl || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});
const freshSchema = () => {
  const schema = `${run}_${schemas.length}`;
  schemas.push(schema);
  return schema;
};
const dir = () => {
  const d = tempDir('scrawl-backup-');
  dirs.push(d);
  return d.path;
};

const ROOMS = Array.from({ length: 20 }, (_, i) => `load-room-${i}`);
// A 1x1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** Load, then a version, an asset and catalog entries; returns the asset's id and the version's id. */
async function prepare(srv: TestServer, clients: WritingClients): Promise<{ assetId: string; versionId: string }> {
  await clients.sync();
  // One change per room first, so that every room gets its catalog entry once its changes settle.
  for (const client of clients.clients) client.provider.document.getMap('meta').set(client.key, true);
  const upload = await fetch(`${srv.httpUrl}/api/rooms/${ROOMS[0]}/assets`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: PNG });
  assert.equal(upload.status, 201);
  const assetId = ((await upload.json()) as { url: string }).url.split('/').pop()!;
  const saved = await fetch(`${srv.httpUrl}/api/rooms/${ROOMS[1]}/versions`, { method: 'POST', body: JSON.stringify({ label: 'before the backup' }) });
  assert.equal(saved.status, 201, await saved.clone().text());
  const versionId = ((await saved.json()) as { id: string }).id;
  await waitFor(async () => {
    const found = await Promise.all(ROOMS.map(async (room) => (await fetch(`${srv.httpUrl}/api/boards/${room}`)).status === 200));
    return found.every(Boolean);
  }, 20_000, () => 'catalog entries for every room');
  clients.start(20);
  await new Promise((r) => setTimeout(r, 600));
  return { assetId, versionId };
}

test('LevelDB under load -> npm run backup (through the running server) -> PostgreSQL', { skip: databaseUrl ? false : 'PostgreSQL part not configured: set TEST_DATABASE_URL (source scripts/services.sh && ensure_postgres)' }, async (t) => {
  const data = dir();
  const srv = await startLevelDbServer(data, { assetDir: data });
  const clients = new WritingClients(srv.wsUrl, ROOMS, 50);
  try {
    const { assetId, versionId } = await prepare(srv, clients);
    const quietFrom = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    const acked = clients.acknowledged();
    const backupFrom = performance.now();
    const out = join(dir(), 'load.tar');
    const result = await runCli('backup', ['--out', out], { DATA_DIR: data, PORT: String(srv.port) }).done;
    const backupTo = performance.now();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /from the running server/);
    await new Promise((r) => setTimeout(r, 300));
    clients.stop();
    const without = clients.p99(quietFrom, backupFrom);
    const during = clients.p99(backupFrom, backupTo);
    t.diagnostic(`LevelDB: ack p99 ${without.p99.toFixed(1)} ms without a backup (${without.count} acks), ${during.p99.toFixed(1)} ms during it (${during.count} acks, ${(backupTo - backupFrom).toFixed(0)} ms)`);

    const schema = freshSchema();
    const target = new PostgresStore({ connectionString: databaseUrl!, schema });
    await target.open();
    const catalog = new PostgresCatalog(target.sharedDatabase);
    await catalog.open();
    const restoredData = dir();
    try {
      await restoreArchive({ archive: out, target: new PostgresRestoreTarget(target.sharedDatabase, 'test', false), dataDir: restoredData, merge: false });
      const checked = await assertAcknowledgedPresent(target, acked);
      t.diagnostic(`${checked} acknowledged updates of ${acked.size} clients found in PostgreSQL`);
      assert.ok(checked >= 250, `${checked} updates checked`);
      const versions = await target.listVersions(ROOMS[1]);
      assert.ok(versions.some((v) => v.id === versionId && v.label === 'before the backup'));
      assert.ok(await target.loadVersion(ROOMS[1], versionId));
      assert.deepEqual(readFileSync(join(restoredData, 'assets', ROOMS[0], assetId)), PNG);
      for (const room of ROOMS) assert.ok(await catalog.get(room), `catalog entry of ${room}`);
    } finally {
      await target.close();
    }
  } finally {
    clients.destroy();
    await srv.stop();
  }
});

test('PostgreSQL under load -> backup by the server -> npm run restore -> LevelDB', { skip: databaseUrl ? false : 'not configured: set TEST_DATABASE_URL (source scripts/services.sh && ensure_postgres)' }, async (t) => {
  const data = dir();
  const srv = await startServer({ store: new PostgresStore({ connectionString: databaseUrl!, schema: freshSchema() }), assetDir: data });
  const clients = new WritingClients(srv.wsUrl, ROOMS, 50);
  try {
    const { assetId, versionId } = await prepare(srv, clients);
    const quietFrom = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    const acked = clients.acknowledged();
    const backupFrom = performance.now();
    const out = join(dir(), 'load-pg.tar');
    const { manifest } = await srv.server.backups!.toFile(out, 'test');
    const backupTo = performance.now();
    await new Promise((r) => setTimeout(r, 300));
    clients.stop();
    const without = clients.p99(quietFrom, backupFrom);
    const during = clients.p99(backupFrom, backupTo);
    t.diagnostic(`PostgreSQL: ack p99 ${without.p99.toFixed(1)} ms without a backup (${without.count} acks), ${during.p99.toFixed(1)} ms during it (${during.count} acks, ${(backupTo - backupFrom).toFixed(0)} ms)`);
    assert.equal(manifest.store, 'postgres');
    assert.equal(manifest.counts.rooms, ROOMS.length);

    const restored = join(dir(), 'data');
    const result = await runCli('restore', [out], { DATA_DIR: restored }).done;
    assert.equal(result.code, 0, result.stderr);
    const store = new LevelDbStore({ directory: restored });
    await store.open();
    try {
      const checked = await assertAcknowledgedPresent(store, acked);
      t.diagnostic(`${checked} acknowledged updates of ${acked.size} clients found in LevelDB`);
      assert.ok(checked >= 250, `${checked} updates checked`);
      assert.ok((await store.listVersions(ROOMS[1])).some((v) => v.id === versionId));
      assert.ok(existsSync(join(restored, 'assets', ROOMS[0], assetId)));
      const catalog = createLevelDbCatalog(store);
      await catalog.open();
      for (const room of ROOMS) assert.ok(await catalog.get(room), `catalog entry of ${room}`);
      assert.deepEqual((await verifyArchive(out)).counts, manifest.counts);
    } finally {
      await store.close();
    }
  } finally {
    clients.destroy();
    await srv.stop();
  }
});
