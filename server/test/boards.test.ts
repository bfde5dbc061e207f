/**
 * The boards catalog through the real server: edits on either endpoint reach the catalog and search, renames reach
 * everyone in the board, duplicates copy the document bytes, the trash closes and refuses a board, deleting for good
 * leaves nothing of it in the store, templates make boards, listing honours BOARD_LIST=off and tokens, and bad input
 * changes nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { after, test } from 'node:test';
import { Level } from 'level';
import * as Y from 'yjs';
import { LevelDbStore } from '../src/persistence/leveldb-store.ts';
import { TokenVerifier } from '../src/sync/auth.ts';
import { shippedTemplates } from '../src/workspace/templates.ts';
import { hocuspocusClient, openRawSocket, closed, startLevelDbServer, startServer, synced, tempDir, waitFor, yjsClient, type TestServer } from './harness.ts';
import { addLabel, api, boardDoc } from './boards-fixtures.ts';
import { derived } from './catalog-contract.ts';
import { catalogForStore } from '../src/workspace/catalog-for-store.ts';

const dirs: { remove: () => void }[] = [];
after(() => dirs.forEach((d) => d.remove()));

async function levelServer(options: Parameters<typeof startServer>[0] = {}): Promise<TestServer & { dir: string }> {
  const dir = tempDir('scrawl-boards-');
  dirs.push(dir);
  const srv = await startLevelDbServer(dir.path, { assetDir: dir.path, ...options });
  return Object.assign(srv, { dir: dir.path });
}

test('an edit through /sync is found by search within 5 s; a plain y-websocket edit gets its title, text and time', async () => {
  const srv = await levelServer();
  try {
    const web = hocuspocusClient(srv.wsUrl, 'web-board');
    await synced(web);
    web.awareness!.setLocalStateField('presence', { userName: 'Ada' });
    addLabel(web.document, 'shape:a', 'Quarterly roadmap with milestones', 0, 0);
    const editedAt = Date.now();
    const hit = await waitFor(async () => {
      const body = await (await api(srv, '/api/boards?q=milestone')).json();
      return body.boards.find((b: { id: string }) => b.id === 'web-board');
    }, 5_000);
    const delay = Date.now() - editedAt;
    assert.ok(delay < 5_000, `found after ${delay} ms`);
    assert.equal(hit.excerpt.slice(hit.highlights[0][0], hit.highlights[0][1]), 'milestones');
    assert.deepEqual(hit.lastEditors, ['Ada']);
    assert.equal(hit.shapeCount, 1);
    web.destroy();

    const before = new Date().toISOString();
    const plain = yjsClient(srv.wsUrl, 'plain-board');
    await synced(plain);
    plain.doc.transact(() => {
      plain.doc.getMap('meta').set('title', 'From a script');
      addLabel(plain.doc, 'shape:b', 'written without a browser', 10, 10);
    });
    const entry = await waitFor(async () => {
      const res = await api(srv, '/api/boards/plain-board');
      const body = res.status === 200 ? await res.json() : null;
      return body?.title === 'From a script' && body;
    }, 5_000);
    assert.equal(entry.excerpt, 'written without a browser');
    assert.ok(entry.updatedAt >= before.slice(0, 19), `${entry.updatedAt} is the time of the edit`);
    plain.destroy();
  } finally {
    await srv.stop();
  }
});

test('rename reaches everyone in the board; star; duplicate copies the document bytes under a new id', async () => {
  const srv = await levelServer();
  try {
    const a = hocuspocusClient(srv.wsUrl, 'named');
    const b = yjsClient(srv.wsUrl, 'named');
    await Promise.all([synced(a), synced(b)]);
    addLabel(a.document, 'shape:x', 'keep me', 0, 0);
    await waitFor(async () => (await api(srv, '/api/boards/named')).status === 200);

    const renamed = await (await api(srv, '/api/boards/named', { method: 'PATCH', body: { title: '  Launch plan ' } })).json();
    assert.equal(renamed.title, 'Launch plan');
    await waitFor(() => a.document.getMap('meta').get('title') === 'Launch plan' && b.doc.getMap('meta').get('title') === 'Launch plan');
    assert.equal((await (await api(srv, '/api/boards/named', { method: 'PATCH', body: { starred: true } })).json()).starred, true);

    const state = await (await api(srv, '/api/rooms/named/state')).arrayBuffer();
    const copy = await (await api(srv, '/api/boards/named/duplicate', { method: 'POST', body: {} })).json();
    assert.notEqual(copy.id, 'named');
    assert.equal(copy.title, 'Launch plan (copy)');
    assert.equal(copy.starred, false);
    const stored = await srv.server.store.load(copy.id);
    assert.deepEqual(Buffer.from(stored[0]), Buffer.from(state), 'the copy starts with the very bytes of the original');
    const original = boardDoc(new Uint8Array(state));
    const copied = boardDoc(new Uint8Array(await (await api(srv, `/api/rooms/${copy.id}/state`)).arrayBuffer()));
    assert.deepEqual(copied.getMap('records').toJSON(), original.getMap('records').toJSON());
    assert.equal(copied.getMap('meta').get('title'), 'Launch plan (copy)');
    a.destroy();
    b.destroy();
  } finally {
    await srv.stop();
  }
});

test('the trash closes a board with 4403, refuses connections and writes, and restore brings it back', async () => {
  const srv = await levelServer();
  try {
    const a = yjsClient(srv.wsUrl, 'binned');
    await synced(a);
    addLabel(a.doc, 'shape:x', 'soon in the bin', 0, 0);
    await waitFor(async () => (await api(srv, '/api/boards/binned')).status === 200);
    const raw = await openRawSocket(`${srv.wsUrl}/yjs/binned`);
    const rawClosed = closed(raw);
    await new Promise((r) => setTimeout(r, 100));

    const trashed = await (await api(srv, '/api/boards/binned', { method: 'DELETE' })).json();
    assert.ok(trashed.deletedAt);
    assert.deepEqual(await rawClosed, { code: 4403, reason: 'board is in the trash' });
    const again = await openRawSocket(`${srv.wsUrl}/yjs/binned`);
    assert.deepEqual(await closed(again), { code: 4403, reason: 'board is in the trash' });
    assert.equal((await api(srv, '/api/rooms/binned/versions', { method: 'POST', body: { label: 'x' } })).status, 403);
    const recent = await (await api(srv, '/api/boards')).json();
    assert.ok(!recent.boards.some((b: { id: string }) => b.id === 'binned'));
    const trash = await (await api(srv, '/api/boards?view=trash')).json();
    assert.deepEqual(trash.boards.map((b: { id: string }) => b.id), ['binned']);

    assert.equal((await (await api(srv, '/api/boards/binned/restore', { method: 'POST' })).json()).deletedAt, null);
    const back = yjsClient(srv.wsUrl, 'binned');
    await synced(back);
    assert.deepEqual([...back.doc.getMap('records').keys()], ['shape:x']);
    back.destroy();
    a.destroy();
  } finally {
    await srv.stop();
  }
});

test('deleting for good leaves only a tombstone in LevelDB, keeps assets a copy still uses, and refuses the id after', async () => {
  const srv = await levelServer();
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a1c00000000049454e44ae426082', 'hex');
  const upload = async (room: string, bytes: Buffer) =>
    (await (await api(srv, `/api/rooms/${room}/assets`, { method: 'POST', raw: bytes, type: 'image/png' })).json()).url as string;
  let copyId: string;
  try {
    const a = yjsClient(srv.wsUrl, 'doomed');
    await synced(a);
    const shared = await upload('doomed', png);
    const own = await upload('doomed', Buffer.concat([png, Buffer.from([0])]));
    a.doc.transact(() => {
      addLabel(a.doc, 'shape:x', 'secret plans', 0, 0);
      for (const [id, src] of [['asset:shared', shared], ['asset:own', own]]) {
        a.doc.getMap('records').set(id, new Y.Map<unknown>(Object.entries({ id, typeName: 'asset', props: { src } })));
      }
    });
    await waitFor(async () => (await (await api(srv, '/api/boards/doomed')).json()).shapeCount === 1);
    await api(srv, '/api/rooms/doomed/versions', { method: 'POST', body: { label: 'v' } });
    // A copy that refers to the shared asset only.
    const copy = yjsClient(srv.wsUrl, 'keeper');
    await synced(copy);
    copy.doc.getMap('records').set('asset:shared', new Y.Map<unknown>(Object.entries({ id: 'asset:shared', typeName: 'asset', props: { src: shared } })));
    await waitFor(async () => (await (await api(srv, '/api/boards/keeper')).json()).shapeCount === 0);
    copyId = 'keeper';
    copy.destroy();
    a.destroy();

    assert.equal((await api(srv, '/api/boards/doomed?forever=1', { method: 'DELETE' })).status, 409, 'only from the trash');
    await api(srv, '/api/boards/doomed', { method: 'DELETE' });
    assert.equal((await api(srv, '/api/boards/doomed?forever=1', { method: 'DELETE' })).status, 204);
    assert.equal((await api(srv, '/api/boards/doomed')).status, 404);
    assert.equal((await api(srv, '/api/rooms/doomed/state')).status, 410);
    const raw = await openRawSocket(`${srv.wsUrl}/yjs/doomed`);
    assert.deepEqual(await closed(raw), { code: 4403, reason: 'board was deleted' });
    assert.equal((await fetch(`${srv.httpUrl}${shared}`)).status, 200, 'an asset another board uses stays');
    assert.equal((await fetch(`${srv.httpUrl}${own}`)).status, 404, 'an asset only this board used is gone');
  } finally {
    await srv.stop();
  }
  const db = new Level<string, Uint8Array>(srv.dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
  const left: string[] = [];
  for await (const [key, value] of db.iterator()) {
    if (key.includes('doomed') || Buffer.from(value).includes('secret plans')) left.push(key);
  }
  await db.close();
  assert.deepEqual(left, ['!catalog-tombstones!doomed'], 'nothing of the board but its tombstone');
  assert.ok(copyId!);
});

test('shipped templates are listed, and /new?template= makes a board holding the template', async () => {
  const srv = await levelServer({ templates: shippedTemplates() });
  try {
    const templates = await waitFor(async () => {
      const body = await (await api(srv, '/api/boards?view=templates')).json();
      return body.boards.length >= 5 && body.boards;
    });
    const retro = templates.find((t: { id: string }) => t.id === 'template-retrospective');
    assert.ok(retro.title && retro.shapeCount > 3, JSON.stringify(retro));
    assert.ok(templates.every((t: { thumbnailUrl: string | null }) => t.thumbnailUrl), 'shipped templates come with their thumbnails');
    assert.equal((await (await api(srv, '/api/boards')).json()).boards.length, 0, 'templates are not boards');

    const res = await fetch(`${srv.httpUrl}/new?template=template-retrospective`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    const room = res.headers.get('location')!.replace('/b/', '');
    const board = await (await api(srv, `/api/boards/${room}`)).json();
    assert.deepEqual([board.title, board.shapeCount, board.template], [retro.title, retro.shapeCount, false]);
    assert.equal((await fetch(`${srv.httpUrl}${board.thumbnailUrl}`)).headers.get('content-type'), 'image/webp', 'a copy starts with the thumbnail');
    const client = yjsClient(srv.wsUrl, room);
    await synced(client);
    assert.equal([...client.doc.getMap('records').keys()].filter((id) => id.startsWith('shape:')).length, retro.shapeCount);
    client.destroy();
    assert.equal((await fetch(`${srv.httpUrl}/new?template=nope`, { redirect: 'manual' })).status, 404);

    const saved = await (await api(srv, `/api/boards/${room}/duplicate`, { method: 'POST', body: { title: 'Our retro', template: true } })).json();
    const listed = await (await api(srv, '/api/boards?view=templates')).json();
    assert.ok(listed.boards.some((t: { id: string; title: string }) => t.id === saved.id && t.title === 'Our retro'));
  } finally {
    await srv.stop();
  }
});

test('BOARD_LIST=off lists only named boards; a token for one room lists that room only', async () => {
  const secret = 'boards-test-secret-long-enough-for-hs256!';
  const tokens = new TokenVerifier(secret);
  const srv = await startServer({ boardList: false, authSecret: secret });
  try {
    const all = await tokens.mint({ room: '*', mode: 'rw' });
    for (const room of ['one', 'two']) {
      const client = hocuspocusClient(srv.wsUrl, room, new Y.Doc(), all);
      await synced(client);
      addLabel(client.document, 'shape:x', `board ${room}`, 0, 0);
      await waitFor(async () => (await api(srv, `/api/boards/${room}`, { token: all })).status === 200);
      client.destroy();
    }
    assert.equal((await api(srv, '/api/boards', { token: all })).status, 403);
    assert.equal((await api(srv, '/api/boards')).status, 401);
    const named = await (await api(srv, '/api/boards?ids=two,three', { token: all })).json();
    assert.deepEqual(named.boards.map((b: { id: string }) => b.id), ['two']);
    const oneToken = await tokens.mint({ room: 'one', mode: 'ro' });
    const scoped = await (await api(srv, '/api/boards?ids=one,two', { token: oneToken })).json();
    assert.deepEqual(scoped.boards.map((b: { id: string }) => b.id), ['one']);
    assert.equal((await api(srv, '/api/boards/two', { token: oneToken })).status, 403);
    assert.equal((await api(srv, '/api/boards/one', { method: 'PATCH', body: { starred: true }, token: oneToken })).status, 403, 'read-only');
  } finally {
    await srv.stop();
  }
});

test('bad input gets a clear status and changes nothing', async () => {
  const srv = await startServer();
  try {
    const client = hocuspocusClient(srv.wsUrl, 'steady');
    await synced(client);
    addLabel(client.document, 'shape:x', 'steady text', 0, 0);
    const before = await waitFor(async () => {
      const res = await api(srv, '/api/boards/steady');
      return res.status === 200 && (await res.json());
    });
    const statuses = [
      (await api(srv, '/api/boards/unknown-board')).status,
      (await api(srv, '/api/boards/bad%20id')).status,
      (await api(srv, '/api/boards/steady', { method: 'PATCH', body: { title: 'x'.repeat(201) } })).status,
      (await api(srv, '/api/boards/steady', { method: 'PATCH', body: { starred: 'yes' } })).status,
      (await api(srv, '/api/boards/steady', { method: 'PATCH', raw: Buffer.from('{not json'), type: 'application/json' })).status,
      (await api(srv, '/api/boards/steady/thumbnail', { method: 'PUT', raw: Buffer.from('GIF89a'), type: 'image/gif' })).status,
      (await api(srv, '/api/boards/steady/thumbnail', { method: 'PUT', raw: Buffer.from('not a png at all'), type: 'image/png' })).status,
      (await api(srv, '/api/boards/steady/thumbnail', { method: 'PUT', raw: Buffer.alloc(300 * 1024), type: 'image/webp' })).status,
      (await api(srv, '/api/boards?limit=0')).status,
      (await api(srv, '/api/boards?view=secret')).status,
      (await api(srv, '/api/boards?cursor=%7B%7D')).status,
      (await api(srv, '/api/boards/unknown-board/duplicate', { method: 'POST' })).status,
    ];
    assert.deepEqual(statuses, [404, 400, 400, 400, 400, 415, 415, 413, 400, 400, 400, 404]);
    assert.deepEqual(await (await api(srv, '/api/boards/steady')).json(), before);
    assert.equal(client.document.getMap('meta').get('title'), undefined);
    client.destroy();
  } finally {
    await srv.stop();
  }
});

test('thumbnails: uploaded by a writer, served by version, rate-limited per board', async () => {
  const srv = await startServer();
  try {
    const client = yjsClient(srv.wsUrl, 'pictured');
    await synced(client);
    addLabel(client.doc, 'shape:x', 'a picture', 0, 0);
    await waitFor(async () => (await api(srv, '/api/boards/pictured')).status === 200);
    const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.from([20, 0, 0, 0]), Buffer.from('WEBPVP8 '), Buffer.alloc(12)]);
    assert.equal((await api(srv, '/api/boards/pictured/thumbnail', { method: 'PUT', raw: webp, type: 'image/webp' })).status, 204);
    const { thumbnailUrl } = await (await api(srv, '/api/boards/pictured')).json();
    const image = await fetch(`${srv.httpUrl}${thumbnailUrl}`);
    assert.equal(image.headers.get('content-type'), 'image/webp');
    assert.deepEqual(Buffer.from(await image.arrayBuffer()), webp);
    assert.equal((await fetch(`${srv.httpUrl}/api/boards/pictured/thumbnail?v=guess`)).status, 404);
    assert.equal((await api(srv, '/api/boards/pictured/thumbnail', { method: 'PUT', raw: webp, type: 'image/webp' })).status, 429);
    client.destroy();
  } finally {
    await srv.stop();
  }
});

test('a DATA_DIR written before the catalog gets its catalog at the first start', async () => {
  const dir = tempDir('scrawl-legacy-');
  dirs.push(dir);
  // Today's write path without a server: what a DATA_DIR of the previous version holds (documents, logs, no catalog).
  const store = new LevelDbStore({ directory: dir.path });
  await store.open();
  for (const [room, text] of [['old-one', 'ancient wisdom'], ['old-two', 'forgotten sketches']]) {
    const doc = new Y.Doc();
    doc.on('update', (update: Uint8Array) => void store.append(room, update));
    doc.transact(() => {
      doc.getMap('meta').set('title', `Legacy ${room}`);
      addLabel(doc, 'shape:x', text, 0, 0);
    });
  }
  await store.compact('old-two');
  await store.close();

  const srv = await startLevelDbServer(dir.path);
  try {
    const listed = await waitFor(async () => {
      const body = await (await api(srv, '/api/boards')).json();
      return body.boards.length === 2 && body.boards;
    });
    assert.deepEqual(listed.map((b: { title: string }) => b.title).sort(), ['Legacy old-one', 'Legacy old-two']);
    const hits = await (await api(srv, '/api/boards?q=forgoten')).json();
    assert.deepEqual(hits.boards.map((b: { id: string }) => b.id), ['old-two']);
  } finally {
    await srv.stop();
  }
});

test('the trash empties itself after 30 days', async () => {
  const srv = await startServer();
  try {
    const client = yjsClient(srv.wsUrl, 'old-trash');
    await synced(client);
    addLabel(client.doc, 'shape:x', 'old', 0, 0);
    await waitFor(async () => (await api(srv, '/api/boards/old-trash')).status === 200);
    client.destroy();
    await api(srv, '/api/boards/old-trash', { method: 'DELETE' });
    await srv.server.boards!.sweepTrash(Date.now() + 29 * 24 * 3600 * 1000);
    assert.equal((await api(srv, '/api/boards/old-trash')).status, 200, 'kept for 30 days');
    await srv.server.boards!.sweepTrash(Date.now() + 31 * 24 * 3600 * 1000);
    assert.equal((await api(srv, '/api/boards/old-trash')).status, 404);
    assert.deepEqual(await srv.server.store.load('old-trash'), []);
  } finally {
    await srv.stop();
  }
});

test('npm run reindex derives every entry again from the documents and keeps stars', async () => {
  const srv = await levelServer();
  try {
    const client = yjsClient(srv.wsUrl, 'reindexed');
    await synced(client);
    client.doc.transact(() => {
      client.doc.getMap('meta').set('title', 'True title');
      addLabel(client.doc, 'shape:x', 'true text', 0, 0);
    });
    await waitFor(async () => (await api(srv, '/api/boards/reindexed')).status === 200);
    await api(srv, '/api/boards/reindexed', { method: 'PATCH', body: { starred: true } });
    client.destroy();
  } finally {
    await srv.stop();
  }
  // A stale entry, as a catalog from an older Scrawl (or a lost update) might hold.
  const stale = async () => {
    const store = new LevelDbStore({ directory: srv.dir });
    await store.open();
    const catalog = catalogForStore(store);
    await catalog.open();
    return { store, catalog };
  };
  const before = await stale();
  await before.catalog.record('reindexed', derived({ title: 'Stale title', searchText: 'stale text' }));
  await before.store.close();

  const run = spawnSync(process.execPath, [resolve(import.meta.dirname, '../src/bin/reindex.ts')], {
    env: { ...process.env, DATA_DIR: srv.dir, DATABASE_URL: '', REDIS_URL: '' },
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^scrawl reindex: 1 boards indexed in [\d.]+ s \(leveldb store\)/);
  const after = await stale();
  try {
    const entry = await after.catalog.get('reindexed');
    assert.deepEqual([entry?.title, entry?.searchText, entry?.starred], ['True title', 'true text', true]);
  } finally {
    await after.store.close();
  }
});
