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
