import type { Page } from '@playwright/test';
import { expect, test } from '../src/fixtures.ts';

/** The collaborators B's editor shows (tldraw instance_presence records), as name and cursor position. */
async function peersOf(page: Page): Promise<Array<{ userName: string; cursor: { x: number; y: number } | null }>> {
  return page.evaluate(() =>
    window.__scrawl.editor.getCollaborators().map((presence: any) => ({
      userName: presence.userName,
      cursor: presence.cursor ? { x: presence.cursor.x, y: presence.cursor.y } : null,
    })),
  );
}

test("B sees A's cursor with A's name; when A's tab closes the cursor is gone within 1 s", async ({ boards, room }) => {
  const a = await (await boards.newContext()).open(room, 'Alice');
  const b = await (await boards.newContext()).open(room, 'Bob');

  // A moves the mouse over the canvas; B's editor gets A's cursor at that page point, labelled with A's name.
  const target = await a.evaluate(() => window.__scrawl.editor.screenToPage({ x: 640, y: 360 }));
  // A page that was only opened may miss the very first pointer events (seen once in CI: B kept A's initial cursor
  // at 0,0): move until B sees A's cursor leave its initial place, then check where it comes to rest.
  await expect
    .poll(
      async () => {
        await a.mouse.move(600, 330);
        await a.mouse.move(640, 360, { steps: 5 });
        const [peer] = await peersOf(b);
        return peer !== undefined && peer.cursor !== null && (peer.cursor.x !== 0 || peer.cursor.y !== 0);
      },
      { message: "A's cursor moves in B" },
    )
    .toBe(true);
  await expect
    .poll(() => peersOf(b), { message: "A's presence in B" })
    .toEqual([{ userName: 'Alice', cursor: { x: expect.closeTo(target.x, 0) as never, y: expect.closeTo(target.y, 0) as never } }]);

  // And it is on screen: tldraw's collaborator cursor with the name tag.
  const cursorInB = b.locator('.tl-collaborator__cursor');
  await expect(cursorInB).toHaveCount(1);
  await expect(b.locator('.tl-nametag', { hasText: 'Alice' })).toBeVisible();

  // A's tab closes: no cursor in B within 1 s of the close.
  const closedAt = Date.now();
  await a.close();
  await b.waitForFunction(() => window.__scrawl.editor.getCollaborators().length === 0, null, { timeout: 5_000, polling: 'raf' });
  const goneAfterMs = Date.now() - closedAt;
  await expect(cursorInB).toHaveCount(0, { timeout: 1_000 });
  const summary = `A's cursor left B's board ${goneAfterMs} ms after A's tab closed`;
  console.log(summary);
  test.info().annotations.push({ type: 'measure', description: summary });
  expect(goneAfterMs, 'cursor gone within 1 s').toBeLessThanOrEqual(1_000);
});
