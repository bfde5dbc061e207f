import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { decodePDFRawStream, PDFDocument, PDFName, PDFRawStream, type PDFPage } from 'pdf-lib';
import { shapesOf, waitUntilConnected } from '../src/board.ts';
import { EXCALIDRAW_SHAPE_COUNT, excalidrawScene } from '../src/excalidraw-scene.ts';
import { expect, test } from '../src/fixtures.ts';
import { twoColourPng } from '../src/png.ts';

/**
 * Issue 15 item 4, boards as files: a board's main menu downloads it as a .tldr (tldraw's own writer) and as a PDF with
 * a page per frame; on the boards page, dropping a .tldr or an .excalidraw file makes a board showing its shapes, and
 * the menu imports either file into the open board.
 * Serial: the .tldr the first scenario downloads is the one the second drops.
 */
test.describe.configure({ mode: 'serial' });

/** The .tldr downloaded in the first scenario: written by tldraw's serializeTldrawJson in a real editor. */
let exportedTldr: { text: string; shapeIds: string[] } | null = null;

/** Frames laid out so that reading order differs from creation order: B right of A, C below both. */
const FRAMES = [
  { id: 'shape:frame-c', name: 'C', x: 0, y: 500, w: 320, h: 240, fill: 'green' },
  { id: 'shape:frame-b', name: 'B', x: 420, y: 12, w: 360, h: 200, fill: 'red' },
  { id: 'shape:frame-a', name: 'A', x: 0, y: 0, w: 300, h: 220, fill: 'blue' },
] as const;

/** Builds the board: three frames, each with a filled box inside, and an uploaded image in frame C. */
async function buildFramedBoard(page: Page, room: string, baseUrl: string): Promise<void> {
  const upload = await page.request.post(`${baseUrl}/api/rooms/${room}/assets`, {
    headers: { 'content-type': 'image/png' },
    data: twoColourPng(64, 32, [250, 200, 0], [20, 20, 20]),
  });
  expect(upload.status()).toBe(201);
  const { url } = await upload.json();
  await page.evaluate(
    ({ frames, url }) => {
      const editor = window.__scrawl.editor;
      editor.createAssets([
        { id: 'asset:photo', typeName: 'asset', type: 'image', meta: {}, props: { name: 'photo.png', src: url, w: 64, h: 32, mimeType: 'image/png', isAnimated: false } },
      ]);
      for (const frame of frames) {
        editor.createShape({ id: frame.id, type: 'frame', x: frame.x, y: frame.y, props: { w: frame.w, h: frame.h, name: frame.name } });
        editor.createShape({
          id: `${frame.id}-box`, type: 'geo', parentId: frame.id, x: 40, y: 40,
          props: { geo: 'rectangle', w: frame.w - 80, h: frame.h - 80, fill: 'solid', color: frame.fill },
        });
      }
      editor.createShape({ id: 'shape:photo', type: 'image', parentId: 'shape:frame-c', x: 10, y: 10, props: { w: 64, h: 32, assetId: 'asset:photo' } });
    },
    { frames: FRAMES, url },
  );
  await page.waitForFunction(() => window.__scrawl.status().unsyncedChanges === 0);
}

/** Clicks a main-menu item and resolves the file it downloads. */
async function downloadFromMenu(page: Page, item: string): Promise<{ name: string; bytes: Buffer }> {
  await page.getByTestId('main-menu.button').click();
  const downloading = page.waitForEvent('download');
  await page.getByTestId(`main-menu.${item}`).click();
  const download = await downloading;
  return { name: download.suggestedFilename(), bytes: await readFile((await download.path())!) };
}

/** Pixels of the one image drawn on a PDF page, as pdf-lib stored them (8-bit RGB), with the image's size. */
function pageImage(page: PDFPage): { width: number; height: number; rgb: Uint8Array } {
  const xObjects = page.node.Resources()!.lookup(PDFName.of('XObject'))!;
  const images = (xObjects as unknown as { entries(): [PDFName, unknown][] }).entries().map(([, ref]) => page.doc.context.lookup(ref as never));
  expect(images).toHaveLength(1);
  const stream = images[0] as PDFRawStream;
  const number = (key: string) => Number(String(stream.dict.get(PDFName.of(key))));
  return { width: number('Width'), height: number('Height'), rgb: decodePDFRawStream(stream).decode() };
}

/** Standard deviation of the pixels' brightness: 0 for a blank (one-colour) picture. */
function brightnessSpread(rgb: Uint8Array): number {
  const values: number[] = [];
  for (let i = 0; i + 2 < rgb.length; i += 3) values.push(0.299 * rgb[i] + 0.587 * rgb[i + 1] + 0.114 * rgb[i + 2]);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

/** Drops a file on the boards page as a browser does (dragover, then drop, with a DataTransfer holding it). */
async function dropFile(page: Page, name: string, text: string): Promise<void> {
  const dataTransfer = await page.evaluateHandle(({ name, text }) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], name));
    return transfer;
  }, { name, text });
  await page.dispatchEvent('[data-testid="boards-page"]', 'dragover', { dataTransfer });
  await page.dispatchEvent('[data-testid="boards-page"]', 'drop', { dataTransfer });
}

/** Every shape of the board (all pages), sorted by id. */
async function allShapes(page: Page): Promise<Array<{ id: string; type: string; parentId: string; props: Record<string, any> }>> {
  return page.evaluate(() =>
    (window.__scrawl.store.allRecords() as Array<{ typeName: string; id: string }>)
      .filter((r) => r.typeName === 'shape')
      .map((r) => structuredClone(r) as never)
      .sort((a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1)),
  );
}

test('the board menu downloads the board as a .tldr and as a PDF with one page per frame, in reading order', async ({ boards, server, room }) => {
  const { open } = await boards.newContext();
  const page = await open(room, 'Ada');
  await buildFramedBoard(page, room, server.url);
  await page.evaluate(() => window.__scrawl.doc.getMap('meta').set('title', 'Quarterly: plan/review'));

  const tldr = await downloadFromMenu(page, 'scrawl-export-tldr');
  expect(tldr.name).toBe('Quarterly_ plan_review.tldr');
  const file = JSON.parse(tldr.bytes.toString('utf8'));
  expect(Object.keys(file)).toEqual(['tldrawFileFormatVersion', 'schema', 'records']);
  const shapeIds = file.records.filter((r: { typeName: string }) => r.typeName === 'shape').map((r: { id: string }) => r.id).sort();
  expect(shapeIds).toEqual((await allShapes(page)).map((s) => s.id));
  const photo = file.records.find((r: { id: string }) => r.id === 'asset:photo');
  expect(photo.props.src).toMatch(/^data:image\/png;base64,/);
  exportedTldr = { text: tldr.bytes.toString('utf8'), shapeIds };

  const pdfFile = await downloadFromMenu(page, 'scrawl-export-pdf');
  expect(pdfFile.name).toBe('Quarterly_ plan_review.pdf');
  const pdf = await PDFDocument.load(pdfFile.bytes);
  expect(pdf.getPageCount()).toBe(3);
  expect(pdf.getTitle()).toBe('Quarterly: plan/review');
  const inReadingOrder = ['A', 'B', 'C'].map((name) => FRAMES.find((f) => f.name === name)!);
  for (const [index, pdfPage] of pdf.getPages().entries()) {
    const frame = inReadingOrder[index];
    expect(pdfPage.getSize(), `page ${index + 1} is frame ${frame.name}'s size`).toEqual({ width: frame.w, height: frame.h });
    const image = pageImage(pdfPage);
    expect(image.rgb.length).toBe(image.width * image.height * 3);
    expect(image.width).toBeGreaterThanOrEqual(frame.w);
    expect(brightnessSpread(image.rgb), `page ${index + 1} is not blank`).toBeGreaterThan(20);
  }
});

test('dropping a .tldr and an .excalidraw file on the boards page makes boards showing their shapes', async ({ boards, server }) => {
  expect(exportedTldr, 'the first scenario downloaded a .tldr').not.toBeNull();
  const { context } = await boards.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/`);

  // A file that is not a board file is refused with the server's reason, and nothing opens.
  await page.getByTestId('import-board-input').setInputFiles({ name: 'broken.tldr', mimeType: 'application/json', buffer: Buffer.from('{"tldrawFileFormatVersion":') });
  await expect(page.getByTestId('boards-notice')).toContainText('Could not import broken.tldr: This is not a usable tldraw file: it is not valid JSON.');

  // The .tldr tldraw wrote: a new board with the same shapes (ids kept), its image now one of the board's assets.
  await dropFile(page, 'Quarterly copy.tldr', exportedTldr!.text);
  await page.waitForURL(/\/b\/[A-Za-z0-9_-]+$/);
  await waitUntilConnected(page);
  const tldrRoom = new URL(page.url()).pathname.split('/').at(-1)!;
  await expect.poll(async () => (await allShapes(page)).map((s) => s.id)).toEqual(exportedTldr!.shapeIds);
  const photoSrc = await page.evaluate(() => window.__scrawl.store.get('asset:photo')?.props.src);
  expect(photoSrc).toMatch(new RegExp(`^/api/rooms/${tldrRoom}/assets/[0-9a-f]{64}\\.png$`));
  await expect(page).toHaveTitle(/^Quarterly copy/);

  // The .excalidraw scene: converted by tldraw in the new board, once, its image uploaded.
  await page.goto(`${server.url}/`);
  await dropFile(page, 'sketch.excalidraw', JSON.stringify(excalidrawScene()));
  await page.waitForURL(/\/b\/[A-Za-z0-9_-]+\?import=excalidraw$/);
  await waitUntilConnected(page);
  await expect.poll(async () => (await shapesOf(page)).filter((s) => s.type !== 'group').length).toBe(EXCALIDRAW_SHAPE_COUNT);
  await expect(page).toHaveURL(/\/b\/[A-Za-z0-9_-]+$/);
  const shapes = await shapesOf(page);
  expect(shapes.map((s) => s.type).sort()).toEqual(['arrow', 'draw', 'geo', 'geo', 'geo', 'image', 'text']);
  const rectangle = shapes.find((s) => s.type === 'geo' && s.props.geo === 'rectangle')!;
  expect(JSON.stringify(rectangle.props.richText)).toContain('Plan');
  const excalidrawRoom = new URL(page.url()).pathname.split('/').at(-1)!;
  const imageSrc = await page.evaluate(() => (window.__scrawl.editor.getAssets() as Array<{ props: { src: string } }>)[0]?.props.src);
  expect(imageSrc).toMatch(new RegExp(`^/api/rooms/${excalidrawRoom}/assets/[0-9a-f]{64}\\.png$`));
  const bindings = await page.evaluate(() => (window.__scrawl.store.allRecords() as Array<{ typeName: string }>).filter((r) => r.typeName === 'binding').length);
  expect(bindings).toBe(2);
  await expect(page).toHaveTitle(/^sketch/);

  // Opened again (this tab reloads, another browser opens it): the scene was put exactly once.
  await page.reload();
  await waitUntilConnected(page);
  const other = await (await boards.newContext()).open(excalidrawRoom);
  for (const viewer of [page, other]) {
    await expect.poll(async () => (await shapesOf(viewer)).filter((s) => s.type !== 'group').length).toBe(EXCALIDRAW_SHAPE_COUNT);
  }
});

test('Import .tldr / .excalidraw… in the board menu adds a file to the open board, its images uploaded to it', async ({ boards, room }) => {
  const { open } = await boards.newContext();
  const page = await open(room, 'Grace');
  const importFromMenu = async (name: string, text: string) => {
    await page.getByTestId('main-menu.button').click();
    const choosing = page.waitForEvent('filechooser');
    await page.getByTestId('main-menu.scrawl-import-file').click();
    await (await choosing).setFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
  };
  await importFromMenu('sketch.excalidraw', JSON.stringify(excalidrawScene()));
  await expect.poll(async () => (await shapesOf(page)).filter((s) => s.type !== 'group').length).toBe(EXCALIDRAW_SHAPE_COUNT);
  const sources = () => page.evaluate(() => (window.__scrawl.editor.getAssets() as Array<{ props: { src: string } }>).map((a) => a.props.src));
  expect(await sources()).toEqual([expect.stringMatching(new RegExp(`^/api/rooms/${room}/assets/[0-9a-f]{64}\\.png$`))]);

  // The .tldr joins what is there: its three frames' pages' shapes with new ids, nothing replaced.
  await importFromMenu('quarterly.tldr', exportedTldr!.text);
  await expect.poll(async () => (await allShapes(page)).length).toBe(EXCALIDRAW_SHAPE_COUNT + exportedTldr!.shapeIds.length);
  expect((await sources()).every((src) => src.startsWith(`/api/rooms/${room}/assets/`))).toBe(true);
  await expect(page.getByText(`${exportedTldr!.shapeIds.length} shapes from quarterly.tldr.`, { exact: true })).toBeVisible();
});

test('a .tldr or .excalidraw file dropped on an open board joins it; an image dropped beside stays tldraw\'s', async ({ boards, room }) => {
  const { open } = await boards.newContext();
  const page = await open(room, 'Heidi');
  const dropOnCanvas = async (files: Array<{ name: string; text?: string; base64?: string; type?: string }>) => {
    const dataTransfer = await page.evaluateHandle((files) => {
      const transfer = new DataTransfer();
      for (const { name, text, base64, type } of files) {
        const content = base64 === undefined ? text! : Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        transfer.items.add(new File([content], name, { type }));
      }
      return transfer;
    }, files);
    await page.dispatchEvent('.tl-canvas', 'dragover', { dataTransfer, clientX: 640, clientY: 360 });
    await page.dispatchEvent('.tl-canvas', 'drop', { dataTransfer, clientX: 640, clientY: 360 });
  };
  await dropOnCanvas([{ name: 'sketch.excalidraw', text: JSON.stringify(excalidrawScene()) }]);
  await expect.poll(async () => (await shapesOf(page)).filter((s) => s.type !== 'group').length).toBe(EXCALIDRAW_SHAPE_COUNT);
  await expect(page.getByText(`${EXCALIDRAW_SHAPE_COUNT} shapes from sketch.excalidraw.`, { exact: true })).toBeVisible();

  await dropOnCanvas([{ name: 'quarterly.tldr', text: exportedTldr!.text }]);
  await expect.poll(async () => (await allShapes(page)).length).toBe(EXCALIDRAW_SHAPE_COUNT + exportedTldr!.shapeIds.length);
  // The board stays the one that was open: nothing navigated away (as a drop on the boards page does).
  expect(new URL(page.url()).pathname).toBe(`/b/${room}`);

  // An image is still tldraw's drop: an image shape, its file uploaded to this board.
  const images = async () => (await allShapes(page)).filter((s) => s.type === 'image').length;
  const before = await images();
  const png = twoColourPng(60, 40, [220, 40, 40], [40, 40, 220]);
  await dropOnCanvas([{ name: 'photo.png', base64: png.toString('base64'), type: 'image/png' }]);
  await expect.poll(images).toBe(before + 1);
});
