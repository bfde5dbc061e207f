import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupCommit } from '../src/persistence/group-commit.ts';

test('items added in one window are written in one call, in order; later items go in the next batch', async () => {
  const written: number[][] = [];
  const commit = new GroupCommit<number>(async (batch) => {
    written.push([...batch]);
  }, 2);
  const first = [commit.add(1), commit.add(2), commit.add(3)];
  await Promise.all(first);
  const second = commit.add(4);
  await second;
  assert.deepEqual(written, [[1, 2, 3], [4]]);
});

test('a failed write rejects every add of its batch and only those', async () => {
  let calls = 0;
  const commit = new GroupCommit<string>(async () => {
    calls += 1;
    if (calls === 1) throw new Error('disk full');
  });
  const failing = [commit.add('a'), commit.add('b')];
  for (const add of failing) await assert.rejects(add, /disk full/);
  await commit.add('c'); // the next batch is written normally
  assert.equal(calls, 2);
});

test('a write rejected without a reason still fails its batch', async () => {
  const commit = new GroupCommit<string>(() => Promise.reject(undefined));
  await assert.rejects(commit.add('a'), /group commit write failed/);
});

test('drain writes what is queued at once and waits for it, without waiting for the window', async () => {
  const written: string[] = [];
  const commit = new GroupCommit<string>(async (batch) => {
    written.push(...batch);
  }, 60_000);
  const add = commit.add('queued');
  await commit.drain();
  assert.deepEqual(written, ['queued']);
  await add;
});

test('a batch right after a write of several items waits for the busy window; after one item or a quiet spell, the short one', async () => {
  const writtenAt: number[] = [];
  const commit = new GroupCommit<string>(async () => {
    writtenAt.push(performance.now());
  }, 5, 400);
  const since = (started: number, index: number) => writtenAt[index] - started;
  let started = performance.now();
  await commit.add('a lone client, store idle');
  assert.ok(since(started, 0) < 300, `idle batch written ${since(started, 0)} ms after its add`);
  started = performance.now();
  await commit.add('the same client, right after its acknowledgement');
  assert.ok(since(started, 1) < 300, `a lone client's next batch written ${since(started, 1)} ms after its add`);
  await Promise.all([commit.add('two clients'), commit.add('at once')]);
  started = performance.now();
  await commit.add('right after a batch of two: busy');
  assert.ok(since(started, 3) >= 390, `busy batch written ${since(started, 3)} ms after its add`);
  await new Promise((resolve) => setTimeout(resolve, 450));
  started = performance.now();
  await Promise.all([commit.add('after a quiet spell'), commit.add('two again')]);
  assert.ok(since(started, 4) < 300, `batch after a quiet spell written ${since(started, 4)} ms after its add`);
});
