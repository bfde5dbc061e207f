/**
 * The AccessStore contract: one suite, run against every implementation (memory, LevelDB, PostgreSQL). A store passes
 * when the first claim of a board wins, records read back as changed (also after reopening), the rules of
 * access-record.ts hold through `update` (an owner stays, revoking a link ends the access it gave), concurrent changes
 * of one board are all kept, and each person's boards are found.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AccessRuleError,
  effectiveRole,
  roleOf,
  withLink,
  withLinkVisitor,
  withMember,
  withOwner,
  withoutLink,
  withoutMember,
} from '../src/people/access-record.ts';
import type { AccessStore } from '../src/people/access-store.ts';

/** How the suite gets stores: `create` a fresh, open one; `reopen` a new instance on the same data; `dispose` it. */
export interface AccessStoreFactory {
  create(): Promise<AccessStore>;
  reopen(previous: AccessStore): Promise<AccessStore>;
  dispose(store: AccessStore): Promise<void>;
}

const link = (id: string, access: 'view' | 'edit') => ({ id, access, createdBy: 'alice@example.com', createdAt: new Date(0).toISOString() });
const person = (email: string, admin = false) => ({ email, name: email, picture: null, admin });

/** Registers the contract tests for one implementation. */
export function runAccessContract(name: string, factory: AccessStoreFactory): void {
  const withStore = (title: string, body: (store: AccessStore) => Promise<AccessStore | void>) =>
    test(`${name} access: ${title}`, async () => {
      let store = await factory.create();
      try {
        store = (await body(store)) ?? store;
      } finally {
        await factory.dispose(store);
      }
    });

  withStore('the first claim makes the owner; later claims read the record', async (store) => {
    assert.equal(await store.get('b1'), null);
    const claims = await Promise.all(['alice@example.com', 'bob@example.com', 'carol@example.com'].map((email) => store.claim('b1', email)));
    const owner = claims[0].owner;
    for (const claim of claims) assert.equal(claim.owner, owner, 'every claimer sees the one winner');
    assert.deepEqual(await store.get('b1'), claims[0]);
    assert.deepEqual((await store.get('b1'))!.members, { [owner]: 'owner' });
    assert.deepEqual(await store.roomsOf(owner), ['b1']);
  });

  withStore('members, roles and removal; the owner stays owner', async (store) => {
    await store.claim('b1', 'alice@example.com');
    assert.equal(await store.update('nope', (a) => a), null);
    await store.update('b1', (a) => withMember(a, 'bob@example.com', 'viewer'));
    const changed = await store.update('b1', (a) => withMember(a, 'bob@example.com', 'editor'));
    assert.equal(changed!.before.members['bob@example.com'], 'viewer');
    assert.equal(changed!.after.members['bob@example.com'], 'editor');
    assert.equal(roleOf((await store.get('b1'))!, 'bob@example.com'), 'editor');
    await assert.rejects(store.update('b1', (a) => withMember(a, 'alice@example.com', 'viewer')), AccessRuleError);
    await assert.rejects(store.update('b1', (a) => withoutMember(a, 'alice@example.com')), AccessRuleError);
    assert.equal(roleOf((await store.get('b1'))!, 'alice@example.com'), 'owner', 'a refused change changes nothing');
    assert.deepEqual(await store.roomsOf('bob@example.com'), ['b1']);
    await store.update('b1', (a) => withoutMember(a, 'bob@example.com'));
    assert.equal(roleOf((await store.get('b1'))!, 'bob@example.com'), null);
    assert.deepEqual(await store.roomsOf('bob@example.com'), []);
  });

  withStore('an invitation before first sign-in is a member by email', async (store) => {
    await store.claim('b1', 'alice@example.com');
    await store.update('b1', (a) => withMember(a, 'dana@example.com', 'editor'));
    assert.equal(effectiveRole(await store.get('b1'), person('dana@example.com')), 'editor');
    assert.deepEqual(await store.roomsOf('dana@example.com'), ['b1']);
  });

  withStore('ownership transfer: the new owner owns, the old one edits', async (store) => {
    await store.claim('b1', 'alice@example.com');
    await store.update('b1', (a) => withOwner(a, 'bob@example.com'));
    const access = (await store.get('b1'))!;
    assert.equal(access.owner, 'bob@example.com');
    assert.equal(roleOf(access, 'bob@example.com'), 'owner');
    assert.equal(roleOf(access, 'alice@example.com'), 'editor');
    await store.update('b1', (a) => withoutMember(a, 'alice@example.com'));
    assert.deepEqual(await store.roomsOf('alice@example.com'), []);
  });

  withStore('links grant their access to visitors until revoked; admins own everything', async (store) => {
    await store.claim('b1', 'alice@example.com');
    await store.update('b1', (a) => withLink(withLink(a, link('L1', 'view')), link('L2', 'edit')));
    await assert.rejects(store.update('b1', (a) => withLinkVisitor(a, 'nope', 'carol@example.com')), AccessRuleError);
    await store.update('b1', (a) => withLinkVisitor(a, 'L1', 'carol@example.com'));
    await store.update('b1', (a) => withLinkVisitor(a, 'L1', 'carol@example.com'));
    assert.equal(roleOf((await store.get('b1'))!, 'carol@example.com'), 'viewer');
    await store.update('b1', (a) => withLinkVisitor(a, 'L2', 'carol@example.com'));
    assert.equal(roleOf((await store.get('b1'))!, 'carol@example.com'), 'editor', 'the strongest link counts');
    await store.update('b1', (a) => withMember(a, 'bob@example.com', 'viewer'));
    await store.update('b1', (a) => withLinkVisitor(a, 'L2', 'bob@example.com'));
    assert.deepEqual(await store.roomsOf('carol@example.com'), ['b1']);
    await store.update('b1', (a) => withoutLink(a, 'L2'));
    let access = (await store.get('b1'))!;
    assert.deepEqual(access.links.map((l) => l.id), ['L1']);
    assert.equal(roleOf(access, 'carol@example.com'), 'viewer');
    assert.equal(roleOf(access, 'bob@example.com'), 'viewer', 'membership outlives the revoked link');
    await store.update('b1', (a) => withoutLink(a, 'L1'));
    access = (await store.get('b1'))!;
    assert.equal(roleOf(access, 'carol@example.com'), null);
    assert.deepEqual(await store.roomsOf('carol@example.com'), []);
    assert.equal(effectiveRole(access, person('root@example.com', true)), 'owner');
    assert.equal(effectiveRole(null, person('root@example.com', true)), 'owner');
    assert.equal(effectiveRole(null, person('carol@example.com')), null);
  });

  withStore('concurrent changes of one board are all kept', async (store) => {
    await store.claim('b1', 'alice@example.com');
    const emails = Array.from({ length: 12 }, (_, i) => `p${i}@example.com`);
    await Promise.all(emails.map((email) => store.update('b1', (a) => withMember(a, email, 'viewer'))));
    const members = (await store.get('b1'))!.members;
    for (const email of emails) assert.equal(members[email], 'viewer');
  });

  withStore('records survive a reopen; removal forgets a board', async (store) => {
    await store.claim('b1', 'alice@example.com');
    await store.claim('b2', 'alice@example.com');
    await store.update('b2', (a) => withMember(a, 'bob@example.com', 'editor'));
    const reopened = await factory.reopen(store);
    assert.deepEqual(await reopened.roomsOf('alice@example.com'), ['b1', 'b2']);
    assert.equal(roleOf((await reopened.get('b2'))!, 'bob@example.com'), 'editor');
    await reopened.remove('b2');
    assert.equal(await reopened.get('b2'), null);
    assert.deepEqual(await reopened.roomsOf('alice@example.com'), ['b1']);
    assert.deepEqual(await reopened.roomsOf('bob@example.com'), []);
    return reopened;
  });
}
