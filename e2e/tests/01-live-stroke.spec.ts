import type { Page } from '@playwright/test';
import { drawStroke, strokesOf, wavyPath, type ShapeJson } from '../src/board.ts';
import { expect, test } from '../src/fixtures.ts';

/** In B: stamps (Date.now()) when the next remote document change reaches the Y.Doc and then the tldraw store. */
async function installArrivalProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const probe = { armed: false, docAt: 0, storeAt: 0 };
    (window as any).__arrival = probe;
    window.__scrawl.doc.on('update', (_update: unknown, origin: unknown) => {
      if (probe.armed && !probe.docAt && origin !== null) probe.docAt = Date.now();
    });
    window.__scrawl.store.listen(
      () => {
        if (probe.armed && !probe.storeAt) probe.storeAt = Date.now();
      },
      { source: 'remote', scope: 'document' },
    );
  });
}

/** In A: stamps when the next local change leaves as a Yjs update (the binding writes once per frame). */
async function installSendProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const probe = { armed: false, sentAt: 0 };
    (window as any).__sent = probe;
    window.__scrawl.doc.on('update', (_update: unknown, origin: unknown) => {
      if (probe.armed && !probe.sentAt && origin !== window.__scrawl.provider) probe.sentAt = Date.now();
    });
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

test('a stroke drawn in A appears in B while A is still drawing, and matches when finished', async ({ boards, room }) => {
  const a = await (await boards.newContext()).open(room, 'Alice');
  const b = await (await boards.newContext()).open(room, 'Bob');
  await installArrivalProbe(b);
  await installSendProbe(a);

  const path = wavyPath(300, 300, 40);
  const firstHalf = path.slice(0, 20);
  const secondHalf = path.slice(20);
  const docDelays: number[] = [];
  const storeDelays: number[] = [];
  const wireDelays: number[] = [];
  let inProgressInA: ShapeJson | undefined;

  await drawStroke(a, firstHalf, async () => {
    // Still drawing: pointer is down. B must already have the stroke, unfinished.
    const strokesInA = await strokesOf(a);
    expect(strokesInA).toHaveLength(1);
    inProgressInA = strokesInA[0];
    expect(inProgressInA.props.isComplete, 'the stroke in A is still in progress').toBe(false);
    await expect
      .poll(async () => (await strokesOf(b)).map((shape) => shape.id), { message: 'B sees the unfinished stroke' })
      .toEqual([inProgressInA.id]);
    expect((await strokesOf(b))[0].props.isComplete).toBe(false);

    // Delay of single pointer moves, A's mouse event to B's doc and B's store (same machine, same clock).
    for (const [x, y] of secondHalf) {
      await b.evaluate(() => Object.assign((window as any).__arrival, { armed: true, docAt: 0, storeAt: 0 }));
      await a.evaluate(() => Object.assign((window as any).__sent, { armed: true, sentAt: 0 }));
      const movedAt = Date.now();
      await a.mouse.move(x, y);
      await b.waitForFunction(() => (window as any).__arrival.storeAt > 0, null, { timeout: 5_000 });
      const { docAt, storeAt } = await b.evaluate(() => (window as any).__arrival);
      const { sentAt } = await a.evaluate(() => (window as any).__sent);
      docDelays.push(docAt - movedAt);
      storeDelays.push(storeAt - movedAt);
      if (sentAt) wireDelays.push(docAt - sentAt);
      await b.evaluate(() => ((window as any).__arrival.armed = false));
    }
    // Every move so far is in B while the pointer is still down.
    await expect
      .poll(async () => (await strokesOf(b))[0]?.props.segments, { message: 'B follows the stroke as it grows' })
      .toEqual((await strokesOf(a))[0].props.segments);
  });

  const [finishedInA] = await strokesOf(a);
  expect(finishedInA.id).toBe(inProgressInA!.id);
  expect(finishedInA.props.isComplete).toBe(true);
  await expect.poll(() => strokesOf(b), { message: 'the finished stroke is identical in B' }).toEqual([finishedInA]);

  const summary =
    `A->B stroke delay over ${storeDelays.length} pointer moves: ` +
    `to B's editor median ${median(storeDelays)} ms, max ${Math.max(...storeDelays)} ms ` +
    `(to B's Y.Doc median ${median(docDelays)} ms, max ${Math.max(...docDelays)} ms; ` +
    `from A's outgoing Yjs update to B's Y.Doc median ${median(wireDelays)} ms, max ${Math.max(...wireDelays)} ms)`;
  console.log(summary);
  test.info().annotations.push({ type: 'measure', description: summary });
});
