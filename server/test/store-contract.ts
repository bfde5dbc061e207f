/**
 * The DocStore contract: one suite, run against every implementation (memory, LevelDB, PostgreSQL). A store passes
 * when rooms read back exactly what was appended, compaction never loses or doubles an update (even racing appends and
 * reads), and rooms stay apart.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as Y from 'yjs';
import type { DocStore } from '../src/persistence/doc-store.ts';
import { canonicalJson } from './harness.ts';

/** How the suite gets stores: `create` a fresh, empty one; `reopen` (persistent stores) a new instance on the same data. */
export interface StoreFactory {
  create(): Promise<DocStore>;
  reopen?(previous: DocStore): Promise<DocStore>;
  /** True for stores with one writer, which must offer `compactTo`; false for shared ones, which must not. */
  singleWriter: boolean;
}

/** Applies what the store returns for `room` to a fresh doc and returns its content as `like` names its root types. */
async function contentOf(store: DocStore, room: string, like: Y.Doc): Promise<string> {
  const doc = new Y.Doc();
  for (const update of await store.load(room)) Y.applyUpdate(doc, update);
  const json = contentAs(doc, like);
  doc.destroy();
  return json;
}

/** Canonical JSON of `doc`'s root types, typed as in `like` (a fresh doc knows its root types only once asked). */
function contentAs(doc: Y.Doc, like: Y.Doc): string {
  const content: Record<string, unknown> = {};
  for (const [name, type] of like.share) content[name] = doc.get(name, type.constructor as typeof Y.AbstractType).toJSON();
  return canonicalJson(content);
}

/** A writer doc whose every change is appended to `room`; returns the doc and the pending appends. */
function writer(store: DocStore, room: string) {
  const doc = new Y.Doc();
  const appends: Promise<void>[] = [];
  doc.on('update', (update: Uint8Array) => appends.push(store.append(room, update)));
  return { doc, settle: () => Promise.all(appends) };
}

/**
 * Appends 0..299 to a list in `room`, one update each, starting whatever `compactAt` returns after each append (with a
 * turn let through every 50), and waits for the appends and compactions. Returns the writer.
 */
async function appendWhileCompacting(store: DocStore, room: string, compactAt: (i: number, doc: Y.Doc) => Promise<unknown> | null) {
  const w = writer(store, room);
  const list = w.doc.getArray<number>('list');
  const compactions: Promise<unknown>[] = [];
  for (let i = 0; i < 300; i++) {
    list.push([i]);
    const compaction = compactAt(i, w.doc);
    if (compaction) compactions.push(compaction);
    if (i % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  await w.settle();
  await Promise.all(compactions);
  return w;
}

/** Asserts that `room` loads as the list 0..299 that {@link appendWhileCompacting} wrote: nothing lost, nothing doubled. */
async function assertListIntact(store: DocStore, room: string): Promise<void> {
  const doc = new Y.Doc();
  for (const update of await store.load(room)) Y.applyUpdate(doc, update);
  assert.deepEqual(doc.getArray('list').toArray(), [...Array(300).keys()]);
}

/** Registers the contract tests for one implementation. */
export function runStoreContract(name: string, factory: StoreFactory): void {
  const withStore = (title: string, body: (store: DocStore) => Promise<void>) =>
    test(`${name} store: ${title}`, async () => {
      const store = await factory.create();
      try {
        await body(store);
      } finally {
        await store.close();
      }
    });

  withStore('an unknown room loads as nothing', async (store) => {
    assert.deepEqual(await store.load('never-written'), []);
    assert.deepEqual(await store.stats('never-written'), { snapshotBytes: 0, logEntries: 0, logBytes: 0 });
  });

  withStore('appended updates load back to the same state, in order', async (store) => {
    const w = writer(store, 'order');
    const list = w.doc.getArray<number>('list');
    for (let i = 0; i < 200; i++) list.push([i]);
    list.delete(0, 50);
    await w.settle();
    assert.equal(await contentOf(store, 'order', w.doc), contentAs(w.doc, w.doc));
    const stats = await store.stats('order');
    assert.equal(stats.logEntries, 201);
    assert.ok(stats.logBytes > 0);
  });

  withStore('rooms are kept apart, including rooms whose ids share a prefix', async (store) => {
    const rooms = ['a', 'a-b', 'a_b', 'ab'];
    const writers = rooms.map((room) => writer(store, room));
    rooms.forEach((room, i) => writers[i].doc.getMap('m').set('room', room));
    await Promise.all(writers.map((w) => w.settle()));
    for (const [i, room] of rooms.entries()) {
      assert.equal(await contentOf(store, room, writers[i].doc), canonicalJson({ m: { room } }));
    }
  });

  withStore('lists every room once, whatever it holds, and deletes one room without touching its neighbours', async (store) => {
    const rooms = ['a', 'a-b', 'ab', 'z_1'];
    for (const room of rooms) {
      const w = writer(store, room);
      for (let i = 0; i < 3; i++) w.doc.getMap('m').set(`k${i}`, room);
      await w.settle();
    }
    await store.compact('ab');
    await store.saveVersion('versions-only', { id: 'v1', label: '', auto: true, createdAt: new Date().toISOString(), bytes: 1 }, new Uint8Array([1]));
    const listed = async () => {
      const seen: string[] = [];
      for await (const room of store.listRooms()) seen.push(room);
      return seen.sort();
    };
    assert.deepEqual(await listed(), [...rooms, 'versions-only'].sort());

    await store.saveVersion('a', { id: 'v1', label: 'x', auto: false, createdAt: new Date().toISOString(), bytes: 1 }, new Uint8Array([2]));
    await store.deleteRoom('a');
    await store.deleteRoom('ab');
    assert.deepEqual(await store.load('a'), []);
    assert.deepEqual(await store.listVersions('a'), []);
    assert.deepEqual(await store.stats('ab'), { snapshotBytes: 0, logEntries: 0, logBytes: 0 });
    assert.deepEqual(await listed(), ['a-b', 'versions-only', 'z_1']);
    assert.equal((await store.load('a-b')).length, 3, 'a room whose id starts with the deleted one keeps its log');

    // A deleted room starts afresh: appends after the delete are all there is.
    const w = writer(store, 'a');
    w.doc.getMap('m').set('new', 1);
    await w.settle();
    assert.equal(await contentOf(store, 'a', w.doc), canonicalJson({ m: { new: 1 } }));
  });

  withStore('compaction keeps the state, empties the log and is idempotent', async (store) => {
    const w = writer(store, 'compact');
    const text = w.doc.getText('t');
    for (let i = 0; i < 100; i++) text.insert(text.length, `${i},`);
    text.delete(0, 100);
    await w.settle();
    const before = await contentOf(store, 'compact', w.doc);
    assert.equal(before, contentAs(w.doc, w.doc));
    await store.compact('compact');
    await store.compact('compact');
    assert.equal(await contentOf(store, 'compact', w.doc), before);
    const stats = await store.stats('compact');
    assert.equal(stats.logEntries, 0);
    assert.ok(stats.snapshotBytes > 0);
    assert.equal((await store.load('compact')).length, 1);
  });

  withStore('appends racing a compaction are neither lost nor doubled', async (store) => {
    const w = await appendWhileCompacting(store, 'race', (i) => (i % 37 === 0 ? store.compact('race') : null));
    assert.equal(await contentOf(store, 'race', w.doc), contentAs(w.doc, w.doc));
    await store.compact('race');
    await assertListIntact(store, 'race');
  });

  withStore('a load racing compactions always sees every acknowledged update', async (store) => {
    const w = writer(store, 'consistent');
    const map = w.doc.getMap<number>('m');
    for (let i = 0; i < 50; i++) map.set(`k${i}`, i);
    await w.settle();
    const expected = contentAs(w.doc, w.doc);
    const checks: Promise<void>[] = [];
    for (let round = 0; round < 10; round++) {
      checks.push(store.compact('consistent'));
      checks.push(contentOf(store, 'consistent', w.doc).then((content) => assert.equal(content, expected)));
    }
    await Promise.all(checks);
  });

  withStore('concurrent appends to many rooms are all stored', async (store) => {
    const writers = Array.from({ length: 20 }, (_, i) => ({ room: `many-${i}`, ...writer(store, `many-${i}`) }));
    for (let step = 0; step < 20; step++) for (const w of writers) w.doc.getArray('a').push([step]);
    await Promise.all(writers.map((w) => w.settle()));
    for (const w of writers) assert.equal(await contentOf(store, w.room, w.doc), contentAs(w.doc, w.doc));
  });

  withStore('versions: saved, listed newest first, loaded, labelled, deleted, per room', async (store) => {
    const version = (id: string, label: string, auto: boolean) => ({ id, label, auto, createdAt: new Date().toISOString(), bytes: 3 });
    await store.saveVersion('v-room', version('0001', 'first', false), new Uint8Array([1, 1, 1]));
    await store.saveVersion('v-room', version('0002', '', true), new Uint8Array([2, 2, 2]));
    await store.saveVersion('v-room', version('0003', 'third', false), new Uint8Array([3, 3, 3]));
    await store.saveVersion('v-room-2', version('0009', 'elsewhere', false), new Uint8Array([9, 9, 9]));
    const listed = await store.listVersions('v-room');
    assert.deepEqual(listed.map((v) => [v.id, v.label, v.auto, v.bytes]), [
      ['0003', 'third', false, 3],
      ['0002', '', true, 3],
      ['0001', 'first', false, 3],
    ]);
    assert.ok(!Number.isNaN(Date.parse(listed[0].createdAt)));
    assert.deepEqual([...((await store.loadVersion('v-room', '0002')) ?? [])], [2, 2, 2]);
    assert.equal(await store.loadVersion('v-room', '0009'), null, 'versions belong to their room');
    assert.equal((await store.labelVersion('v-room', '0002', 'named'))?.label, 'named');
    assert.equal(await store.labelVersion('v-room', 'nope', 'x'), null);
    await store.deleteVersions('v-room', ['0001', 'nope']);
    assert.deepEqual((await store.listVersions('v-room')).map((v) => [v.id, v.label]), [['0003', 'third'], ['0002', 'named']]);
    assert.deepEqual((await store.listVersions('v-room-2')).map((v) => v.id), ['0009']);
    // Versions never touch the room's own state.
    assert.deepEqual(await store.load('v-room'), []);
  });

  if (!factory.singleWriter) {
    withStore('a store shared by several instances does not offer compaction from a live document', async (store) => {
      assert.equal(store.compactTo, undefined, 'another instance may have appended what this one has not applied yet');
    });
  } else {
    withStore('compactTo replaces the snapshot and the entries appended before the call; later appends stay', async (store) => {
      const w = writer(store, 'live');
      const map = w.doc.getMap<number>('m');
      for (let i = 0; i < 100; i++) map.set(`k${i % 10}`, i);
      await w.settle();
      const compacted = store.compactTo!('live', Y.encodeStateAsUpdate(w.doc));
      // Appended after the call: not in the state handed over, so they must stay in the log.
      for (let i = 0; i < 30; i++) map.set(`later${i}`, i);
      assert.equal(await compacted, true);
      await w.settle();
      assert.equal(await contentOf(store, 'live', w.doc), contentAs(w.doc, w.doc));
      assert.equal((await store.stats('live')).logEntries, 30);
      assert.equal((await store.load('live')).length, 31, 'the snapshot, then the 30 later entries');
    });

    withStore('compactTo racing appends and merging compactions loses and doubles nothing', async (store) => {
      await appendWhileCompacting(store, 'live-race', (i, doc) => {
        if (i % 23 === 0) return store.compactTo!('live-race', Y.encodeStateAsUpdate(doc));
        return i % 41 === 0 ? store.compact('live-race') : null;
      });
      await assertListIntact(store, 'live-race');
    });

    withStore('compactTo of a room never written is refused and changes nothing', async (store) => {
      const source = new Y.Doc();
      source.getMap('m').set('x', 1);
      assert.equal(await store.compactTo!('unknown-room', Y.encodeStateAsUpdate(source)), false);
      assert.deepEqual(await store.load('unknown-room'), []);
    });
  }

  if (factory.reopen) {
    const reopen = factory.reopen;
    test(`${name} store: what was acknowledged is there after reopening`, async () => {
      const store = await factory.create();
      const w = writer(store, 'reopen');
      for (let i = 0; i < 20; i++) w.doc.getMap('m').set(`k${i}`, i);
      await w.settle();
      await store.compact('reopen');
      w.doc.getMap('m').set('after-compaction', true);
      await w.settle();
      await store.saveVersion('reopen', { id: 'v1', label: 'kept', auto: false, createdAt: new Date().toISOString(), bytes: 1 }, new Uint8Array([7]));
      await store.close();
      const again = await reopen(store);
      try {
        assert.equal(await contentOf(again, 'reopen', w.doc), contentAs(w.doc, w.doc));
        assert.deepEqual((await again.listVersions('reopen')).map((v) => v.label), ['kept']);
        if (again.compactTo) {
          // Nothing appended in this life yet: the store cannot tell which entries a live state would cover.
          assert.equal(await again.compactTo('reopen', Y.encodeStateAsUpdate(new Y.Doc())), false);
        }
        // Appends continue after the existing log, never overwriting it.
        const w2 = writer(again, 'reopen');
        for (const update of await again.load('reopen')) Y.applyUpdate(w2.doc, update);
        w2.doc.getMap('m').set('second-life', true);
        await w2.settle();
        assert.equal(await contentOf(again, 'reopen', w2.doc), contentAs(w2.doc, w2.doc));
        assert.match(contentAs(w2.doc, w2.doc), /"after-compaction":true.*"k19":19.*"second-life":true/);
      } finally {
        await again.close();
      }
    });
  }
}
