import { isDeepStrictEqual } from 'node:util';
import type { Page } from '@playwright/test';
import * as Y from 'yjs';
import { drawNewStroke, waitUntilConnected, wavyPath } from '../src/board.ts';
import { expect, test } from '../src/fixtures.ts';

/**
 * Issue 18: a board's state arrives in one large message, and the offline copy (y-indexeddb) stores those bytes as
 * received instead of an encoding Yjs makes again after applying them (web/src/sync/rawUpdates.ts, from 64 KiB). The
 * copy must still hold the whole board, and what the reader changes afterwards (the update listeners are put back):
 * read IndexedDB's updates, apply them to a fresh Y.Doc here, compare with the page's document.
 */

const SHAPES = 600;
const LABEL = 'A label long enough to make this board a few hundred kilobytes of Yjs state, as big boards are. '.repeat(3);

/** The room's offline copy in `page`: every update y-indexeddb stored (base64), and the records they make. */
async function offlineCopy(page: Page, room: string): Promise<{ sizes: number[]; records: Record<string, unknown> }> {
  const updates = await page.evaluate(async (name) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    try {
      if (!db.objectStoreNames.contains('updates')) return [];
      const all = await new Promise<Uint8Array[]>((resolve, reject) => {
        const request = db.transaction('updates').objectStore('updates').getAll();
        request.onsuccess = () => resolve(request.result as Uint8Array[]);
        request.onerror = () => reject(request.error);
      });
      return all.map((update) => {
        let binary = '';
        for (let i = 0; i < update.length; i += 0x8000) binary += String.fromCharCode(...update.subarray(i, i + 0x8000));
        return btoa(binary);
      });
    } finally {
      db.close();
    }
  }, `scrawl-board-${room}`);
  const doc = new Y.Doc();
  const bytes = updates.map((update) => new Uint8Array(Buffer.from(update, 'base64')));
  for (const update of bytes) Y.applyUpdate(doc, update);
  return { sizes: bytes.map((update) => update.byteLength), records: doc.getMap('records').toJSON() };
}

/** Ids of the records that `copy` and `live` do not hold alike (missing from either, or different). */
function differingRecords(copy: Record<string, unknown>, live: Record<string, unknown>): string[] {
  const ids = new Set([...Object.keys(copy), ...Object.keys(live)]);
  return [...ids].filter((id) => !isDeepStrictEqual(copy[id], live[id])).sort();
}

const recordsIn = (page: Page) => page.evaluate(() => window.__scrawl.doc.getMap('records').toJSON() as Record<string, unknown>);

test("a big board's offline copy holds the whole board as received, and the reader's later edits", async ({ boards, room }) => {
  const writer = await (await boards.newContext()).open(room, 'Alice');
  await writer.evaluate(({ count, label }) => {
    const richText = (text: string) => ({ type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });
    window.__scrawl.editor.createShapes(
      Array.from({ length: count }, (_, i) => ({
        type: 'geo',
        x: (i % 30) * 260,
        y: Math.floor(i / 20) * 200,
        props: { w: 220, h: 160, richText: richText(`${i}: ${label}`) },
      })),
    );
  }, { count: SHAPES, label: LABEL });
  await expect.poll(() => writer.evaluate(() => window.__scrawl.status().unsyncedChanges), { timeout: 30_000 }).toBe(0);

  const readerContext = await boards.newContext();
  const reader = await readerContext.open(room, 'Bob');
  await expect.poll(() => reader.evaluate(() => window.__scrawl.editor.getCurrentPageShapeIds().size)).toBe(SHAPES);
  // The page's document is read again at each try: the reader's own records (its user name, set once the board is
  // open) may still change while the copy catches up, and a snapshot taken before would wait for a stale state.
  await expect
    .poll(async () => differingRecords((await offlineCopy(reader, room)).records, await recordsIn(reader)), {
      message: 'offline copy = the board',
      timeout: 20_000,
    })
    .toEqual([]);
  const { sizes } = await offlineCopy(reader, room);
  expect(Math.max(...sizes), 'the board came as one large update, stored as received').toBeGreaterThan(64 * 1024);

  // Offline, the reader draws: its own change must reach the copy too.
  await readerContext.network.goOffline();
  const stroke = await drawNewStroke(reader, wavyPath(300, 300, 12));
  await expect.poll(async () => Object.keys((await offlineCopy(reader, room)).records), { message: "the reader's offline stroke in its copy" }).toContain(stroke.id);
  await readerContext.network.goOnline();
  await waitUntilConnected(reader, 30_000);
  await expect.poll(() => writer.evaluate((id) => window.__scrawl.editor.getShape(id) !== undefined, stroke.id), { timeout: 20_000 }).toBe(true);
});
