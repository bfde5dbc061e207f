/**
 * The join gate (sync/join-gate.ts): a bounded number of clients joining at once, the rest let in by arrival order as
 * places free, and no place held for long by a slow join or by a socket that says nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JoinGate } from '../src/sync/join-gate.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A gate whose upgrades record their client and hold a place for it (as SocketServer.accept does). */
function gateWithLog(options: { maxJoining: number; slotMs: number; quietMs: number }, heard = true) {
  const gate = new JoinGate<string>(options);
  const admitted: string[] = [];
  const enter = (client: string) =>
    gate.enter(() => {
      admitted.push(client);
      gate.hold(client, heard);
    });
  return { gate, admitted, enter };
}

test('at most maxJoining clients join at once; the others are let in by arrival order as places free', async () => {
  const { gate, admitted, enter } = gateWithLog({ maxJoining: 2, slotMs: 10_000, quietMs: 10_000 });
  for (const client of ['a', 'b', 'c', 'd', 'e']) enter(client);
  assert.deepEqual(admitted, ['a', 'b']);
  assert.equal(gate.waitingCount, 3);

  gate.release('b');
  // The next upgrade runs in a turn of its own, not inside the release.
  assert.deepEqual(admitted, ['a', 'b']);
  await nextTurn();
  assert.deepEqual(admitted, ['a', 'b', 'c']);

  gate.release('a');
  gate.release('c');
  gate.release('c'); // a second release of the same client frees nothing more
  await nextTurn();
  assert.deepEqual(admitted, ['a', 'b', 'c', 'd', 'e']);
  assert.equal(gate.waitingCount, 0);
  for (const client of admitted) gate.release(client);
});

test('an upgrade whose socket died before it was let in takes no place', async () => {
  const gate = new JoinGate<string>({ maxJoining: 1, slotMs: 10_000, quietMs: 10_000 });
  const admitted: string[] = [];
  gate.enter(() => admitted.push('dead')); // no hold(): the socket was gone
  gate.enter(() => {
    admitted.push('live');
    gate.hold('live', true);
  });
  assert.deepEqual(admitted, ['dead', 'live']);
  gate.release('live');
});

test('a join that takes too long gives up its place after slotMs', async () => {
  const { gate, admitted, enter } = gateWithLog({ maxJoining: 1, slotMs: 40, quietMs: 10 });
  enter('slow');
  enter('next');
  await sleep(20);
  assert.deepEqual(admitted, ['slow'], 'a client that was heard from keeps its place past quietMs');
  await sleep(60);
  assert.deepEqual(admitted, ['slow', 'next']);
  gate.release('next');
});

test('a socket that has sent nothing holds its place only quietMs; one heard from keeps it until slotMs', async () => {
  const gate = new JoinGate<string>({ maxJoining: 1, slotMs: 200, quietMs: 20 });
  const admitted: string[] = [];
  gate.enter(() => {
    admitted.push('silent');
    gate.hold('silent', false);
  });
  gate.enter(() => {
    admitted.push('talker');
    gate.hold('talker', false);
    gate.heard('talker'); // its first frame arrives as soon as it is let in
  });
  gate.enter(() => {
    admitted.push('last');
    gate.hold('last', true);
  });
  assert.deepEqual(admitted, ['silent']);
  await sleep(60);
  assert.deepEqual(admitted, ['silent', 'talker'], 'the silent socket lost its place after quietMs; the talker keeps its own');
  gate.release('talker');
  await nextTurn();
  assert.deepEqual(admitted, ['silent', 'talker', 'last']);
  gate.release('last');
});
