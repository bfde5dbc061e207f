/**
 * Frames past the turn's message budget (sync/frame-pacer.ts): they wait per socket, the socket stops reading, and
 * later turns handle them in arrival order, sharing each turn between the waiting sockets; a socket whose connection
 * ends has its waiting frames handled at once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FramePacer } from '../src/sync/frame-pacer.ts';
import { TurnBudget } from '../src/sync/turn-budget.ts';

/** Keeps the CPU busy for `ms`, as handling a large message does. */
function work(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** A socket as the pacer sees it, recording whether it reads. */
class Socket {
  paused = false;
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
}

const frame = (n: number) => Buffer.from([n]);
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

test('within the turn\'s budget frames are handled at once', () => {
  const pacer = new FramePacer<Socket>(new TurnBudget(50), () => assert.fail('nothing waits'));
  const socket = new Socket('a');
  for (let i = 0; i < 100; i++) assert.equal(pacer.offer(socket, frame(i), true), false);
  assert.equal(socket.paused, false);
});

test('past the budget frames wait in order, the socket stops reading, and later turns share their budget', async () => {
  const handled: string[] = [];
  const handledInTurn = new Map<number, number>();
  let turn = 0;
  const budget = new TurnBudget(5);
  const pacer = new FramePacer<Socket>(budget, (socket, data) => {
    work(2);
    handled.push(`${socket.name}${data[0]}`);
    handledInTurn.set(turn, (handledInTurn.get(turn) ?? 0) + 1);
  });
  // Each immediate marks a new event-loop turn for the record.
  const markTurns = () => {
    turn += 1;
    if (turn < 100) setImmediate(markTurns);
  };
  setImmediate(markTurns);
  const a = new Socket('a');
  const b = new Socket('b');
  // Spend this turn's budget, as a burst does.
  assert.equal(budget.hasBudgetLeft(), true);
  work(6);
  for (let i = 0; i < 4; i++) assert.equal(pacer.offer(a, frame(i), true), true);
  for (let i = 0; i < 2; i++) assert.equal(pacer.offer(b, frame(i), true), true);
  assert.equal(a.paused && b.paused, true, 'both sockets stopped reading');
  assert.equal(pacer.waitingCount, 6);
  while (pacer.waitingCount > 0) await nextTurn();
  const perTurn = [...handledInTurn.values()];
  assert.deepEqual(handled, ['a0', 'b0', 'a1', 'b1', 'a2', 'a3'], 'in order per socket, round-robin between them');
  assert.ok(perTurn.every((n) => n <= 3), `frames per turn: ${JSON.stringify(perTurn)} (5 ms budget, 2 ms frames)`);
  assert.equal(a.paused || b.paused, false, 'both read again once their frames were handled');
});

test('a frame arriving behind waiting ones waits too, even with budget left', async () => {
  const handled: number[] = [];
  const budget = new TurnBudget(5);
  const pacer = new FramePacer<Socket>(budget, (_socket, data) => handled.push(data[0]));
  const socket = new Socket('a');
  budget.hasBudgetLeft();
  work(6);
  pacer.offer(socket, frame(1), true);
  await nextTurn(); // a new turn with budget, while frame 1 may still wait
  if (pacer.waitingCount > 0) assert.equal(pacer.offer(socket, frame(2), true), true);
  else handled.push(2);
  await nextTurn();
  await nextTurn();
  assert.deepEqual(handled, [1, 2]);
});

test('when a connection ends, its waiting frames are handled at once, in order', () => {
  const handled: number[] = [];
  const budget = new TurnBudget(5);
  const pacer = new FramePacer<Socket>(budget, (_socket, data) => handled.push(data[0]));
  const socket = new Socket('a');
  budget.hasBudgetLeft();
  work(6);
  for (let i = 0; i < 3; i++) pacer.offer(socket, frame(i), true);
  pacer.flush(socket);
  assert.deepEqual(handled, [0, 1, 2]);
  assert.equal(pacer.waitingCount, 0);
});
