import type { Page } from '@playwright/test';
import { expect, test } from '../src/fixtures.ts';

/**
 * Issue 18, item 7: a label must look the same to everyone. The writer types into a text shape, a sticky note and a
 * geo shape's label (texts of several lengths, one long enough to wrap in the note and the geo shape); then a fresh
 * reader context opens the board, and the writer reloads. Each label's rendered size (its box and its number of
 * lines) in every page must equal the writer's as typed, within 1 px, and so must the label's part of the shape's
 * geometry (hit tests and editing use it); an autoSize text shape's stored `w` must equal its rendered width everywhere.
 */

const texts = {
  short: 'Hi',
  issue: 'Hello from Alice today',
  long: 'The quick brown fox jumps over the lazy dog, then naps in the warm afternoon sun by the old barn door',
};
const kinds = ['text', 'note', 'geo'] as const;
type Kind = (typeof kinds)[number];

/** What one page shows of one label, in page units (divided by the zoom, so cameras do not matter). */
interface LabelBox {
  width: number;
  height: number;
  lines: number;
  /** The text the label shows, line by line. */
  lineTexts: string[];
  /** The label's part of the shape's geometry (what hit tests and editing use), from tldraw's measurement. */
  geometry: { width: number; height: number };
  /** The shape's stored `props.w` (text shapes) and `props.autoSize`. */
  storedW: number | null;
  autoSize: boolean | null;
}

/** Where the writer puts the shape for (kind, length): inside the first screen of a fresh page (camera at 0,0). */
function spot(kind: Kind, index: number): { x: number; y: number } {
  return { x: 60 + kinds.indexOf(kind) * 400, y: 60 + index * 210 };
}

/** Types `text` into a new shape of `kind` the way a person does: tool, click (or Enter on a new geo), keys, Escape. */
async function write(page: Page, kind: Kind, index: number, text: string): Promise<string> {
  const { x, y } = spot(kind, index);
  const before = new Set<string>(await page.evaluate(() => [...window.__scrawl.editor.getCurrentPageShapeIds()]));
  if (kind === 'geo') {
    await page.evaluate(({ x, y }) => {
      const editor = window.__scrawl.editor;
      editor.createShape({ type: 'geo', x, y, props: { w: 300, h: 150 } });
      editor.select(editor.getCurrentPageShapesSorted().at(-1)!.id);
    }, { x, y });
    await page.keyboard.press('Enter');
  } else {
    await page.keyboard.press(kind === 'text' ? 't' : 'n');
    await page.mouse.click(x + 20, y + 20);
  }
  const editable = page.locator('[data-testid="rich-text-area"] [contenteditable="true"]');
  await expect(editable).toBeFocused();
  await page.keyboard.type(text, { delay: 15 });
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  const made = await page.evaluate((before) => {
    const ids = [...window.__scrawl.editor.getCurrentPageShapeIds()] as string[];
    return ids.filter((id) => !before.includes(id));
  }, [...before]);
  if (made.length !== 1) throw new Error(`typing a ${kind} label made ${made.length} shapes`);
  return made[0];
}

/** The label of each shape as `page` renders it now. */
function labelsOf(page: Page, ids: string[]): Promise<Record<string, LabelBox | null>> {
  return page.evaluate((ids) => {
    const editor = window.__scrawl.editor;
    const zoom = editor.getZoomLevel();
    const out: Record<string, unknown> = {};
    for (const id of ids) {
      const shape = editor.getShape(id);
      const inner = document.querySelector(`.tl-shape[data-shape-id="${id}"] .tl-text-content__wrapper`);
      const rich = inner?.querySelector('.tl-rich-text');
      if (!shape || !inner || !rich) {
        out[id] = null;
        continue;
      }
      const box = inner.getBoundingClientRect();
      // Lines: group the text's characters by the top of the line box they were laid out on.
      const lines = new Map<number, string>();
      const walker = document.createTreeWalker(rich, NodeFilter.SHOW_TEXT);
      const range = document.createRange();
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const value = node.nodeValue ?? '';
        for (let i = 0; i < value.length; i++) {
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          const rect = range.getClientRects()[0];
          if (!rect) continue;
          const top = [...lines.keys()].find((t) => Math.abs(t - rect.top) < rect.height / 2) ?? rect.top;
          lines.set(top, (lines.get(top) ?? '') + value[i]);
        }
      }
      const props = shape.props as { w?: number; autoSize?: boolean };
      const geometry = editor.getShapeGeometry(id) as { children?: unknown[]; isLabel?: boolean };
      const labelPart = [geometry, ...(geometry.children ?? [])].find((part: any) => part.isLabel) as any;
      out[id] = {
        width: box.width / zoom,
        height: box.height / zoom,
        lines: lines.size,
        lineTexts: [...lines.entries()].sort((a, b) => a[0] - b[0]).map(([, text]) => text.trim()),
        geometry: { width: labelPart.bounds.w, height: labelPart.bounds.h },
        storedW: shape.type === 'text' ? (props.w ?? null) : null,
        autoSize: shape.type === 'text' ? (props.autoSize ?? null) : null,
      };
    }
    return out;
  }, ids) as Promise<Record<string, LabelBox | null>>;
}

/** Waits until `page` renders every label and its fonts are in; returns the labels. */
async function settledLabels(page: Page, ids: string[]): Promise<Record<string, LabelBox>> {
  await expect.poll(async () => Object.values(await labelsOf(page, ids)).every((label) => label !== null), { timeout: 15_000 }).toBe(true);
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  // Two frames: whatever the fonts' arrival changes is laid out by then.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  return (await labelsOf(page, ids)) as Record<string, LabelBox>;
}

/** Asserts that `seen` shows every label as the writer did, within 1 px, and that stored `w` matches the width. */
function expectSameLabels(where: string, seen: Record<string, LabelBox>, typed: Record<string, LabelBox>, names: Record<string, string>): void {
  for (const [id, want] of Object.entries(typed)) {
    const got = seen[id];
    const what = `${where}: ${names[id]} (writer saw ${JSON.stringify(want)}, this page ${JSON.stringify(got)})`;
    expect(got.lines, what).toBe(want.lines);
    expect(got.lineTexts, what).toEqual(want.lineTexts);
    expect(Math.abs(got.width - want.width), what).toBeLessThanOrEqual(1);
    expect(Math.abs(got.height - want.height), what).toBeLessThanOrEqual(1);
    expect(Math.abs(got.geometry.width - want.geometry.width), `${what}: label geometry`).toBeLessThanOrEqual(1);
    expect(Math.abs(got.geometry.height - want.geometry.height), `${what}: label geometry`).toBeLessThanOrEqual(1);
    if (got.autoSize) expect(Math.abs(got.storedW! - got.width), `${what}: stored w against rendered width`).toBeLessThanOrEqual(1);
  }
}

test('labels keep their size and line breaks for a fresh reader and after the writer reloads', async ({ boards, room }) => {
  test.setTimeout(120_000);
  const writerContext = await boards.newContext();
  const writer = await writerContext.open(room, 'Alice');
  await writer.evaluate(() => document.fonts.ready.then(() => undefined));

  const names: Record<string, string> = {};
  for (const kind of kinds) {
    for (const [index, [length, text]] of Object.entries(texts).entries()) {
      const id = await write(writer, kind, index, text);
      names[id] = `${kind} label, ${length} text`;
    }
  }
  const ids = Object.keys(names);
  await writer.evaluate(() => window.__scrawl.binding.flush());
  const typed = await settledLabels(writer, ids);
  // The test is about something: the long text wraps in the note and the geo shape; an autoSize text shape and a
  // short text keep to one line.
  for (const [id, label] of Object.entries(typed)) {
    const name = names[id];
    if (name.endsWith('long text') && !name.startsWith('text')) expect(label.lines, name).toBeGreaterThan(1);
    if (name.startsWith('text') || name.endsWith('short text')) expect(label.lines, name).toBe(1);
  }
  expectSameLabels('writer as typed', typed, typed, names);

  const reader = await (await boards.newContext()).open(room, 'Bob');
  expectSameLabels('fresh reader', await settledLabels(reader, ids), typed, names);

  await writer.reload();
  await expect.poll(() => writer.evaluate(() => window.__scrawl?.status().state)).toBe('connected');
  expectSameLabels('writer after a reload', await settledLabels(writer, ids), typed, names);
});
