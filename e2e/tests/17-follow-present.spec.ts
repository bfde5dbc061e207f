import type { Page } from '@playwright/test';
import { expect, test } from '../src/fixtures.ts';

/**
 * Issue 17 item 2, follow and present, in three real Chromium contexts on the real server: tldraw's own follow works
 * over Scrawl's awareness presence (B follows A; A pans and zooms; B's camera matches A's within 200 ms), and
 * "Present" in the main menu makes everyone in the room follow the presenter, a late joiner included, with the
 * board's frames as slides (next frame moves everyone; a follower can leave; Stop releases everyone).
 */

interface Camera {
  x: number;
  y: number;
  z: number;
}

/** Three frames whose reading order (1, 2, 3) differs from their creation order. */
const FRAMES = [
  { id: 'shape:slide-3', name: 'Three', x: 0, y: 1500, w: 800, h: 450 },
  { id: 'shape:slide-2', name: 'Two', x: 2000, y: 40, w: 800, h: 450 },
  { id: 'shape:slide-1', name: 'One', x: 0, y: 0, w: 800, h: 450 },
] as const;

const cameraOf = (page: Page): Promise<Camera> => page.evaluate(() => window.__scrawl.editor.getCamera());
const followingOf = (page: Page): Promise<string | null> => page.evaluate(() => window.__scrawl.editor.getInstanceState().followingUserId);
const userIdOf = (page: Page): Promise<string> => page.evaluate(() => window.__scrawl.editor.user.getRecordId());
/** Centre of the page's viewport in page coordinates, rounded: where on the board this person is looking. */
const lookingAt = (page: Page): Promise<{ x: number; y: number }> =>
  page.evaluate(() => {
    const { center } = window.__scrawl.editor.getViewportPageBounds();
    return { x: Math.round(center.x), y: Math.round(center.y) };
  });
const frameCentre = (id: string) => {
  const frame = FRAMES.find((f) => f.id === id)!;
  return { x: Math.round(frame.x + frame.w / 2), y: Math.round(frame.y + frame.h / 2) };
};
const near = (value: number) => expect.closeTo(value, -0.5) as never; // within ±1.6 px

/** How close two cameras must be to count as the same: B's is computed from A's viewport, so float noise differs. */
const SAME = { xy: 0.5, z: 1e-3 };

/** Waits until `page`'s camera equals `target` and returns when that was (the page's clock: same machine as A's). */
async function matchedAt(page: Page, target: Camera): Promise<number> {
  const handle = await page.waitForFunction(
    ({ t, tol }) => {
      const c = window.__scrawl.editor.getCamera();
      return Math.abs(c.x - t.x) < tol.xy && Math.abs(c.y - t.y) < tol.xy && Math.abs(c.z - t.z) < tol.z ? Date.now() : false;
    },
    { t: target, tol: SAME },
    { polling: 'raf', timeout: 5_000 },
  );
  return (await handle.jsonValue()) as number;
}

/**
 * Starts watching for the moment `page`'s camera becomes `target` (a follower's camera is derived from the leader's
 * presence record, which arrives with an awareness change). Checking on each change rather than by polling from the
 * test keeps Playwright's own round trips out of the latency; {@link watchedMatch} reads the result.
 */
async function watchForCamera(page: Page, target: Camera): Promise<void> {
  await page.evaluate(
    ({ t, tol }) => {
      const editor = window.__scrawl.editor;
      const w = window as unknown as { __cameraWatch?: { at: number | null; stop: () => void } };
      w.__cameraWatch?.stop();
      const watch = { at: null as number | null, stop: () => {} };
      const check = () => {
        const c = editor.getCamera();
        if (watch.at === null && Math.abs(c.x - t.x) < tol.xy && Math.abs(c.y - t.y) < tol.xy && Math.abs(c.z - t.z) < tol.z) watch.at = Date.now();
      };
      // After Scrawl's presence sync has put the leader's record (it listened first); the store listener is a backstop.
      const awareness = window.__scrawl.provider.awareness!;
      awareness.on('change', check);
      const unlisten = editor.store.listen(check);
      watch.stop = () => {
        awareness.off('change', check);
        unlisten();
      };
      w.__cameraWatch = watch;
    },
    { t: target, tol: SAME },
  );
}

/** When the camera watched by {@link watchForCamera} matched (waits up to 5 s). */
async function watchedMatch(page: Page): Promise<number> {
  const handle = await page.waitForFunction(() => (window as unknown as { __cameraWatch: { at: number | null } }).__cameraWatch.at ?? false, null, {
    timeout: 5_000,
  });
  return (await handle.jsonValue()) as number;
}

test('B follows A (camera within 200 ms); A presents, a late joiner follows, next frame moves everyone', async ({ boards, room }) => {
  const a = await (await boards.newContext()).open(room, 'Alice');
  const b = await (await boards.newContext()).open(room, 'Bob');
  await a.evaluate((frames) => {
    window.__scrawl.editor.createShapes(frames.map(({ id, name, x, y, w, h }) => ({ id, type: 'frame', x, y, props: { name, w, h } })) as never);
  }, [...FRAMES]);
  const alice = await userIdOf(a);

  // B sees A in tldraw's collaborators (what the People menu lists), with what following needs.
  await a.mouse.move(400, 300);
  await a.mouse.move(420, 320, { steps: 3 });
  await expect
    .poll(() =>
      b.evaluate(() =>
        window.__scrawl.editor.getCollaborators().map((p: any) => ({ userId: p.userId, userName: p.userName, hasCamera: !!p.camera, w: p.screenBounds?.w ?? 0 })),
      ),
    )
    .toEqual([{ userId: alice, userName: 'Alice', hasCamera: true, w: 1280 }]);

  // --- Follow: B follows A with tldraw's own People menu (its follow button calls editor.startFollowingUser).
  await b.locator('.tlui-people-menu__avatars-button').click();
  await b.locator('.tlui-people-menu__item', { hasText: 'Alice' }).locator('.tlui-people-menu__item__follow').click();
  await expect.poll(() => followingOf(b)).toBe(alice);
  await b.keyboard.press('Escape');

  // A pans (wheel) and zooms (ctrl + wheel) with real input; B ends up where A is.
  await a.mouse.move(640, 360);
  await a.mouse.wheel(300, 200);
  await a.keyboard.down('Control');
  await a.mouse.wheel(0, -200);
  await a.keyboard.up('Control');
  await expect.poll(async () => (await cameraOf(a)).z).not.toBe(1);
  const settled = await cameraOf(a);
  await matchedAt(b, settled);

  // Timed: A moves the camera seven times; B's camera matches A's within 200 ms (median), never later than 400 ms.
  const lags: number[] = [];
  for (const [i, move] of [
    { x: -400, y: -250, z: 1 },
    { x: 200, y: 400, z: 1.5 },
    { x: -2500, y: -300, z: 0.4 },
    { x: -900, y: 120, z: 0.5 },
    { x: 300, y: -800, z: 2 },
    { x: -1500, y: -60, z: 0.75 },
    { x: 0, y: 0, z: 1.25 },
  ].entries()) {
    await watchForCamera(b, move);
    const at = await a.evaluate((target) => {
      window.__scrawl.editor.setCamera(target);
      return Date.now();
    }, move);
    expect(await cameraOf(a)).toEqual(expect.objectContaining(move));
    const lag = (await watchedMatch(b)) - at;
    lags.push(lag);
    // A hard ceiling per move; the 200 ms bound is on the median below: on a 2-core machine running three Chromiums
    // and the server (and, in CI, other jobs) a single move now and then takes a scheduler slice longer (seen: 181 ms
    // at load average 14), which says nothing about the follow path.
    expect(lag, `move ${i}: B's camera matched A's after ${lag} ms`).toBeLessThanOrEqual(400);
  }
  const median = [...lags].sort((x, y) => x - y)[Math.floor(lags.length / 2)];
  const summary = `follow: B's camera matched A's after ${lags.join(', ')} ms (median ${median}, max ${Math.max(...lags)} ms)`;
  console.log(summary);
  test.info().annotations.push({ type: 'measure', description: summary });
  expect(median, summary).toBeLessThanOrEqual(200);

  // B stops following and looks elsewhere.
  await b.evaluate(() => {
    const editor = window.__scrawl.editor;
    editor.stopFollowingUser();
    editor.setCamera({ x: 5000, y: 5000, z: 1 });
  });
  expect(await followingOf(b)).toBeNull();

  // --- Present: A presses Present in the main menu; B is pulled in and says so.
  await a.getByTestId('main-menu.button').click();
  await a.getByTestId('main-menu.scrawl-present').click();
  const barA = a.getByTestId('presentation-bar');
  await expect(barA).toHaveAttribute('data-state', 'presenting');
  await expect(barA).toContainText('Presenting');
  const barB = b.getByTestId('presentation-bar');
  await expect(barB).toHaveAttribute('data-state', 'following');
  await expect(barB).toContainText('Following Alice');
  await expect.poll(() => followingOf(b)).toBe(alice);

  // C joins late and follows the presentation.
  const c = await (await boards.newContext()).open(room, 'Carol');
  const barC = c.getByTestId('presentation-bar');
  await expect(barC).toContainText('Following Alice');
  await expect.poll(() => followingOf(c)).toBe(alice);

  // Next frame (button): everyone looks at frame One, the first in reading order.
  await barA.getByRole('button', { name: 'Next frame' }).click();
  for (const page of [a, b, c]) await expect.poll(() => lookingAt(page)).toEqual({ x: near(frameCentre('shape:slide-1').x), y: near(frameCentre('shape:slide-1').y) });
  await expect(a.getByTestId('presentation-slide')).toHaveText('1 / 3');

  // Next frame (arrow key): frame Two, to the right of One.
  await a.keyboard.press('ArrowRight');
  for (const page of [a, b, c]) await expect.poll(() => lookingAt(page)).toEqual({ x: near(frameCentre('shape:slide-2').x), y: near(frameCentre('shape:slide-2').y) });
  await expect(a.getByTestId('presentation-slide')).toHaveText('2 / 3');
  const [camA, camB] = [await cameraOf(a), await cameraOf(b)];
  expect(camB).toMatchObject({ x: expect.closeTo(camA.x, 3), y: expect.closeTo(camA.y, 3), z: expect.closeTo(camA.z, 6) });

  // B leaves; the next frame moves C but not B, whose bar offers to follow again.
  await barB.getByRole('button', { name: 'Leave' }).click();
  await expect(barB).toHaveAttribute('data-state', 'left');
  await expect(barB).toContainText('Alice is presenting');
  expect(await followingOf(b)).toBeNull();
  await a.keyboard.press('ArrowRight');
  await expect.poll(() => lookingAt(c)).toEqual({ x: near(frameCentre('shape:slide-3').x), y: near(frameCentre('shape:slide-3').y) });
  expect(await lookingAt(b)).toEqual({ x: near(frameCentre('shape:slide-2').x), y: near(frameCentre('shape:slide-2').y) });
  // Back (arrow key) and B follows again.
  await barB.getByRole('button', { name: 'Follow' }).click();
  await a.keyboard.press('ArrowLeft');
  for (const page of [a, b, c]) await expect.poll(() => lookingAt(page)).toEqual({ x: near(frameCentre('shape:slide-2').x), y: near(frameCentre('shape:slide-2').y) });

  // Stop: everyone is released and the bars go away.
  await barA.getByRole('button', { name: 'Stop' }).click();
  for (const page of [a, b, c]) await expect(page.getByTestId('presentation-bar')).toHaveCount(0);
  await expect.poll(() => followingOf(b)).toBeNull();
  await expect.poll(() => followingOf(c)).toBeNull();
});

test('when the presenter closes the tab, followers are released', async ({ boards, room }) => {
  const a = await (await boards.newContext()).open(room, 'Alice');
  const b = await (await boards.newContext()).open(room, 'Bob');
  await a.getByTestId('main-menu.button').click();
  await a.getByTestId('main-menu.scrawl-present').click();
  await expect(b.getByTestId('presentation-bar')).toContainText('Following Alice');
  await a.close();
  await expect(b.getByTestId('presentation-bar')).toHaveCount(0);
  await expect.poll(() => followingOf(b)).toBeNull();
});
