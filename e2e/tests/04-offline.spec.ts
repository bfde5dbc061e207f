import { convergedShapes, drawNewStroke, idsOf, shapesOf, strokesOf, waitUntilConnected, wavyPath } from '../src/board.ts';
import { expect, test } from '../src/fixtures.ts';

test('A draws offline, comes back; B gets the strokes and nothing duplicates', async ({ boards, room }) => {
  const contextA = await boards.newContext();
  const a = await contextA.open(room, 'Alice');
  const b = await (await boards.newContext()).open(room, 'Bob');

  const online = await drawNewStroke(a, wavyPath(200, 200, 15));
  await expect.poll(async () => idsOf(await strokesOf(b))).toEqual([online.id]);

  await contextA.network.goOffline();
  await expect.poll(() => a.evaluate(() => window.__scrawl.status().state), { message: "A's status" }).toBe('offline');

  const offline1 = await drawNewStroke(a, wavyPath(200, 320, 15));
  const offline2 = await drawNewStroke(a, wavyPath(200, 440, 15));
  // Meanwhile B draws too; A must get it once back.
  const fromB = await drawNewStroke(b, wavyPath(700, 300, 15));
  expect(idsOf(await strokesOf(a)), 'A sees its own offline strokes').toEqual(idsOf([online, offline1, offline2]));
  expect(
    await a.evaluate(() => window.__scrawl.status().unsyncedChanges),
    'A counts its offline edits as unsynced',
  ).toBeGreaterThan(0);
  // The link really is cut: nothing of A's reaches B while offline.
  await b.waitForTimeout(1_500);
  expect(idsOf(await strokesOf(b)), 'B while A is offline').toEqual(idsOf([online, fromB]));

  await contextA.network.goOnline();
  await waitUntilConnected(a, 30_000);

  const everything = idsOf([online, offline1, offline2, fromB]);
  await expect.poll(async () => idsOf(await strokesOf(b)), { message: "B after A's return" }).toEqual(everything);
  await expect.poll(async () => idsOf(await strokesOf(a)), { message: 'A after its return' }).toEqual(everything);
  await expect.poll(() => a.evaluate(() => window.__scrawl.status().unsyncedChanges)).toBe(0);
  // Identical records on both sides, and each stroke's path exactly once.
  const shapesA = await convergedShapes([a, b], 4);
  const paths = shapesA.map((shape) => JSON.stringify([shape.x, shape.y, shape.props.segments]));
  expect(new Set(paths).size, 'no stroke appears twice').toBe(paths.length);
  expect(shapesA).toHaveLength(4);
});
