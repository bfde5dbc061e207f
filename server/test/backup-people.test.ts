/**
 * Backups carry sign-in mode's access records and profiles, never its sessions: records written through the stores'
 * own APIs (AccessStore, SessionStore) on one store kind are backed up, restored into the other kind and read back
 * through that kind's API. Also `--merge` (the target's records win; missing ones are added) and an archive from
 * before these entries existed. PostgreSQL parts need TEST_DATABASE_URL (`source scripts/services.sh &&
 * ensure_postgres`); they skip with a message otherwise, in schemas of their own, dropped after.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, test } from 'node:test';
import pg from 'pg';
import tar from 'tar-stream';
import * as Y from 'yjs';
import { FORMAT_VERSION, HEADER_ENTRY, MANIFEST_ENTRY, type Manifest, encodeJson } from '../src/backup/archive-format.ts';
import { verifyArchive } from '../src/backup/archive-reader.ts';
import { backupToFile, writeBackup } from '../src/backup/backup.ts';
import { LevelDbRestoreTarget } from '../src/backup/leveldb-target.ts';
import { PostgresRestoreTarget } from '../src/backup/postgres-target.ts';
import { describeManifest, restoreArchive } from '../src/backup/restore.ts';
import { withLink, withLinkVisitor, withMember } from '../src/people/access-record.ts';
import { peopleStoresFor } from '../src/people/stores-for.ts';
import { LevelDbStore } from '../src/persistence/leveldb-store.ts';
import { PostgresStore } from '../src/persistence/postgres-store.ts';
import { loadDoc } from './backup-fixtures.ts';
import { tempDir } from './harness.ts';

const databaseUrl = process.env.TEST_DATABASE_URL;
const skipPostgres = databaseUrl ? false : 'PostgreSQL part not configured: set TEST_DATABASE_URL (source scripts/services.sh && ensure_postgres)';
const dirs: { remove: () => void }[] = [];
const schemas: string[] = [];
const run = `scrawl_bp${process.pid}_${randomBytes(3).toString('hex')}`;
after(async () => {
  dirs.forEach((d) => d.remove());
  if (!databaseUrl || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});
const dir = () => {
  const d = tempDir('scrawl-backup-people-');
  dirs.push(d);
  return d.path;
};
const levelStore = () => new LevelDbStore({ directory: dir() });
const postgresStore = () => {
  const schema = `${run}_${schemas.length}`;
  schemas.push(schema);
  return new PostgresStore({ connectionString: databaseUrl!, schema });
};
type Store = LevelDbStore | PostgresStore;

const [ALICE, BOB, CAROL, DAVE] = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com'];
const SESSION_KEY = createHash('sha256').update('a session id').digest('hex');
const LINK = { id: 'bGluay1pZC1mb3ItdGVzdHM', access: 'view' as const, createdBy: ALICE, createdAt: new Date(0).toISOString() };

/** Two boards' access records, two profiles and a session, through the stores' own APIs; a document beside them. */
async function writePeople(store: Store): Promise<void> {
  const { access, sessions } = peopleStoresFor(store);
  await access.open();
  await sessions.open();
  await access.claim('board-a', ALICE);
  await access.update('board-a', (a) => withLinkVisitor(withLink(withMember(a, BOB, 'editor'), LINK), LINK.id, CAROL));
  await access.claim('board-b', BOB);
  await sessions.saveProfile(ALICE, { name: 'Alice Archer', picture: 'https://example.com/alice.png' });
  await sessions.saveProfile(BOB, { name: 'Bob Baker', picture: null });
  const now = Date.now();
  await sessions.create(SESSION_KEY, { email: ALICE, name: 'Alice Archer', picture: null, idToken: null, createdAt: new Date(now).toISOString(), expiresAt: new Date(now + 3600_000).toISOString() });
  const doc = new Y.Doc();
  doc.getText('t').insert(0, 'board a');
  await store.append('board-a', Y.encodeStateAsUpdate(doc));
  await access.close();
  await sessions.close();
}

/** What the stores' APIs say about the people of {@link writePeople}. */
async function readPeople(store: Store) {
  const { access, sessions } = peopleStoresFor(store);
  await access.open();
  await sessions.open();
  try {
    return {
      boardA: await access.get('board-a'),
      boardB: await access.get('board-b'),
      // roomsOf answers from the derived index (the LevelDB store's in-memory one, PostgreSQL's `people` column).
      rooms: Object.fromEntries(await Promise.all([ALICE, BOB, CAROL, DAVE].map(async (email) => [email, await access.roomsOf(email)]))),
      profiles: await sessions.profiles([ALICE, BOB, CAROL, DAVE]),
      session: await sessions.get(SESSION_KEY),
    };
  } finally {
    await access.close();
    await sessions.close();
  }
}

/** Backs `store` (open) up into a new archive. */
async function backUp(store: Store): Promise<string> {
  const path = join(dir(), 'people.tar');
  await backupToFile(path, (output) => writeBackup(store, null, output));
  return path;
}

/** Restores `archive` into `store` (open) through the restore target of its kind. */
async function restoreInto(store: Store, archive: string, merge: boolean): Promise<Manifest> {
  const target = store instanceof LevelDbStore ? new LevelDbRestoreTarget(store, 'test', merge) : new PostgresRestoreTarget(store.sharedDatabase, 'test', merge);
  return restoreArchive({ archive, target, dataDir: dir(), merge });
}

async function roundTrip(from: Store, to: Store): Promise<void> {
  await from.open();
  await to.open();
  try {
    await writePeople(from);
    const written = await readPeople(from);
    assert.equal(written.session?.email, ALICE, 'the source has a session');
    const archive = await backUp(from);
    const manifest = await verifyArchive(archive);
    assert.equal(manifest.counts.accessRecords, 2);
    assert.equal(manifest.counts.profiles, 2);
    assert.deepEqual(manifest.entries.map((e) => e.name).filter((name) => name.startsWith('people/')).sort(), [
      'people/access/board-a.json',
      'people/access/board-b.json',
      `people/profiles/${ALICE}.json`,
      `people/profiles/${BOB}.json`,
    ]);
    assert.ok(!manifest.entries.some((e) => /session/.test(e.name)), 'no session is archived');
    assert.match(describeManifest(manifest), /2 access records, 2 profiles/);

    await restoreInto(to, archive, false);
    const restored = await readPeople(to);
    assert.equal(restored.session, null, 'sessions are not restored: everyone signs in again');
    assert.deepEqual({ ...restored, session: null }, { ...written, session: null });
    assert.deepEqual(restored.rooms, { [ALICE]: ['board-a'], [BOB]: ['board-a', 'board-b'], [CAROL]: ['board-a'], [DAVE]: [] });
    assert.equal((await loadDoc(to, 'board-a')).getText('t').toString(), 'board a');

    // --merge into a target with its own record of board-a and its own profile of Alice: those stay, the rest is added.
    const merged = (to instanceof LevelDbStore ? levelStore : postgresStore)();
    await merged.open();
    try {
      const { access, sessions } = peopleStoresFor(merged);
      await access.open();
      await sessions.open();
      await access.claim('board-a', DAVE);
      await sessions.saveProfile(ALICE, { name: 'Alice (target)', picture: null });
      await access.close();
      await sessions.close();
      await restoreInto(merged, archive, true);
      const after = await readPeople(merged);
      assert.equal(after.boardA?.owner, DAVE, "the target's access record of a board it has wins");
      assert.deepEqual(after.boardA?.members, { [DAVE]: 'owner' });
      assert.deepEqual(after.boardB, written.boardB, 'a missing record is added');
      assert.deepEqual(after.rooms, { [ALICE]: [], [BOB]: ['board-b'], [CAROL]: [], [DAVE]: ['board-a'] });
      assert.deepEqual(after.profiles, { [ALICE]: { name: 'Alice (target)', picture: null }, [BOB]: written.profiles[BOB] });
      // Merging again changes nothing more.
      await restoreInto(merged, archive, true);
      assert.deepEqual(await readPeople(merged), after);
    } finally {
      await merged.close();
    }
  } finally {
    await from.close();
    await to.close();
  }
}

test('LevelDB -> PostgreSQL: access records and profiles come back through the PostgreSQL stores, sessions do not', { skip: skipPostgres }, async () => {
  await roundTrip(levelStore(), postgresStore());
});

test('PostgreSQL -> LevelDB: access records and profiles come back through the LevelDB stores, sessions do not', { skip: skipPostgres }, async () => {
  await roundTrip(postgresStore(), levelStore());
});

test('LevelDB -> LevelDB: the same without PostgreSQL', async () => {
  await roundTrip(levelStore(), levelStore());
});

/** An archive as Scrawl wrote it before access records were carried: no `people/` entries, no such counts. */
async function oldArchive(): Promise<string> {
  const path = join(dir(), 'old.tar');
  const pack = tar.pack();
  const writing = pipeline(pack, createWriteStream(path));
  const doc = new Y.Doc();
  doc.getText('t').insert(0, 'old board');
  const snapshot = Y.encodeStateAsUpdate(doc);
  const header = { format: 1, scrawlVersion: '0.1.0', createdAt: new Date(0).toISOString(), store: 'leveldb' };
  const counts = { rooms: 1, snapshots: 1, logEntries: 0, versions: 0, assets: 0, catalogEntries: 0, thumbnails: 0, tombstones: 0 };
  const entries = [{ name: 'rooms/old-board/snapshot', size: snapshot.byteLength, sha256: createHash('sha256').update(snapshot).digest('hex') }];
  pack.entry({ name: HEADER_ENTRY }, Buffer.from(encodeJson(header)));
  pack.entry({ name: entries[0].name }, Buffer.from(snapshot));
  pack.entry({ name: MANIFEST_ENTRY }, Buffer.from(encodeJson({ ...header, counts, bytes: snapshot.byteLength, entries })));
  pack.finalize();
  await writing;
  return path;
}

async function restoresOld(store: Store): Promise<void> {
  const archive = await oldArchive();
  assert.equal(FORMAT_VERSION, 1, 'archives with people entries keep format 1: older readers refuse unknown entries by name');
  await store.open();
  try {
    const manifest = await restoreInto(store, archive, false);
    assert.match(describeManifest(manifest), /0 access records, 0 profiles/);
    assert.equal((await loadDoc(store, 'old-board')).getText('t').toString(), 'old board');
    const people = peopleStoresFor(store);
    await people.access.open();
    assert.equal(await people.access.get('old-board'), null);
    await people.access.close();
  } finally {
    await store.close();
  }
}

test('an archive from before access records were carried still restores into LevelDB', async () => {
  await restoresOld(levelStore());
});

test('an archive from before access records were carried still restores into PostgreSQL', { skip: skipPostgres }, async () => {
  await restoresOld(postgresStore());
});
