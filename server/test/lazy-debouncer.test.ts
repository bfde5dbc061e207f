import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLazyDebouncer } from '../src/sync/lazy-debouncer.ts';

test('a series of calls runs once, the latest function, wait ms after the latest call', async () => {
  const debouncer = createLazyDebouncer();
  const runs: string[] = [];
  const started = Date.now();
  for (const name of ['a', 'b', 'c']) {
    void debouncer.debounce('doc', () => runs.push(name), 60, 10_000);
    await sleep(25);
  }
  assert.equal(debouncer.isDebounced('doc'), true);
  // The first timer (due at 60 ms) fires while the series is still pending and is set again for the time left.
  while (runs.length === 0 && Date.now() - started < 2_000) await sleep(5);
  assert.deepEqual(runs, ['c']);
  // Last call at ~50 ms, so the run comes at ~110 ms, not at the first call's 60 ms.
  assert.ok(Date.now() - started >= 105, `ran after ${Date.now() - started} ms`);
  assert.equal(debouncer.isDebounced('doc'), false);
  await sleep(100);
  assert.deepEqual(runs, ['c'], 'nothing runs twice');
});

test('calls that never pause still run once maxWait has passed since the first', async () => {
  const debouncer = createLazyDebouncer();
  let runs = 0;
  const started = Date.now();
  while (Date.now() - started < 250) {
    void debouncer.debounce('doc', () => runs++, 50, 120);
    await sleep(10);
  }
  // Due at 120 and ~240 ms (each run ends a series; the next call starts a new one).
  assert.ok(runs >= 1 && runs <= 2, `${runs} runs`);
});

test('wait 0 and executeNow run at once and resolve with the result; ids are independent', async () => {
  const debouncer = createLazyDebouncer();
  assert.equal(await debouncer.debounce('a', () => 'now', 0, 1_000), 'now');
  void debouncer.debounce('b', () => 'pending b', 10_000, 20_000);
  void debouncer.debounce('c', () => 'pending c', 10_000, 20_000);
  assert.equal(await debouncer.executeNow('b'), 'pending b');
  assert.equal(debouncer.isDebounced('b'), false);
  assert.equal(debouncer.isDebounced('c'), true);
  assert.equal(debouncer.executeNow('missing'), undefined);
  assert.equal(await debouncer.executeNow('c'), 'pending c');
});

test('a run waits for the running one of the same id, and isCurrentlyExecuting tells', async () => {
  const debouncer = createLazyDebouncer();
  const order: string[] = [];
  const slow = debouncer.debounce('doc', async () => {
    order.push('slow start');
    await sleep(50);
    order.push('slow end');
  }, 0, 1_000);
  assert.equal(debouncer.isCurrentlyExecuting('doc'), true);
  const next = debouncer.debounce('doc', () => order.push('next'), 0, 1_000);
  await Promise.all([slow, next]);
  assert.deepEqual(order, ['slow start', 'slow end', 'next']);
  assert.equal(debouncer.isCurrentlyExecuting('doc'), false);
});
