/**
 * A backup process killed with SIGKILL midway leaves no archive at its final path and the server serving (writes
 * acknowledged, /healthz 200 throughout), and the next backup succeeds; scheduled backups with BACKUP_KEEP pruning;
 * two instances on one PostgreSQL never back up at once.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { verifyArchive } from '../src/backup/archive-reader.ts';
import { BackupScheduler } from '../src/backup/scheduler.ts';
import { PostgresStore } from '../src/persistence/postgres-store.ts';
import { hocuspocusClient, startLevelDbServer, startServer, synced, tempDir, waitFor } from './harness.ts';
import { runCli } from './backup-fixtures.ts';

const databaseUrl = process.env.TEST_DATABASE_URL;
const dirs: { remove: () => void }[] = [];
const schema = `scrawl_bs${process.pid}_${randomBytes(3).toString('hex')}`;
after(async () => {
  dirs.forEach((d) => d.remove());
  if (!databaseUrl) return;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});
const dir = () => {
  const d = tempDir('scrawl-schedule-');
  dirs.push(d);
  return d.path;
};

test('kill -9 of npm run backup midway: no archive at the final path, the server unaffected, the next backup succeeds', async () => {
  const data = dir();
  // ~120 MB of assets, so that the backup takes long enough to be killed in the middle.
  for (let i = 0; i < 48; i++) {
    mkdirSync(join(data, 'assets', `big-${i % 4}`), { recursive: true });
    writeFileSync(join(data, 'assets', `big-${i % 4}`, `${randomBytes(32).toString('hex')}.png`), randomBytes(2.5 * 1024 * 1024));
  }
  const srv = await startLevelDbServer(data, { assetDir: data });
  const health: number[] = [];
  const probe = setInterval(() => void fetch(`${srv.httpUrl}/healthz`).then((r) => health.push(r.status), () => health.push(0)), 50);
  const client = hocuspocusClient(srv.wsUrl, 'during-kill');
  try {
    await synced(client);
    const outDir = dir();
    const out = join(outDir, 'killed.tar');
    const backup = runCli('backup', ['--out', out], { DATA_DIR: data, PORT: String(srv.port) });
    const temporary = await waitFor(() => {
      const name = readdirSync(outDir).find((n) => n.endsWith('.tmp'));
      return name && statSync(join(outDir, name)).size > 4 * 1024 * 1024 ? name : undefined;
    }, 30_000, () => 'the backup never started writing');
    backup.process.kill('SIGKILL');
    assert.equal((await backup.done).code, 'SIGKILL');
    assert.equal(existsSync(out), false, 'no archive at the final path');
    assert.ok(temporary.startsWith('.killed.tar.'));

    // The server noticed the client go, released its read, and serves on.
    const list = client.document.getArray<number>('after');
    for (let i = 0; i < 20; i++) list.push([i]);
    await waitFor(() => client.unsyncedChanges === 0, 10_000, () => 'writes acknowledged after the kill');
    await waitFor(() => !srv.server.backups!.running, 10_000, () => 'the killed backup released');
    const again = await runCli('backup', ['--out', out], { DATA_DIR: data, PORT: String(srv.port) }).done;
    assert.equal(again.code, 0, again.stderr);
    const manifest = await verifyArchive(out);
    assert.equal(manifest.counts.assets, 48);
    assert.ok(health.length > 5 && health.every((status) => status === 200), `healthz throughout: ${[...new Set(health)]}`);
  } finally {
    clearInterval(probe);
    client.destroy();
    await srv.stop();
  }
});

test('scheduled backups keep the newest BACKUP_KEEP archives, and report in the metrics', async () => {
  const data = dir();
  const backups = dir();
  const srv = await startLevelDbServer(data, { assetDir: data, backup: { dir: backups, intervalMs: 400, keep: 2, firstDelayMs: 0 } });
  try {
    const client = hocuspocusClient(srv.wsUrl, 'scheduled');
    await synced(client);
    client.document.getText('t').insert(0, 'kept');
    await waitFor(() => client.unsyncedChanges === 0);
    client.destroy();
    const seen = new Set<string>();
    await waitFor(() => {
      for (const name of readdirSync(backups)) if (name.endsWith('.tar')) seen.add(name);
      return seen.size >= 4;
    }, 30_000, () => `only ${seen.size} scheduled backups`);
    const metrics = await (await fetch(`${srv.httpUrl}/metrics`)).text();
    const last = Number(/^scrawl_backup_last_success_timestamp_seconds (\S+)$/m.exec(metrics)?.[1]);
    assert.ok(last > Date.now() / 1000 - 60, metrics);
    assert.match(metrics, /^scrawl_backup_last_size_bytes [1-9]/m);
    assert.match(metrics, /^scrawl_backup_failures_total 0$/m);
    // Stopping waits for a backup in progress (each is pruned after it is renamed into place).
    await srv.stop();
    for (const name of readdirSync(backups)) if (name.endsWith('.tar')) seen.add(name);
    const kept = readdirSync(backups).filter((n) => n.endsWith('.tar')).sort();
    assert.equal(kept.length, 2, `kept ${kept}`);
    assert.deepEqual(kept, [...seen].sort().slice(-2), 'the newest are kept');
    await verifyArchive(join(backups, kept.at(-1)!));
    assert.deepEqual(readdirSync(backups).filter((n) => n.endsWith('.tmp')), []);
  } finally {
    await srv.stop();
  }
});

test('two instances on one PostgreSQL: one scheduled backup at a time', { skip: databaseUrl ? false : 'not configured: set TEST_DATABASE_URL (source scripts/services.sh && ensure_postgres)' }, async () => {
  const shared = dir();
  const a = await startServer({ store: new PostgresStore({ connectionString: databaseUrl!, schema }), assetDir: dir() });
  const b = await startServer({ store: new PostgresStore({ connectionString: databaseUrl!, schema }), assetDir: dir() });
  try {
    const schedule = (srv: typeof a) =>
      new BackupScheduler({ dir: shared, intervalMs: 3_600_000, keep: 5, service: srv.server.backups!, store: srv.server.store, log: console as never });
    const results = await Promise.all([schedule(a).runOnce(), schedule(b).runOnce()]);
    assert.equal(results.filter((path) => path !== null).length, 1, `one backup: ${results}`);
    assert.equal(readdirSync(shared).filter((n) => n.endsWith('.tar')).length, 1);
  } finally {
    await a.stop();
    await b.stop();
  }
});
