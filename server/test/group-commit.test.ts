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

test('after a quiet spell a batch is written after the short window; right after a write, after the busy one', async () => {
  const writtenAt: number[] = [];
  const commit = new GroupCommit<string>(async () => {
    writtenAt.push(performance.now());
  }, 5, 400);
  let started = performance.now();
  await commit.add('first, store idle');
  assert.ok(writtenAt[0] - started < 300, `idle batch written ${writtenAt[0] - started} ms after its add`);
  started = performance.now();
  await commit.add('second, store busy');
  assert.ok(writtenAt[1] - started >= 390, `busy batch written ${writtenAt[1] - started} ms after its add`);
  await new Promise((resolve) => setTimeout(resolve, 450));
  started = performance.now();
  await commit.add('third, quiet again');
  assert.ok(writtenAt[2] - started < 300, `batch after a quiet spell written ${writtenAt[2] - started} ms after its add`);
});
