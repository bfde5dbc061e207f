import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as Y from 'yjs';
import { TokenVerifier } from '../src/sync/auth.ts';
import type { CommentThreadJson } from '../src/http/comments-api.ts';
import { hocuspocusClient, startLevelDbServer, synced, tempDir, waitFor, yjsClient, type TestServer } from './harness.ts';

/**
 * `GET /api/rooms/:room/comments` reads what real clients wrote: a Hocuspocus client (as the web app) starts a thread,
 * a y-websocket client replies, the first resolves it; the API answers with the thread from the live document, with
 * the room's read access, and again from the store after a restart with nobody connected. Comments are written in
 * the layout of docs/document-schema.md ("Comments"), as any Yjs client would.
 */

const SECRET = 'comments-test-secret-long-enough-for-hs256';
const tokens = new TokenVerifier(SECRET);
const ROOM = 'commented';
const dir = tempDir();
let srv: TestServer;
let rw: string;
let ro: string;
before(async () => {
  srv = await startLevelDbServer(dir.path, { authSecret: SECRET });
  rw = await tokens.mint({ room: ROOM, mode: 'rw' });
  ro = await tokens.mint({ room: ROOM, mode: 'ro' });
});
after(async () => {
  await srv.stop();
  dir.remove();
});

const comments = (token: string | null, room = ROOM) =>
  fetch(`${srv.httpUrl}/api/rooms/${room}/comments`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

function message(id: string, author: { id: string; name: string }, text: string, createdAt: number): Y.Map<unknown> {
  return new Y.Map<unknown>(Object.entries({ id, authorId: author.id, authorName: author.name, text, createdAt, editedAt: null, deleted: false }));
}

const ann = { id: 'ann@example.com', name: 'Ann' };
const bob = { id: 'user:bob', name: 'Bob' };

test('threads written over both WebSocket protocols are readable by the API, live and after a restart', async () => {
  const a = hocuspocusClient(srv.wsUrl, ROOM, new Y.Doc(), rw);
  const b = yjsClient(srv.wsUrl, ROOM, new Y.Doc(), { token: rw });
  await Promise.all([synced(a), synced(b)]);
  try {
    const thread = new Y.Map<unknown>();
    a.document.transact(() => {
      for (const [key, value] of Object.entries({
        id: 't1',
        pageId: 'page:page',
        anchor: { type: 'shape', shapeId: 'shape:box', x: 0.5, y: 0.25, pageX: 150, pageY: 125 },
        createdAt: 1000,
        updatedAt: 1000,
        createdBy: ann,
        resolved: null,
      })) {
        thread.set(key, value);
      }
      const messages = new Y.Array<Y.Map<unknown>>();
      messages.push([message('m1', ann, 'Is this blue final?', 1000)]);
      thread.set('messages', messages);
      a.document.getMap('comments').set('t1', thread);
      // Junk from some other writer is left out, not fatal.
      a.document.getMap('comments').set('junk', 'not a thread');
    });
    await waitFor(() => b.doc.getMap('comments').has('t1'));
    const bThread = b.doc.getMap('comments').get('t1') as Y.Map<unknown>;
    b.doc.transact(() => {
      (bThread.get('messages') as Y.Array<Y.Map<unknown>>).push([message('m2', bob, 'Yes', 2000)]);
      bThread.set('updatedAt', 2000);
    });
    await waitFor(() => (thread.get('messages') as Y.Array<unknown>).length === 2);
    thread.set('resolved', { at: 3000, by: ann });
    await waitFor(() => a.unsyncedChanges === 0 && bThread.get('resolved') !== null);

    assert.equal((await comments(null)).status, 401, 'no token');
    assert.equal((await comments(await tokens.mint({ room: 'elsewhere', mode: 'rw' }))).status, 403, "another room's token");
    const live = await comments(ro);
    assert.equal(live.status, 200, 'a read-only token reads comments');
    const { threads } = (await live.json()) as { threads: CommentThreadJson[] };
    assert.equal(threads.length, 1);
    assert.deepEqual(threads[0], {
      id: 't1',
      pageId: 'page:page',
      anchor: { type: 'shape', shapeId: 'shape:box', x: 0.5, y: 0.25, pageX: 150, pageY: 125 },
      createdAt: 1000,
      updatedAt: 2000,
      createdBy: ann,
      resolved: { at: 3000, by: ann },
      messages: [
        { id: 'm1', authorId: ann.id, authorName: 'Ann', text: 'Is this blue final?', createdAt: 1000, editedAt: null, deleted: false },
        { id: 'm2', authorId: bob.id, authorName: 'Bob', text: 'Yes', createdAt: 2000, editedAt: null, deleted: false },
      ],
    });

    // A thread whose every message was deleted is not listed; a deleted message reads as deleted, without its text.
    a.document.transact(() => {
      const second = new Y.Map<unknown>(Object.entries({ id: 't2', pageId: 'page:page', anchor: { type: 'point', x: 1, y: 2 }, createdAt: 4000, createdBy: bob, resolved: null }));
      const messages = new Y.Array<Y.Map<unknown>>();
      const gone = message('m3', bob, 'oops', 4000);
      gone.set('deleted', true);
      messages.push([gone]);
      second.set('messages', messages);
      a.document.getMap('comments').set('t2', second);
      const first = (thread.get('messages') as Y.Array<Y.Map<unknown>>).get(1);
      first.set('deleted', true);
    });
    await waitFor(() => a.unsyncedChanges === 0);
    const remaining = ((await (await comments(ro)).json()) as { threads: CommentThreadJson[] }).threads;
    assert.deepEqual(remaining.map((t) => t.id), ['t1']);
    assert.deepEqual(remaining[0].messages[1], { id: 'm2', authorId: bob.id, authorName: 'Bob', text: '', createdAt: 2000, editedAt: null, deleted: true });
  } finally {
    a.destroy();
    b.destroy();
  }

  // Restart on the same directory: nobody connected, the API loads the document from the store.
  const port = srv.port;
  await srv.stop();
  srv = await startLevelDbServer(dir.path, { authSecret: SECRET }, port);
  const stored = ((await (await comments(ro)).json()) as { threads: CommentThreadJson[] }).threads;
  assert.deepEqual(stored.map((t) => [t.id, t.resolved?.by.name, t.messages.length]), [['t1', 'Ann', 2]]);

  // A room without comments answers an empty list.
  const empty = await comments(await tokens.mint({ room: 'quiet', mode: 'ro' }), 'quiet');
  assert.deepEqual(await empty.json(), { threads: [] });
});
