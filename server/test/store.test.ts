import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { LevelDbStore } from '../src/persistence/leveldb-store.ts';
import { MemoryStore } from '../src/persistence/memory-store.ts';
import { StoreUnavailableError } from '../src/persistence/doc-store.ts';
import { tempDir } from './harness.ts';
import { runStoreContract } from './store-contract.ts';

const dirs: { remove: () => void }[] = [];
after(() => dirs.forEach((d) => d.remove()));

runStoreContract('memory', {
  create: async () => {
    const store = new MemoryStore();
    await store.open();
    return store;
  },
  singleWriter: true,
});

const levelDirs = new WeakMap<object, string>();
runStoreContract('leveldb', {
  create: async () => {
    const dir = tempDir('scrawl-store-');
    dirs.push(dir);
    const store = new LevelDbStore({ directory: dir.path });
    await store.open();
    levelDirs.set(store, dir.path);
    return store;
  },
  reopen: async (previous) => {
    const store = new LevelDbStore({ directory: levelDirs.get(previous)! });
    await store.open();
    return store;
  },
  singleWriter: true,
});

test('a second LevelDB store on the same directory is refused with an error naming it', async () => {
  const dir = tempDir('scrawl-lock-');
  dirs.push(dir);
  const first = new LevelDbStore({ directory: dir.path });
  await first.open();
  try {
    const second = new LevelDbStore({ directory: dir.path });
    await assert.rejects(second.open(), (error: Error) => {
      assert.ok(error instanceof StoreUnavailableError);
      assert.match(error.message, new RegExp(`${dir.path}.*in use by another process`));
      return true;
    });
  } finally {
    await first.close();
  }
});

test('large compactions run on a worker thread and give the same state as merging inline', async () => {
  const { mergeInBackground, mergeStoredUpdates } = await import('../src/persistence/merge.ts');
  const Y = await import('yjs');
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  for (let i = 0; i < 300; i++) doc.getMap('m').set(`k${i}`, 'x'.repeat(1_000));
  doc.getMap('m').delete('k0');
  const inline = mergeStoredUpdates(updates);
  const background = await mergeInBackground(updates);
  assert.equal(background.rejected, 0);
  const a = new Y.Doc();
  const b = new Y.Doc();
  Y.applyUpdate(a, inline.snapshot);
  Y.applyUpdate(b, background.snapshot);
  assert.deepEqual(b.getMap('m').toJSON(), a.getMap('m').toJSON());
  assert.equal(b.getMap('m').size, 299);
  assert.deepEqual(updates.length, 301, 'the inputs were not consumed');
});

test('small compactions are merged in slices: the same state as merging at once, damaged entries skipped, the loop let through', async () => {
  const { mergeInSlices, mergeStoredUpdates } = await import('../src/persistence/merge.ts');
  const Y = await import('yjs');
  const writers = [new Y.Doc(), new Y.Doc()];
  const updates: Uint8Array[] = [];
  for (const writer of writers) writer.on('update', (u: Uint8Array) => updates.push(u));
  // Two writers overwriting their keys, as dragged shapes do: many small updates, mostly deleted content.
  for (let i = 0; i < 3_000; i++) writers[i % 2].getMap('m').set(`w${i % 2}`, { x: i, text: 'drag '.repeat(20) });
  updates.splice(1_000, 0, Uint8Array.from([1, 2, 3, 255, 255]));
  let turns = 0;
  let counting = true;
  const count = () => {
    turns += 1;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  const sliced = await mergeInSlices(updates);
  counting = false;
  const atOnce = mergeStoredUpdates(updates);
  assert.equal(sliced.rejected, 1, 'the damaged entry is skipped and counted');
  assert.deepEqual(sliced.snapshot, atOnce.snapshot, 'byte-equal to merging in one go');
  const merged = new Y.Doc();
  Y.applyUpdate(merged, sliced.snapshot);
  assert.deepEqual(merged.getMap('m').get('w1'), { x: 2_999, text: 'drag '.repeat(20) });
  assert.ok(turns > 1, `the event loop ran between slices (${turns} turns)`);
  const empty = await mergeInSlices([]);
  assert.equal(empty.rejected, 0);
});

test('withoutUpdateEvents: the apply is silent, and the listeners are back afterwards, even after a throw', async () => {
  const { withoutUpdateEvents } = await import('../src/persistence/merge.ts');
  const Y = await import('yjs');
  const doc = new Y.Doc();
  const heard: number[] = [];
  doc.on('update', (update: Uint8Array) => heard.push(update.byteLength));
  withoutUpdateEvents(doc, () => doc.getMap('m').set('loaded', true));
  assert.deepEqual(heard, []);
  assert.throws(() => withoutUpdateEvents(doc, () => { throw new Error('damaged'); }), /damaged/);
  doc.getMap('m').set('changed', true);
  assert.equal(heard.length, 1, 'the listener hears later changes');
  assert.deepEqual(doc.getMap('m').toJSON(), { loaded: true, changed: true });
});

test('a room loaded from the store reaches its first client once, in the sync, never again as a broadcast update', async () => {
  const Y = await import('yjs');
  const { WebSocket } = await import('ws');
  const { startServer } = await import('./harness.ts');
  const source = new Y.Doc();
  source.getMap('m').set('stored', 'x'.repeat(10_000));
  const store = new MemoryStore();
  await store.open();
  await store.append('stored-room', Y.encodeStateAsUpdate(source));
  const server = await startServer({ store });
  try {
    const ws = new WebSocket(`${server.wsUrl}/yjs/stored-room`);
    const received: { syncType: number; bytes: number }[] = [];
    ws.on('message', (data: Buffer) => {
      // y-websocket framing: [0 = sync][sync type][payload]; awareness (1) and the rest are not document content.
      if (data[0] === 0) received.push({ syncType: data[1], bytes: data.byteLength });
    });
    await new Promise((resolve) => ws.on('open', resolve));
    ws.send(Uint8Array.from([0, 0, 1, 0])); // sync step 1 with an empty state vector
    await new Promise((resolve) => setTimeout(resolve, 300));
    ws.close();
    const content = received.filter((m) => m.bytes > 10_000);
    assert.equal(content.length, 1, `the stored state arrived ${content.length} times: ${JSON.stringify(received)}`);
    assert.equal(content[0].syncType, 1, 'in the sync step 2');
    assert.ok(!received.some((m) => m.syncType === 2), `no update message: ${JSON.stringify(received)}`);
  } finally {
    await server.stop();
  }
});
