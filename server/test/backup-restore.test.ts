/**
 * `npm run restore` refusals, each with a clear message, a non-zero exit and the target untouched (its whole contents
 * fingerprinted before and after): truncated archive, a flipped byte, random bytes, a newer format, a non-empty target
 * without --merge. Also --verify, a merge, and the admin endpoint's access rules.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as Y from 'yjs';
import { FORMAT_VERSION, SCRAWL_VERSION } from '../src/backup/archive-format.ts';
import { ArchiveWriter } from '../src/backup/archive-writer.ts';
import { backupToFile, writeBackup } from '../src/backup/backup.ts';
import { parseDuration, loadConfig } from '../src/config.ts';
import { LevelDbStore } from '../src/persistence/leveldb-store.ts';
import { TokenVerifier } from '../src/sync/auth.ts';
import { startLevelDbServer, tempDir } from './harness.ts';
import { fingerprintDataDir, loadDoc, runCli } from './backup-fixtures.ts';

const dirs: { remove: () => void }[] = [];
after(() => dirs.forEach((d) => d.remove()));
const dir = () => {
  const d = tempDir('scrawl-restore-');
  dirs.push(d);
  return d.path;
};

/** A LevelDB data directory with two rooms (one with a version), an asset and a catalog record. */
async function makeDataDir(path: string, text: string): Promise<void> {
  const store = new LevelDbStore({ directory: path });
  await store.open();
  for (const room of [`${text}-a`, `${text}-b`]) {
    const doc = new Y.Doc();
    doc.getText('t').insert(0, text);
    await store.append(room, Y.encodeStateAsUpdate(doc));
  }
  await store.compact(`${text}-a`);
  await store.append(`${text}-a`, Y.encodeStateAsUpdate(new Y.Doc()));
  await store.saveVersion(`${text}-b`, { id: '000000001-0000abcd', label: 'v', createdAt: new Date(0).toISOString(), bytes: 2, auto: false }, new Uint8Array([0, 0]));
  await store.sideTable('catalog').put(`${text}-a`, new TextEncoder().encode(JSON.stringify({ id: `${text}-a`, title: text, updatedAt: new Date().toISOString() })));
  await store.close();
  mkdirSync(join(path, 'assets', `${text}-a`), { recursive: true });
  writeFileSync(join(path, 'assets', `${text}-a`, `${'ab'.repeat(32)}.png`), randomBytes(1000));
}

let good: string;
let full: string;
before(async () => {
  const source = dir();
  await makeDataDir(source, 'source');
  good = join(dir(), 'good.tar');
  const store = new LevelDbStore({ directory: source });
  await store.open();
  await backupToFile(good, (output) => writeBackup(store, source, output));
  await store.close();
  full = dir();
  await makeDataDir(full, 'existing');
});

async function assertRefused(archive: string, message: RegExp): Promise<void> {
  const empty = join(dir(), 'never-created');
  for (const [target, args] of [[empty, [archive]], [full, [archive, '--merge']]] as const) {
    const before = await fingerprintDataDir(target);
    const result = await runCli('restore', [...args], { DATA_DIR: target }).done;
    assert.equal(result.code, 1, `exit code for ${archive}\n${result.stderr}`);
    assert.match(result.stderr, message);
    assert.match(result.stderr, /nothing was written/);
    assert.equal(await fingerprintDataDir(target), before, 'the target is untouched');
  }
  assert.equal(existsSync(empty), false);
}

test('a truncated archive is refused', async () => {
  const bytes = readFileSync(good);
  const half = join(dir(), 'half.tar');
  writeFileSync(half, bytes.subarray(0, Math.floor(bytes.length / 2) + 100));
  await assertRefused(half, /truncated|incomplete/);
  const noManifest = join(dir(), 'no-manifest.tar');
  // Cut at a block boundary before the manifest: a valid tar, but without its last entry.
  writeFileSync(noManifest, bytes.subarray(0, bytes.indexOf(Buffer.from('manifest.json')) - 0));
  await assertRefused(noManifest, /incomplete|truncated/);
});

test('a flipped byte is refused by its checksum', async () => {
  const bytes = Buffer.from(readFileSync(good));
  // Inside the asset's random bytes: the tar structure stays valid, only the content changes.
  const at = bytes.indexOf(Buffer.from(`${'ab'.repeat(32)}.png`)) + 512 + 300;
  bytes[at] ^= 0x01;
  const flipped = join(dir(), 'flipped.tar');
  writeFileSync(flipped, bytes);
  await assertRefused(flipped, /checksum mismatch in "assets\/source-a\//);
});

test('random bytes are refused', async () => {
  const random = join(dir(), 'random.tar');
  writeFileSync(random, randomBytes(64 * 1024));
  await assertRefused(random, /not a Scrawl backup|damaged/);
});

test('an archive of a newer format is refused', async () => {
  const newer = join(dir(), 'newer.tar');
  const writer = new ArchiveWriter(createWriteStream(newer), { format: FORMAT_VERSION + 1, scrawlVersion: '99.0.0', createdAt: new Date().toISOString(), store: 'leveldb' });
  await writer.start();
  await writer.finish();
  await assertRefused(newer, /format 2, written by Scrawl 99\.0\.0.*restore it with Scrawl 99\.0\.0 or later/);
});

test('a non-empty target is refused without --merge, and merged with it', async () => {
  const target = dir();
  await makeDataDir(target, 'other');
  const before = await fingerprintDataDir(target);
  const refused = await runCli('restore', [good], { DATA_DIR: target }).done;
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /is not empty \(it holds .*\): .*--merge/);
  assert.equal(await fingerprintDataDir(target), before);

  const merged = await runCli('restore', [good, '--merge'], { DATA_DIR: target }).done;
  assert.equal(merged.code, 0, merged.stderr);
  const store = new LevelDbStore({ directory: target });
  await store.open();
  try {
    assert.equal((await loadDoc(store, 'other-a')).getText('t').toString(), 'other');
    assert.equal((await loadDoc(store, 'source-a')).getText('t').toString(), 'source');
    assert.equal((await store.listVersions('source-b')).length, 1);
  } finally {
    await store.close();
  }
  // Merging the same archive again changes no document (Yjs updates apply once).
  const again = await runCli('restore', [good, '--merge'], { DATA_DIR: target }).done;
  assert.equal(again.code, 0, again.stderr);
  const reopened = new LevelDbStore({ directory: target });
  await reopened.open();
  assert.equal((await loadDoc(reopened, 'source-a')).getText('t').toString(), 'source');
  await reopened.close();
});

test('--verify checks an archive without a target; a restore into an empty DATA_DIR keeps the stored bytes', async () => {
  const verified = await runCli('restore', ['--verify', good], {}).done;
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, /complete, intact archive.*\n.*2 rooms \(1 snapshots, 2 log entries\), 1 versions, 1 assets, 1 catalog entries/);
  const target = join(dir(), 'fresh');
  const restored = await runCli('restore', [good], { DATA_DIR: target }).done;
  assert.equal(restored.code, 0, restored.stderr);
  const source = dir();
  await makeDataDir(source, 'source');
  // The same records under the same keys (log entries are numbered from 0 again; the documents differ by construction).
  const records = async (path: string) => {
    const store = new LevelDbStore({ directory: path });
    await store.open();
    const list: string[] = [];
    for await (const r of store.readConsistent()) if (!(r.kind === 'side' && r.table === 'catalog')) list.push(JSON.stringify({ ...r, value: Buffer.from(r.value).toString('hex') }));
    await store.close();
    return list;
  };
  const a = await records(target);
  assert.equal(a.length, 5);
  const keys = (list: string[]) => list.map((r) => { const { value: _value, seq: _seq, ...key } = JSON.parse(r); return key; });
  assert.deepEqual(keys(a), keys(await records(source)));
});

test('the admin endpoint: loopback only without AUTH_SECRET, an admin token with it', async () => {
  const data = dir();
  let srv = await startLevelDbServer(data, { assetDir: data });
  try {
    const direct = await fetch(`${srv.httpUrl}/api/admin/backup`);
    assert.equal(direct.status, 200);
    assert.equal(direct.headers.get('content-type'), 'application/x-tar');
    await direct.arrayBuffer();
    assert.equal((await fetch(`${srv.httpUrl}/api/admin/backup`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status, 403);
    assert.equal((await fetch(`${srv.httpUrl}/api/admin/backup`, { method: 'POST' })).status, 405);
  } finally {
    await srv.stop();
  }
  const secret = 'backup-test-secret-long-enough-for-hs256!';
  srv = await startLevelDbServer(data, { assetDir: data, authSecret: secret });
  try {
    const verifier = new TokenVerifier(secret);
    assert.equal((await fetch(`${srv.httpUrl}/api/admin/backup`)).status, 401);
    const roomToken = await verifier.mint({ room: 'x', mode: 'rw' });
    assert.equal((await fetch(`${srv.httpUrl}/api/admin/backup`, { headers: { authorization: `Bearer ${roomToken}` } })).status, 403);
    const readOnly = await verifier.mint({ room: '*', mode: 'ro' });
    assert.equal((await fetch(`${srv.httpUrl}/api/admin/backup`, { headers: { authorization: `Bearer ${readOnly}` } })).status, 403);
    const admin = await verifier.mint({ room: '*', mode: 'rw' });
    const ok = await fetch(`${srv.httpUrl}/api/admin/backup`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(ok.status, 200);
    await ok.arrayBuffer();
    // The CLI mints its own admin token from AUTH_SECRET.
    const out = join(dir(), 'auth.tar');
    const result = await runCli('backup', ['--out', out], { DATA_DIR: data, PORT: String(srv.port), AUTH_SECRET: secret }).done;
    assert.equal(result.code, 0, result.stderr);
  } finally {
    await srv.stop();
  }
});

test('BACKUP_* configuration: durations, defaults, and fail-fast naming the variable', () => {
  assert.equal(parseDuration('24h'), 86_400_000);
  assert.equal(parseDuration('30m'), 1_800_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1.5d'), 129_600_000);
  assert.equal(parseDuration('10'), null);
  assert.equal(parseDuration('5 weeks'), null);
  assert.equal(loadConfig({}).backup, null);
  assert.deepEqual(loadConfig({ BACKUP_DIR: '/b' }).backup, { dir: '/b', intervalMs: 86_400_000, keep: 14 });
  assert.deepEqual(loadConfig({ BACKUP_DIR: '/b', BACKUP_INTERVAL: '30m', BACKUP_KEEP: '3' }).backup, { dir: '/b', intervalMs: 1_800_000, keep: 3 });
  assert.throws(() => loadConfig({ BACKUP_DIR: '/b', BACKUP_INTERVAL: 'daily' }), /^ConfigError: BACKUP_INTERVAL: expected a duration/);
  assert.throws(() => loadConfig({ BACKUP_DIR: '/b', BACKUP_INTERVAL: '10s' }), /BACKUP_INTERVAL: must be at least 60 s/);
  assert.throws(() => loadConfig({ BACKUP_DIR: '/b', BACKUP_KEEP: '0' }), /BACKUP_KEEP: expected 1\.\./);
  assert.throws(() => loadConfig({ BACKUP_KEEP: '3' }), /BACKUP_KEEP: needs BACKUP_DIR/);
  assert.ok(SCRAWL_VERSION.length > 0);
});
