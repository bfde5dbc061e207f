/**
 * Deleting a board for good in sign-in mode also forgets its access record (BoardService's `onDeletedForever` hook, as
 * server.ts wires it), and leaves other boards' records alone. The identity provider is never reached: the API is
 * called with an admin token, which sign-in mode accepts beside sessions.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as Y from 'yjs';
import { peopleStoresFor } from '../src/people/stores-for.ts';
import { LevelDbStore } from '../src/persistence/leveldb-store.ts';
import { TokenVerifier } from '../src/sync/auth.ts';
import { startLevelDbServer, tempDir, waitFor } from './harness.ts';
import { api } from './boards-fixtures.ts';

const data = tempDir('scrawl-boards-access-');
after(() => data.remove());
const AUTH_SECRET = 'boards-access-test-secret-long-enough-for-hs256!';

/** The access stores of the LevelDB store in `data`, opened for `use` and closed after. */
async function withAccess<T>(use: (access: ReturnType<typeof peopleStoresFor>['access'], store: LevelDbStore) => Promise<T>): Promise<T> {
  const store = new LevelDbStore({ directory: data.path });
  await store.open();
  const { access } = peopleStoresFor(store);
  await access.open();
  try {
    return await use(access, store);
  } finally {
    await access.close();
    await store.close();
  }
}

test('deleting a board for good removes its access record in sign-in mode', async () => {
  await withAccess(async (access, store) => {
    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'doomed');
    await store.append('doomed', Y.encodeStateAsUpdate(doc));
    await access.claim('doomed', 'alice@example.com');
    await access.claim('kept', 'alice@example.com');
  });
  const srv = await startLevelDbServer(data.path, {
    authSecret: AUTH_SECRET,
    signIn: {
      // Nobody listens there; discovery retries in the background and is never needed.
      issuerUrl: 'http://127.0.0.1:9',
      clientId: 'scrawl',
      clientSecret: 'unused',
      scopes: 'openid email profile',
      sessionSecret: 'a-session-secret-that-is-long-enough-0123456789',
      publicUrl: 'http://127.0.0.1:9',
      adminEmails: [],
      allowHttpIssuer: true,
      discoveryRetryMs: 60_000,
    },
  });
  try {
    const token = await new TokenVerifier(AUTH_SECRET).mint({ room: '*', mode: 'rw' });
    // The catalog entry of a board stored without one is added in the background at start.
    await waitFor(async () => (await api(srv, '/api/boards/doomed', { token })).status === 200, 10_000);
    assert.equal((await api(srv, '/api/boards/doomed', { method: 'DELETE', token })).status, 200, 'to the trash');
    assert.equal((await api(srv, '/api/boards/doomed?forever=1', { method: 'DELETE', token })).status, 204);
  } finally {
    await srv.stop();
  }
  await withAccess(async (access) => {
    assert.equal(await access.get('doomed'), null, 'the access record went with the board');
    assert.equal((await access.get('kept'))?.owner, 'alice@example.com', "another board's record stays");
    assert.deepEqual(await access.roomsOf('alice@example.com'), ['kept']);
  });
});
