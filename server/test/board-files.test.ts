/**
 * Boards as .tldr files through the real server: a board with every shape kind, an uploaded image and two pages is
 * exported and imported into a new board whose records equal the original's; tldraw-style inline images become the
 * new board's assets; refused files get a 400 with the reason and store nothing; tokens are checked.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as Y from 'yjs';
import { TokenVerifier } from '../src/sync/auth.ts';
import { api, boardDoc } from './boards-fixtures.ts';
import { everyShapeRecords, PNG_1X1, SCHEMA, writeBoard } from './board-files-fixtures.ts';
import { startLevelDbServer, synced, tempDir, waitFor, yjsClient, type TestServer } from './harness.ts';

const dirs: { remove: () => void }[] = [];
after(() => dirs.forEach((d) => d.remove()));

async function levelServer(options: Parameters<typeof startLevelDbServer>[1] = {}): Promise<TestServer> {
  const dir = tempDir('scrawl-board-files-');
  dirs.push(dir);
  return startLevelDbServer(dir.path, { assetDir: dir.path, ...options });
}

/** Posts `body` to the import route as a browser's drop does. */
function importFile(srv: TestServer, body: string | Buffer, init: { name?: string; token?: string; type?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': init.type ?? 'application/vnd.tldraw+json' };
  if (init.name) headers['x-file-name'] = encodeURIComponent(init.name);
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  return fetch(`${srv.httpUrl}/api/boards/import`, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) });
}

/** A room's records as plain JSON, keyed by id, read through the API. */
async function recordsOf(srv: TestServer, room: string): Promise<{ records: Record<string, any>; meta: Record<string, unknown>; doc: Y.Doc }> {
  const doc = boardDoc(new Uint8Array(await (await api(srv, `/api/rooms/${room}/state`)).arrayBuffer()));
  return { records: doc.getMap('records').toJSON(), meta: doc.getMap('meta').toJSON(), doc };
}

async function writeEveryShapeBoard(srv: TestServer, room: string, title: string): Promise<string> {
  const upload = await api(srv, `/api/rooms/${room}/assets`, { method: 'POST', raw: PNG_1X1, type: 'image/png' });
  assert.equal(upload.status, 201);
  const { url } = await upload.json();
  const client = yjsClient(srv.wsUrl, room);
  await synced(client);
  writeBoard(client.doc, everyShapeRecords(url), title);
  // Stored once the server's copy holds every record.
  await waitFor(async () => Object.keys((await recordsOf(srv, room)).records).length === everyShapeRecords(url).length);
  client.destroy();
  return url;
}

test('export -> import: a board with every shape kind, an image and 2 pages comes back with equal records', async () => {
  const srv = await levelServer();
  try {
    const assetSrc = await writeEveryShapeBoard(srv, 'every-shape', 'Sprint review: “Q3”');
    const original = await recordsOf(srv, 'every-shape');

    const exported = await api(srv, '/api/rooms/every-shape/export?format=tldr');
    assert.equal(exported.status, 200);
    assert.equal(exported.headers.get('content-type'), 'application/vnd.tldraw+json');
    const disposition = exported.headers.get('content-disposition')!;
    assert.match(disposition, /^attachment; filename="Sprint review_ _Q3_.tldr"; filename\*=UTF-8''/);
    const fileName = decodeURIComponent(disposition.split("UTF-8''")[1]);
    assert.equal(fileName, 'Sprint review_ “Q3”.tldr', 'the exact title, with only path-unsafe characters replaced');
    const text = Buffer.from(await exported.arrayBuffer()).toString('utf8');
    const file = JSON.parse(text);
    // tldraw's serializeTldrawJson shape: these three keys, in this order.
    assert.deepEqual(Object.keys(file), ['tldrawFileFormatVersion', 'schema', 'records']);
    assert.equal(file.tldrawFileFormatVersion, 1);
    assert.deepEqual(file.schema, SCHEMA);
    const exportedAsset = file.records.find((r: { id: string }) => r.id === 'asset:picture');
    assert.equal(exportedAsset.props.src, `data:image/png;base64,${PNG_1X1.toString('base64')}`, 'the image travels inline, as tldraw writes it');

    const imported = await importFile(srv, text, { name: 'Sprint review: “Q3”.tldr' });
    assert.equal(imported.status, 201);
    const summary = (await imported.json()) as { id: string; title: string; shapeCount: number };
    assert.notEqual(summary.id, 'every-shape');
    assert.equal(summary.title, 'Sprint review: “Q3”', 'the file name titles a file whose document has no name');
    assert.equal(summary.shapeCount, 10);

    const copy = await recordsOf(srv, summary.id);
    const newSrc = `/api/rooms/${summary.id}/assets/${assetSrc.split('/').at(-1)}`;
    // Equal, ids kept; the one documented difference: the image is the new board's own copy of the same bytes.
    const expected = structuredClone(original.records);
    expected['asset:picture'].props.src = newSrc;
    assert.deepEqual(copy.records, expected);
    assert.deepEqual(copy.meta.schema, original.meta.schema);
    const image = await api(srv, newSrc);
    assert.equal(image.status, 200);
    assert.deepEqual(Buffer.from(await image.arrayBuffer()), PNG_1X1);
    // The web app's layout: props nested, stroke paths as Y.Text (so a stroke edited later sends only its tail).
    const draw = copy.doc.getMap<Y.Map<any>>('records').get('shape:draw')!;
    assert.ok(draw.get('props') instanceof Y.Map);
    assert.ok(draw.get('props').get('segments').get(0).get('path') instanceof Y.Text);

    // The new board is listed and searchable like any other.
    const listed = await (await api(srv, '/api/boards?q=meeting')).json();
    assert.ok(listed.boards.some((b: { id: string }) => b.id === summary.id));
  } finally {
    await srv.stop();
  }
});

test('import: a document name titles the board; inline images of types boards hold are stored, others stay inline', async () => {
  const srv = await levelServer();
  try {
    const records = everyShapeRecords(`data:image/png;base64,${PNG_1X1.toString('base64')}`);
    (records[0] as { name: string }).name = '  Kanban\n board ';
    const bmp = { ...records.at(-1)!, id: 'asset:bmp', props: { ...(records.at(-1) as any).props, src: 'data:image/bmp;base64,Qk0=' } };
    // Session records, as tldraw's own "Save a copy" writes them, are dropped.
    const session = { id: 'instance:instance', typeName: 'instance', currentPageId: 'page:page' };
    const body = JSON.stringify({ tldrawFileFormatVersion: 1, schema: SCHEMA, records: [...records, bmp, session] });
    const res = await importFile(srv, body, { name: 'ignored.tldr', type: 'application/json' });
    assert.equal(res.status, 201);
    const { id, title } = (await res.json()) as { id: string; title: string };
    assert.equal(title, 'Kanban board');
    const copy = await recordsOf(srv, id);
    assert.match(copy.records['asset:picture'].props.src, new RegExp(`^/api/rooms/${id}/assets/[0-9a-f]{64}\\.png$`));
    assert.equal(copy.records['asset:bmp'].props.src, 'data:image/bmp;base64,Qk0=');
    assert.equal(copy.records['instance:instance'], undefined);
  } finally {
    await srv.stop();
  }
});

test('refused files: 400 with the reason, 415 for other types, nothing stored', async () => {
  const srv = await levelServer();
  try {
    const before = (await (await api(srv, '/api/boards')).json()).boards.length;
    const cases: Array<[string, string | Buffer, number, RegExp]> = [
      ['not JSON', '{"tldrawFileFormatVersion":', 400, /not valid JSON/],
      ['newer format', JSON.stringify({ tldrawFileFormatVersion: 2, schema: SCHEMA, records: [] }), 400, /newer than this server reads/],
      ['a comment record', JSON.stringify({ tldrawFileFormatVersion: 1, schema: SCHEMA, records: [{ id: 'comment:x', typeName: 'comment' }] }), 400, /which a board cannot hold/],
      ['an excalidraw scene', JSON.stringify({ type: 'excalidraw', version: 2, elements: [] }), 400, /Excalidraw file: drop it on the boards page/],
      ['empty', '', 400, /empty body/],
    ];
    for (const [what, body, status, message] of cases) {
      const res = await importFile(srv, body);
      assert.equal(res.status, status, what);
      assert.match(((await res.json()) as { error: string }).error, message, what);
    }
    const wrongType = await importFile(srv, '{}', { type: 'text/plain' });
    assert.equal(wrongType.status, 415);
    const huge = await fetch(`${srv.httpUrl}/api/boards/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(65 * 1024 * 1024) },
      body: '{}',
      duplex: 'half',
    } as RequestInit).catch(() => null);
    // Refused before reading (413), or the connection is cut while the body is still announced: either way, no board.
    if (huge) assert.equal(huge.status, 413);
    assert.equal((await (await api(srv, '/api/boards')).json()).boards.length, before);
    assert.equal((await api(srv, '/api/rooms/every-shape/export?format=pdf')).status, 400);
  } finally {
    await srv.stop();
  }
});

test('tokens: export needs read access to the room, import a read-write token for every room', async () => {
  const secret = 'board-files-secret-that-is-long-enough';
  const tokens = new TokenVerifier(secret);
  const srv = await levelServer({ authSecret: secret });
  try {
    const all = await tokens.mint({ room: '*', mode: 'rw' });
    const roomReader = await tokens.mint({ room: 'mine', mode: 'ro' });
    const roomWriter = await tokens.mint({ room: 'mine', mode: 'rw' });
    const body = JSON.stringify({ tldrawFileFormatVersion: 1, schema: SCHEMA, records: everyShapeRecords('') });
    assert.equal((await api(srv, '/api/rooms/mine/export?format=tldr')).status, 401);
    assert.equal((await api(srv, '/api/rooms/other/export?format=tldr', { token: roomReader })).status, 403);
    assert.equal((await api(srv, '/api/rooms/mine/export?format=tldr', { token: roomReader })).status, 200);
    assert.equal((await importFile(srv, body)).status, 401);
    assert.equal((await importFile(srv, body, { token: roomWriter })).status, 403);
    assert.equal((await importFile(srv, body, { token: all })).status, 201);
  } finally {
    await srv.stop();
  }
});
