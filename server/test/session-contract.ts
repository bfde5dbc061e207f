/**
 * The SessionStore contract: one suite, run against every implementation (memory, LevelDB, PostgreSQL). A store passes
 * when a session reads back until it expires and never after, logout deletes it, expired ones are swept, profiles are
 * kept per email (the last sign-in wins), and everything survives a reopen.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionStore, StoredSession } from '../src/people/session-store.ts';

/** How the suite gets stores: `create` a fresh, open one; `reopen` a new instance on the same data; `dispose` it. */
export interface SessionStoreFactory {
  create(): Promise<SessionStore>;
  reopen(previous: SessionStore): Promise<SessionStore>;
  dispose(store: SessionStore): Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1, 12);
const session = (email: string, ttlMinutes: number): StoredSession => ({
  email,
  name: email.split('@')[0],
  picture: null,
  idToken: 'header.payload.signature',
  createdAt: new Date(T0).toISOString(),
  expiresAt: new Date(T0 + ttlMinutes * 60_000).toISOString(),
});
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

/** Registers the contract tests for one implementation. */
export function runSessionContract(name: string, factory: SessionStoreFactory): void {
  const withStore = (title: string, body: (store: SessionStore) => Promise<SessionStore | void>) =>
    test(`${name} sessions: ${title}`, async () => {
      let store = await factory.create();
      try {
        store = (await body(store)) ?? store;
      } finally {
        await factory.dispose(store);
      }
    });

  withStore('a session reads back until it expires, and logout deletes it', async (store) => {
    assert.equal(await store.get('k1', at(0)), null);
    await store.create('k1', session('alice@example.com', 60));
    await store.create('k2', session('bob@example.com', 60));
    assert.deepEqual(await store.get('k1', at(59)), session('alice@example.com', 60));
    assert.equal(await store.get('k1', at(60)), null, 'expired at its expiry');
    await store.delete('k1');
    await store.delete('unknown');
    assert.equal(await store.get('k1', at(0)), null);
    assert.equal((await store.get('k2', at(0)))?.email, 'bob@example.com', 'other sessions stay');
  });

  withStore('expired sessions are swept', async (store) => {
    await store.create('short', session('alice@example.com', 5));
    await store.create('long', session('alice@example.com', 500));
    assert.equal(await store.deleteExpired(at(10)), 1);
    assert.equal(await store.get('short', at(0)), null);
    assert.ok(await store.get('long', at(10)));
  });

  withStore('profiles by email, the last sign-in wins; everything survives a reopen', async (store) => {
    await store.saveProfile('alice@example.com', { name: 'Alice', picture: null });
    await store.saveProfile('alice@example.com', { name: 'Alice A.', picture: 'https://idp.example/a.png' });
    await store.saveProfile('bob@example.com', { name: 'Bob', picture: null });
    await store.create('k1', session('alice@example.com', 60));
    const reopened = await factory.reopen(store);
    assert.deepEqual(await reopened.profiles(['alice@example.com', 'nobody@example.com', 'bob@example.com']), {
      'alice@example.com': { name: 'Alice A.', picture: 'https://idp.example/a.png' },
      'bob@example.com': { name: 'Bob', picture: null },
    });
    assert.equal((await reopened.get('k1', at(1)))?.email, 'alice@example.com');
    return reopened;
  });
}
