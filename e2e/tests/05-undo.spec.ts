import { convergedShapes, drawNewStroke, idsOf, strokesOf, wavyPath } from '../src/board.ts';
import { expect, test } from '../src/fixtures.ts';

test("A undoes its own stroke while B's stroke stays", async ({ boards, room }) => {
  const a = await (await boards.newContext()).open(room, 'Alice');
  const b = await (await boards.newContext()).open(room, 'Bob');

  const strokeA = await drawNewStroke(a, wavyPath(200, 250, 20));
  await convergedShapes([a, b], 1);
  // B draws after A: B's stroke is the latest change on the board, but not A's to undo.
  const strokeB = await drawNewStroke(b, wavyPath(200, 450, 20));
  const both = await convergedShapes([a, b], 2);
  const strokeBRecord = both.find((shape) => shape.id === strokeB.id)!;

  await a.keyboard.press('ControlOrMeta+z');
  for (const page of [a, b]) {
    await expect.poll(async () => idsOf(await strokesOf(page)), { message: 'after A undoes' }).toEqual([strokeB.id]);
  }
  await convergedShapes([a, b], 1);
  expect((await strokesOf(b))[0], "B's stroke is untouched").toEqual(strokeBRecord);

  // Redo brings A's stroke back for both, B's still there.
  await a.keyboard.press('ControlOrMeta+Shift+z');
  const restored = await convergedShapes([a, b], 2);
  expect(idsOf(restored)).toEqual(idsOf([strokeA, strokeB]));
  expect(restored.find((shape) => shape.id === strokeB.id)).toEqual(strokeBRecord);
});
