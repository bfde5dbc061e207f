import type { Page } from '@playwright/test';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { waitUntilConnected } from '../src/board.ts';
import { expect, test } from '../src/fixtures.ts';

/**
 * Issue 17, per-character text: two people type into one label at once (one at the end, one at the start, 60 ms
 * between keys) and both end with every character of both words and the original text; a third page that only
 * watches sees the text grow as it is typed. Rounds: a text shape, a sticky note, a geo shape's label; then the
 * sticky note with one typist offline.
 */

const ORIGINAL = 'Hello world';
const richText = (text: string) => ({ type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });

/** Creates a shape of `kind` holding ORIGINAL, selected by nobody; returns its id. */
async function createLabelled(page: Page, kind: 'text' | 'note' | 'geo', name: string): Promise<string> {
  const id = `shape:${name}`;
  const props = kind === 'geo' ? { w: 320, h: 160, richText: richText(ORIGINAL) } : { richText: richText(ORIGINAL) };
  await page.evaluate(
    ({ id, kind, props }) => {
      const editor = window.__scrawl.editor;
      const center = editor.getViewportPageBounds().center;
      editor.createShape({ id, type: kind, x: center.x - 160, y: center.y - 80, props });
      editor.selectNone();
    },
    { id, kind, props },
  );
  return id;
}

/** The label's plain text as the page's store has it. */
function labelText(page: Page, id: string): Promise<string | null> {
  return page.evaluate((id) => {
    const shape = window.__scrawl.editor.getShape(id);
    if (!shape) return null;
    const blocks = (shape.props.richText?.content ?? []) as Array<{ content?: Array<{ text?: string }> }>;
    return blocks.map((block) => (block.content ?? []).map((node) => node.text ?? '').join('')).join('\n');
  }, id);
}

/** Starts editing the label the way Enter does on a selected shape, then puts the caret at its start or end. */
async function editAt(page: Page, id: string, where: 'start' | 'end'): Promise<void> {
  await page.evaluate((id) => {
    const editor = window.__scrawl.editor;
    editor.select(id);
    editor.setEditingShape(id);
  }, id);
  const editable = page.locator('[data-testid="rich-text-area"] [contenteditable="true"]');
  await expect(editable).toBeFocused();
  // tldraw puts the caret at the end 100 ms after the editor mounts; move it only after that.
  await page.waitForTimeout(300);
  await page.keyboard.press(where === 'start' ? 'Control+Home' : 'Control+End');
}

/** The distinct texts a watching page's store held, kept in the page itself. */
interface LabelWatch {
  seen: string[];
  stop(): void;
}

/**
 * Starts recording, inside the page, every distinct text the label takes in the page's store (a store listener, so
 * nothing is missed however slowly the test's own polling would run on a loaded machine); {@link stopWatching} ends it.
 */
async function startWatching(page: Page, id: string): Promise<void> {
  await page.evaluate((id) => {
    const editor = window.__scrawl.editor;
    const seen: string[] = [];
    const record = () => {
      const shape = editor.getShape(id);
      if (!shape) return;
      const blocks = (shape.props.richText?.content ?? []) as Array<{ content?: Array<{ text?: string }> }>;
      const text = blocks.map((block) => (block.content ?? []).map((node) => node.text ?? '').join('')).join('\n');
      if (text !== seen.at(-1)) seen.push(text);
    };
    record();
    const stop = editor.store.listen(record, { scope: 'document' });
    (window as unknown as { __labelWatch: LabelWatch }).__labelWatch = { seen, stop };
  }, id);
}

/** Ends {@link startWatching}'s recording and returns the texts seen, in order. */
function stopWatching(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const watch = (window as unknown as { __labelWatch: LabelWatch }).__labelWatch;
    watch.stop();
    return watch.seen;
  });
}

const kinds = ['text', 'note', 'geo'] as const;

test('two people typing into one label at once keep every character; a watcher sees it typed', async ({ boards, room }) => {
  test.setTimeout(120_000);
  const a = await (await boards.newContext()).open(room, 'Alice');
  const b = await (await boards.newContext()).open(room, 'Bob');
  const c = await (await boards.newContext()).open(room, 'Carol');
  for (const kind of kinds) {
    await test.step(kind, async () => {
      const id = await createLabelled(a, kind, `merge-${kind}`);
      for (const page of [b, c]) await expect.poll(() => labelText(page, id)).toBe(ORIGINAL);
      await editAt(a, id, 'end');
      await editAt(b, id, 'start');
      await startWatching(c, id);
      await Promise.all([a.keyboard.type(' alpha', { delay: 60 }), b.keyboard.type('beta ', { delay: 60 })]);
      const merged = `beta ${ORIGINAL} alpha`;
      for (const page of [a, b, c]) await expect.poll(() => labelText(page, id), { message: `${kind} label` }).toBe(merged);
      const seenByC = await stopWatching(c);
      // The watcher saw it grow key by key, not jump from the original to the end result.
      expect(seenByC.length, `texts C saw: ${JSON.stringify(seenByC)}`).toBeGreaterThanOrEqual(6);
      for (const text of seenByC) expect(text.includes('Hello world') || text === merged).toBe(true);

      if (kind === 'note') {
        // Undo while editing takes back only my own typing (in steps: y-undo groups keys typed within 500 ms).
        for (let i = 0; i < 6 && (await labelText(a, id)) !== `beta ${ORIGINAL}`; i++) {
          await a.keyboard.press('Control+z');
          await a.waitForTimeout(200);
          const text = (await labelText(a, id))!;
          expect(text.startsWith(`beta ${ORIGINAL}`) && merged.startsWith(text), `after undo: ${text}`).toBe(true);
        }
        for (const page of [a, b, c]) await expect.poll(() => labelText(page, id), { message: 'after A undoes' }).toBe(`beta ${ORIGINAL}`);
        for (let i = 0; i < 6 && (await labelText(a, id)) !== merged; i++) {
          await a.keyboard.press('Control+Shift+z');
          await a.waitForTimeout(200);
        }
        for (const page of [a, b, c]) await expect.poll(() => labelText(page, id), { message: 'after A redoes' }).toBe(merged);
      }
      for (const page of [a, b]) await page.keyboard.press('Escape');
      // props.richText in the document (what the catalog, exports and Node readers see) gets the merged text.
      await expect
        .poll(() =>
          c.evaluate((id) => {
            const props = window.__scrawl.doc.getMap('records').get(id)?.get('props');
            const json = props?.get('richText');
            return (json?.content ?? []).map((block: any) => (block.content ?? []).map((n: any) => n.text).join('')).join('\n');
          }, id),
        )
        .toBe(merged);
    });
  }
});

test('offline: one types into a note offline, the other online; after reconnecting both words are there, once', async ({ boards, room }) => {
  test.setTimeout(90_000);
  const contextA = await boards.newContext();
  const a = await contextA.open(room, 'Alice');
  const b = await (await boards.newContext()).open(room, 'Bob');
  const id = await createLabelled(a, 'note', 'offline-note');
  await expect.poll(() => labelText(b, id)).toBe(ORIGINAL);

  await contextA.network.goOffline();
  await expect.poll(() => a.evaluate(() => window.__scrawl.status().state)).toBe('offline');
  await editAt(a, id, 'end');
  await editAt(b, id, 'start');
  await Promise.all([a.keyboard.type(' alpha', { delay: 60 }), b.keyboard.type('beta ', { delay: 60 })]);
  await expect.poll(() => labelText(a, id)).toBe(`${ORIGINAL} alpha`);
  await expect.poll(() => labelText(b, id)).toBe(`beta ${ORIGINAL}`);

  await contextA.network.goOnline();
  await waitUntilConnected(a, 30_000);
  const merged = `beta ${ORIGINAL} alpha`;
  for (const page of [a, b]) await expect.poll(() => labelText(page, id), { message: 'after reconnecting' }).toBe(merged);
  for (const page of [a, b]) await page.keyboard.press('Escape');
  for (const page of [a, b]) await expect.poll(() => labelText(page, id)).toBe(merged);
});

test('a Node y-websocket client edits a label per character (docs/document-schema.md) and the browser shows it', async ({ boards, room, server }) => {
  const a = await (await boards.newContext()).open(room, 'Alice');
  const id = await createLabelled(a, 'geo', 'node-label');
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${server.wsUrl}/yjs`, room, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true });
  try {
    await new Promise<void>((resolve) => provider.once('sync', () => resolve()));
    const records = doc.getMap<Y.Map<any>>('records');
    await expect.poll(() => records.has(id)).toBe(true);
    const props = records.get(id)!.get('props') as Y.Map<any>;
    const texts = doc.getMap<Y.Map<any>>('texts');
    // The label has no fragment yet (nobody edited it): seed one from props.richText, as the document schema says.
    expect(texts.has(id)).toBe(false);
    doc.transact(() => {
      const entry = new Y.Map<any>();
      texts.set(id, entry);
      const fragment = new Y.XmlFragment();
      entry.set('fragment', fragment);
      const paragraph = new Y.XmlElement('paragraph');
      fragment.insert(0, [paragraph]);
      paragraph.insert(0, [new Y.XmlText(ORIGINAL)]);
      entry.set('committed', props.get('richText'));
    });
    const text = () => ((texts.get(id)!.get('fragment') as Y.XmlFragment).get(0) as Y.XmlElement).get(0) as Y.XmlText;
    for (const char of ' from Node') text().insert(text().length, char);
    await expect.poll(() => labelText(a, id), { message: "Node's typing in the browser" }).toBe(`${ORIGINAL} from Node`);
    await expect(a.locator(`.tl-shape[data-shape-id="${id}"]`)).toContainText(`${ORIGINAL} from Node`);

    // And back: the browser types into the same fragment; Node sees the characters and, once typing pauses, props.richText.
    await editAt(a, id, 'end');
    await a.keyboard.type('!', { delay: 60 });
    await expect.poll(() => text().toString()).toBe(`${ORIGINAL} from Node!`);
    await a.keyboard.press('Escape');
    await expect.poll(() => JSON.stringify(props.get('richText'))).toContain(`${ORIGINAL} from Node!`);
  } finally {
    provider.destroy();
    doc.destroy();
  }
});
