import type { Page } from '@playwright/test';
import { waitUntilConnected } from '../src/board.ts';
import { expect, test } from '../src/fixtures.ts';

/**
 * Issue 17 item 3, comments, in real Chromium contexts on the real server: Alice pins a comment on a shape with the
 * Comment button, Bob sees the pin (unread), opens it and replies, Alice sees the reply and resolves the thread; the
 * pin follows its shape; after a server restart the thread is still there (API and a fresh browser), it is listed in
 * the comments panel (with "Show resolved") and jumping to it opens it, and its copied link opens the board with the
 * thread open and its pin in view (read-only through a view link).
 */

const BOX = { id: 'shape:commented-box', x: 300, y: 200, w: 240, h: 140 };

/** The board's comment threads as the page's document holds them. */
const threadsOf = (page: Page): Promise<any[]> => page.evaluate(() => Object.values(window.__scrawl.doc.getMap('comments').toJSON()));

/** The centre of an element's box, in the page's pixels. */
async function centreOf(page: Page, selector: string): Promise<{ x: number; y: number }> {
  const box = await page.locator(selector).boundingBox();
  if (!box) throw new Error(`${selector} is not on screen`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

test('A pins a comment on a shape, B replies, A resolves; it survives a restart, is in the panel, and its link opens it', async ({ boards, room, server }) => {
  const a = await (await boards.newContext()).open(room, 'Alice');
  const b = await (await boards.newContext()).open(room, 'Bob');
  await a.evaluate((box) => {
    const editor = window.__scrawl.editor;
    editor.createShapes([{ id: box.id, type: 'geo', x: box.x, y: box.y, props: { w: box.w, h: box.h } }]);
    editor.selectNone();
  }, BOX);
  await expect.poll(() => b.evaluate((id) => !!window.__scrawl.editor.getShape(id), BOX.id)).toBe(true);

  // --- Alice: Comment, click on the shape, write, Enter.
  await a.getByTestId('comment-tool').click();
  await expect(a.getByTestId('comment-placing')).toBeVisible();
  const onShape = await a.evaluate(({ x, y }) => window.__scrawl.editor.pageToScreen({ x: x + 60, y: y + 35 }), BOX);
  await a.mouse.click(onShape.x, onShape.y);
  const popoverA = a.getByTestId('comment-popover');
  await expect(popoverA).toBeVisible();
  await a.getByTestId('comment-input').fill('Is this the final colour?');
  await a.getByTestId('comment-input').press('Enter');
  await expect(popoverA).toHaveAttribute('data-thread-id', /^[a-z0-9]{12}$/);
  const threadId = (await popoverA.getAttribute('data-thread-id'))!;
  const [stored] = await threadsOf(a);
  expect(stored).toMatchObject({
    id: threadId,
    anchor: { type: 'shape', shapeId: BOX.id, x: expect.closeTo(0.25, 2), y: expect.closeTo(0.25, 2) },
    createdBy: { name: 'Alice' },
    resolved: null,
    messages: [{ authorName: 'Alice', text: 'Is this the final colour?', deleted: false }],
  });

  // --- Bob: the pin is there, unread; opening it reads it; he replies.
  const pinB = b.locator(`[data-testid="comment-pin"][data-thread-id="${threadId}"]`);
  await expect(pinB).toBeVisible();
  await expect(pinB).toHaveAttribute('data-unread', 'true');
  await expect(b.getByTestId('comments-unread')).toHaveText('1');
  await pinB.click();
  const popoverB = b.getByTestId('comment-popover');
  await expect(popoverB.getByTestId('comment-text')).toHaveText(['Is this the final colour?']);
  await expect(b.getByTestId('comments-unread')).toHaveCount(0);
  await expect(pinB).not.toHaveAttribute('data-unread', 'true');
  await b.getByTestId('comment-input').fill('Not yet: make it blue');
  await b.getByTestId('comment-send').click();

  // Alice, whose thread is still open, sees the reply at once; her own message is not "unread" to her.
  await expect(popoverA.getByTestId('comment-text')).toHaveText(['Is this the final colour?', 'Not yet: make it blue']);
  await expect(popoverA.getByTestId('comment-message').nth(1)).toHaveAttribute('data-author', 'Bob');
  // Only her own message offers edit and delete.
  await expect(popoverA.getByTestId('comment-message').nth(0).getByTestId('comment-edit')).toBeVisible();
  await expect(popoverA.getByTestId('comment-message').nth(1).getByTestId('comment-edit')).toHaveCount(0);

  // The pin rides on its shape: Alice moves the box 200 px right, Bob's pin moves with it.
  const before = await centreOf(b, `[data-testid="comment-pin"][data-thread-id="${threadId}"]`);
  await a.evaluate((box) => void window.__scrawl.editor.updateShape({ id: box.id, type: 'geo', x: box.x + 200 }), BOX);
  await expect.poll(async () => Math.round((await centreOf(b, `[data-testid="comment-pin"][data-thread-id="${threadId}"]`)).x - before.x)).toBe(200);

  // --- Alice resolves.
  await a.getByTestId('comment-resolve').click();
  await expect(popoverA).toHaveAttribute('data-resolved', 'true');
  await expect(popoverB).toHaveAttribute('data-resolved', 'true');
  await expect(popoverB).toContainText('Resolved by Alice');
  const link = (await popoverA.getByTestId('comment-copy-link').getAttribute('data-link'))!;
  expect(link).toBe(`${server.url}/b/${room}?comment=${threadId}`);
  await expect.poll(() => a.evaluate(() => window.__scrawl.status().unsyncedChanges)).toBe(0);

  // --- Restart the server: the thread is in the store.
  await server.restart();
  const response = await fetch(`${server.url}/api/rooms/${room}/comments`);
  expect(response.status).toBe(200);
  const { threads } = (await response.json()) as { threads: any[] };
  expect(threads).toHaveLength(1);
  expect(threads[0]).toMatchObject({
    id: threadId,
    resolved: { by: { name: 'Alice' } },
    messages: [
      { authorName: 'Alice', text: 'Is this the final colour?' },
      { authorName: 'Bob', text: 'Not yet: make it blue' },
    ],
  });

  // --- A fresh browser: resolved threads are off the board and out of the panel until "Show resolved".
  const c = await (await boards.newContext()).open(room, 'Carol');
  await c.evaluate(() => window.__scrawl.editor.setCamera({ x: -4000, y: -4000, z: 1 }));
  await expect(c.getByTestId('comment-pin')).toHaveCount(0);
  await c.getByTestId('comments-panel-toggle').click();
  const panel = c.getByTestId('comments-panel');
  await expect(panel).toContainText('No open comments.');
  await panel.getByTestId('comments-show-resolved').check();
  const item = panel.locator(`[data-testid="comments-panel-item"][data-thread-id="${threadId}"]`);
  await expect(item).toContainText('Is this the final colour?');
  await expect(item).toContainText('1 reply');
  await item.click();
  const popoverC = c.getByTestId('comment-popover');
  await expect(popoverC).toHaveAttribute('data-thread-id', threadId);
  await expect(popoverC.getByTestId('comment-text')).toHaveText(['Is this the final colour?', 'Not yet: make it blue']);
  await expectPinInView(c, threadId);

  // --- The copied link, in another fresh browser: the board opens with the thread open and its pin in view.
  const d = await (await boards.newContext()).context.newPage();
  await d.goto(link);
  await waitUntilConnected(d);
  const popoverD = d.getByTestId('comment-popover');
  await expect(popoverD).toHaveAttribute('data-thread-id', threadId);
  await expect(popoverD).toContainText('Resolved by Alice');
  await expectPinInView(d, threadId);

  // Bob's tab reconnected after the restart and still works: he reopens the thread, Carol sees it open again.
  await waitUntilConnected(b, 30_000);
  await b.getByTestId('comment-reopen').click();
  await expect(popoverC).not.toHaveAttribute('data-resolved', 'true');

  // A view-only link with the thread's id: the thread opens, but there is nothing to write with.
  const viewer = await (await boards.newContext()).context.newPage();
  await viewer.goto(`${server.url}/b/${room}?view=1&comment=${threadId}`);
  await waitUntilConnected(viewer);
  await expect(viewer.getByTestId('comment-popover')).toHaveAttribute('data-thread-id', threadId);
  await expect(viewer.getByTestId('comment-popover').getByTestId('comment-text')).toHaveCount(2);
  await expect(viewer.getByTestId('comment-input')).toHaveCount(0);
  await expect(viewer.getByTestId('comment-resolve')).toHaveCount(0);
  await expect(viewer.getByTestId('comment-tool')).toHaveCount(0);
});

test('edit and delete your own messages; a deleted shape leaves its comments where it was, undo puts them back on it, and a dragged pin moves its thread', async ({ boards, room }) => {
  const a = await (await boards.newContext()).open(room, 'Alice');
  const b = await (await boards.newContext()).open(room, 'Bob');
  await a.evaluate((box) => {
    // Filled, so that a click inside selects it.
    window.__scrawl.editor.createShapes([{ id: box.id, type: 'geo', x: box.x, y: box.y, props: { w: box.w, h: box.h, fill: 'solid' } }]);
    window.__scrawl.editor.selectNone();
  }, BOX);
  await a.getByTestId('comment-tool').click();
  const onShape = await a.evaluate(({ x, y }) => window.__scrawl.editor.pageToScreen({ x: x + 30, y: y + 30 }), BOX);
  await a.mouse.click(onShape.x, onShape.y);
  await a.getByTestId('comment-input').fill('Typo in the title');
  await a.getByTestId('comment-send').click();
  const popoverA = a.getByTestId('comment-popover');
  await expect(popoverA).toHaveAttribute('data-thread-id', /^[a-z0-9]{12}$/);
  const threadId = (await popoverA.getAttribute('data-thread-id'))!;
  const pinOnB = `[data-testid="comment-pin"][data-thread-id="${threadId}"]`;
  await expect(b.locator(pinOnB)).toBeVisible();

  // Edit her message; reply and delete the reply. Bob sees the edit and the deleted reply's place.
  await popoverA.getByTestId('comment-edit').click();
  await popoverA.getByTestId('comment-edit-input').fill('Typo in the title: "Scrwal"');
  await popoverA.getByTestId('comment-edit-input').press('Enter');
  await a.getByTestId('comment-input').fill('never mind');
  await a.getByTestId('comment-input').press('Enter');
  await expect(popoverA.getByTestId('comment-message')).toHaveCount(2);
  await popoverA.getByTestId('comment-message').nth(1).getByTestId('comment-delete').click();
  await b.locator(pinOnB).click();
  const popoverB = b.getByTestId('comment-popover');
  await expect(popoverB.getByTestId('comment-text')).toHaveText(['Typo in the title: "Scrwal"']);
  await expect(popoverB).toContainText('(edited)');
  await expect(popoverB).toContainText('Message deleted');
  await expect(popoverB.getByTestId('comment-edit'), "Bob may not edit Alice's message").toHaveCount(0);
  await popoverB.getByTestId('comment-close').click();

  // Alice deletes the box with the keyboard: Bob's pin stays where it was.
  await popoverA.getByTestId('comment-close').click();
  const before = await centreOf(b, pinOnB);
  const boxCentre = await a.evaluate(({ x, y, w, h }) => window.__scrawl.editor.pageToScreen({ x: x + w / 2, y: y + h - 20 }), BOX);
  await a.mouse.click(boxCentre.x, boxCentre.y);
  await expect.poll(() => a.evaluate(() => window.__scrawl.editor.getSelectedShapeIds())).toEqual([BOX.id]);
  await a.keyboard.press('Delete');
  await expect.poll(() => b.evaluate((id) => !!window.__scrawl.editor.getShape(id), BOX.id)).toBe(false);
  await expect.poll(async () => (await threadsOf(b))[0].anchor).toMatchObject({ type: 'point', detachedFrom: { shapeId: BOX.id } });
  const after = await centreOf(b, pinOnB);
  expect(Math.abs(after.x - before.x) + Math.abs(after.y - before.y), 'the pin did not move').toBeLessThan(2);

  // Undo brings the box back and the pin rides on it again.
  await a.keyboard.press('ControlOrMeta+z');
  await expect.poll(() => b.evaluate((id) => !!window.__scrawl.editor.getShape(id), BOX.id)).toBe(true);
  await a.evaluate((box) => void window.__scrawl.editor.updateShape({ id: box.id, type: 'geo', x: box.x + 150 }), BOX);
  await expect.poll(async () => Math.round((await centreOf(b, pinOnB)).x - before.x)).toBe(150);

  // Bob drags the pin off the box onto an empty spot: the thread is pinned there for everyone, no longer on the box,
  // and the drag opened nothing.
  const pin = await centreOf(b, pinOnB);
  await b.mouse.move(pin.x, pin.y);
  await b.mouse.down();
  await b.mouse.move(pin.x - 100, pin.y + 250, { steps: 8 });
  await b.mouse.up();
  await expect.poll(async () => (await threadsOf(a))[0].anchor.type).toBe('point');
  await expect(b.getByTestId('comment-popover')).toHaveCount(0);
  const dropped = await centreOf(a, pinOnB);
  await a.evaluate((box) => void window.__scrawl.editor.updateShape({ id: box.id, type: 'geo', x: box.x + 300 }), BOX);
  await a.waitForTimeout(200);
  const still = await centreOf(a, pinOnB);
  expect(Math.abs(still.x - dropped.x) + Math.abs(still.y - dropped.y), 'the pin no longer rides on the box').toBeLessThan(2);
  // Dragged back onto the box, it rides on it again; a click (no drag) still opens the thread.
  const boxNow = await a.evaluate(({ x, y, w, h }) => window.__scrawl.editor.pageToScreen({ x: x + 300 + w / 2, y: y + h / 2 }), BOX);
  const pinA = await centreOf(a, pinOnB);
  await a.mouse.move(pinA.x, pinA.y);
  await a.mouse.down();
  await a.mouse.move(boxNow.x, boxNow.y, { steps: 8 });
  await a.mouse.up();
  await expect.poll(async () => (await threadsOf(b))[0].anchor).toMatchObject({ type: 'shape', shapeId: BOX.id });
  await a.locator(pinOnB).click();
  await expect(a.getByTestId('comment-popover')).toHaveAttribute('data-thread-id', threadId);
});

/** The thread's pin is on screen, within the middle half of the viewport (the camera moved to it). */
async function expectPinInView(page: Page, threadId: string): Promise<void> {
  const pin = page.locator(`[data-testid="comment-pin"][data-thread-id="${threadId}"]`);
  await expect(pin).toBeVisible();
  await expect
    .poll(async () => {
      const { x, y } = await centreOf(page, `[data-testid="comment-pin"][data-thread-id="${threadId}"]`);
      const { width, height } = page.viewportSize()!;
      return x > width / 4 && x < (width * 3) / 4 && y > height / 4 && y < (height * 3) / 4;
    })
    .toBe(true);
}
