import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AckGate } from '../src/sync/ack-gate.ts';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
const tick = () => new Promise((r) => setImmediate(r));

test('an acknowledgement waits for every earlier write, even when the store finishes them out of order', async () => {
  const gate = new AckGate(() => assert.fail('no failure expected'));
  const sent: string[] = [];
  gate.whenStored(() => sent.push('before any write'));
  const [w1, w2, w3] = [deferred(), deferred(), deferred()];
  gate.track(w1.promise);
  gate.whenStored(() => sent.push('ack 1'));
  gate.track(w2.promise);
  gate.whenStored(() => sent.push('ack 2'));
  gate.track(w3.promise);
  gate.whenStored(() => sent.push('ack 3'));
  w2.resolve();
  await tick();
  assert.deepEqual(sent, ['before any write'], 'write 1 is still pending');
  w1.resolve();
  await tick();
  assert.deepEqual(sent, ['before any write', 'ack 1', 'ack 2']);
  w3.resolve();
  await tick();
  assert.deepEqual(sent, ['before any write', 'ack 1', 'ack 2', 'ack 3']);
});

test('a failed write reports once and no acknowledgement is ever sent after it', async () => {
  const failures: unknown[] = [];
  const gate = new AckGate((error) => failures.push(error));
  const sent: string[] = [];
  const [w1, w2] = [deferred(), deferred()];
  gate.track(w1.promise);
  gate.whenStored(() => sent.push('ack 1'));
  gate.track(w2.promise);
  gate.whenStored(() => sent.push('ack 2'));
  w1.reject(new Error('disk full'));
  w2.reject(new Error('disk full again'));
  await tick();
  gate.whenStored(() => sent.push('later ack'));
  assert.deepEqual(sent, []);
  assert.equal(failures.length, 1);
});

test('updates written in one group commit share its promise: their acknowledgements go when that write lands', async () => {
  const gate = new AckGate(() => assert.fail('no failure expected'));
  const sent: string[] = [];
  const [batch1, batch2] = [deferred(), deferred()];
  gate.track(batch1.promise);
  gate.whenStored(() => sent.push('a'));
  gate.track(batch1.promise);
  gate.whenStored(() => sent.push('b'));
  gate.track(batch2.promise);
  gate.whenStored(() => sent.push('c'));
  gate.track(batch1.promise);
  gate.whenStored(() => sent.push('d, after c'));
  batch1.resolve();
  await tick();
  assert.deepEqual(sent, ['a', 'b'], 'c and d wait for the second batch');
  batch2.resolve();
  await tick();
  assert.deepEqual(sent, ['a', 'b', 'c', 'd, after c']);
});
