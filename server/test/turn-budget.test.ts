/**
 * The message-handling budget per event-loop turn (sync/turn-budget.ts): free while a turn has budget left, and once it
 * is spent, the work continues over later turns in its order, with the loop polling for I/O in between.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TurnBudget } from '../src/sync/turn-budget.ts';

/** Keeps the CPU busy for `ms`, as handling a large message does. */
function work(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

test('within its budget a turn never waits', () => {
  const budget = new TurnBudget(50);
  for (let i = 0; i < 100; i++) assert.equal(budget.pace(), undefined);
});

test('a turn that spent its budget continues in later turns, in order, a budget at a time', async () => {
  const budget = new TurnBudget(10);
  const handledInTurn: number[][] = [[]];
  let turn = 0;
  const ticker = setInterval(() => {}, 1_000); // keeps the loop alive while messages wait
  // Each immediate marks a new turn for the record; it is scheduled anew each turn.
  const markTurns = () => {
    turn += 1;
    handledInTurn[turn] = [];
    if (turn < 50) setImmediate(markTurns);
  };
  setImmediate(markTurns);

  // Twelve messages of 4 ms each, arriving at once as a burst does; each paces itself before it is handled.
  const handled: number[] = [];
  await Promise.all(
    Array.from({ length: 12 }, async (_, i) => {
      const wait = budget.pace();
      if (wait) await wait;
      work(4);
      handled.push(i);
      handledInTurn[turn].push(i);
    }),
  );
  clearInterval(ticker);
  assert.deepEqual(handled, Array.from({ length: 12 }, (_, i) => i), 'in arrival order');
  const perTurn = handledInTurn.map((ids) => ids.length).filter((n) => n > 0);
  // 10 ms of budget and 4 ms messages: at most three per turn (the third starts within budget and runs past it).
  assert.ok(perTurn.every((n) => n <= 3), `messages per turn: ${JSON.stringify(perTurn)}`);
  assert.ok(perTurn.length >= 4, `the burst was spread over ${perTurn.length} turns`);
});

test('I/O gets its turn between the budgets', async () => {
  const budget = new TurnBudget(5);
  const events: string[] = [];
  // A timer due at once stands for I/O waiting while the burst runs.
  setTimeout(() => events.push('io'), 0);
  await Promise.all(
    Array.from({ length: 6 }, async (_, i) => {
      const wait = budget.pace();
      if (wait) await wait;
      work(5);
      events.push(`m${i}`);
    }),
  );
  const io = events.indexOf('io');
  assert.ok(io > 0 && io < events.length - 1, `the timer ran between the messages: ${events.join(' ')}`);
});
