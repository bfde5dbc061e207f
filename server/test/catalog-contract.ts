/**
 * The BoardCatalog contract: one suite, run against every implementation (memory, LevelDB, PostgreSQL). A catalog
 * passes when entries read back as recorded with the catalog's own fields kept, views and pages list every board once
 * in order, search finds by prefix and with a typo, ranks title matches first and highlights what matched, and a board
 * deleted for good leaves only a tombstone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BoardCatalog, CatalogView, DerivedBoard } from '../src/workspace/board-catalog.ts';

/** How the suite gets catalogs: `create` a fresh, empty one (open); `reopen` a new instance on the same data. */
export interface CatalogFactory {
  create(): Promise<BoardCatalog>;
  reopen(previous: BoardCatalog): Promise<BoardCatalog>;
  /** Releases the catalog and what it lives in. */
  dispose(catalog: BoardCatalog): Promise<void>;
}

/** A derived board with defaults; `minute` sets updatedAt to that minute of a fixed day. */
export function derived(fields: Partial<DerivedBoard> & { minute?: number } = {}): DerivedBoard {
  const { minute = 0, ...rest } = fields;
  return {
    title: '',
    shapeCount: 1,
    bytes: 100,
    excerpt: '',
    searchText: '',
    assets: [],
    editors: [],
    updatedAt: new Date(Date.UTC(2026, 11, 1, 9, minute)).toISOString(),
    ...rest,
  };
}

/** Every id of a view, page by page with `limit`. */
async function allPages(catalog: BoardCatalog, view: CatalogView, limit: number, ids: string[] | null = null): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const page = await catalog.list({ view, cursor, limit, ids });
    assert.ok(page.entries.length <= limit);
    seen.push(...page.entries.map((e) => e.id));
    cursor = page.cursor;
    if (cursor === null) return seen;
  }
  throw new Error('paging did not end');
}

/** Registers the contract tests for one implementation. */
export function runCatalogContract(name: string, factory: CatalogFactory): void {
  const withCatalog = (title: string, body: (catalog: BoardCatalog) => Promise<void>) =>
    test(`${name} catalog: ${title}`, async () => {
      const catalog = await factory.create();
      try {
        await body(catalog);
      } finally {
        await factory.dispose(catalog);
      }
    });

  withCatalog('an entry reads back as recorded, keeps its own fields and merges editors', async (catalog) => {
    assert.equal(await catalog.get('nope'), null);
    const first = await catalog.record('b1', derived({ title: 'Plan', shapeCount: 3, editors: ['Ada'], assets: ['b1/a.png'], minute: 1 }));
    assert.equal(first?.createdAt, first?.updatedAt);
    await catalog.update('b1', { starred: true, template: false });
    const again = await catalog.record('b1', derived({ title: 'Plan B', shapeCount: 4, editors: ['Linus', 'Ada'], minute: 2 }));
    const stored = await catalog.get('b1');
    assert.deepEqual(stored, again);
    assert.equal(stored!.title, 'Plan B');
    assert.equal(stored!.shapeCount, 4);
    assert.equal(stored!.starred, true, 'the catalog keeps its own fields when the document is derived again');
    assert.equal(stored!.createdAt, first!.createdAt);
    assert.equal(stored!.updatedAt, new Date(Date.UTC(2026, 11, 1, 9, 2)).toISOString());
    assert.deepEqual(stored!.lastEditors, ['Linus', 'Ada']);
    assert.deepEqual(stored!.assets, []);
    await catalog.record('b1', derived({ editors: ['E1', 'E2', 'E3', 'E4'], minute: 3 }));
    assert.deepEqual((await catalog.get('b1'))!.lastEditors, ['E1', 'E2', 'E3', 'E4', 'Linus'], 'newest first, at most five');
    assert.equal(await catalog.update('nope', { starred: true }), null);
  });

  withCatalog('views list every board once, newest first, across pages, and honour ids', async (catalog) => {
    for (let i = 0; i < 23; i++) await catalog.record(`r${String(i).padStart(2, '0')}`, derived({ minute: i % 7 }));
    await catalog.record('tpl', derived({ minute: 50 }));
    await catalog.update('tpl', { template: true });
    await catalog.update('r03', { starred: true });
    await catalog.update('r04', { starred: true, deletedAt: '2026-12-02T00:00:00.000Z' });
    await catalog.update('r05', { deletedAt: '2026-12-03T00:00:00.000Z' });

    const recent = await allPages(catalog, 'recent', 5);
    assert.equal(recent.length, 21);
    assert.equal(new Set(recent).size, 21, 'no board twice across pages');
    assert.ok(!recent.includes('tpl') && !recent.includes('r04') && !recent.includes('r05'));
    const entries = await Promise.all(recent.map((id) => catalog.get(id)));
    for (let i = 1; i < entries.length; i++) {
      const [a, b] = [entries[i - 1]!, entries[i]!];
      assert.ok(a.updatedAt > b.updatedAt || (a.updatedAt === b.updatedAt && a.id > b.id), `order at ${i}`);
    }
    assert.deepEqual(await allPages(catalog, 'recent', 100), recent, 'one page or many, the same order');
    assert.deepEqual(await allPages(catalog, 'starred', 10), ['r03']);
    assert.deepEqual(await allPages(catalog, 'templates', 10), ['tpl']);
    assert.deepEqual(await allPages(catalog, 'trash', 1), ['r05', 'r04'], 'the trash: newest deletion first');
    assert.deepEqual(await allPages(catalog, 'recent', 2, ['r01', 'r05', 'unknown', 'r02']), ['r02', 'r01']);
    assert.deepEqual(await catalog.trashedBefore('2026-12-02T12:00:00.000Z'), ['r04']);
    await catalog.update('r05', { deletedAt: null });
    assert.ok((await allPages(catalog, 'recent', 50)).includes('r05'), 'restored from the trash');
  });

  withCatalog('search finds words by prefix and despite a typo, ranks titles first and highlights matches', async (catalog) => {
    await catalog.record('retro', derived({ title: 'Sprint retrospective', searchText: 'Went well\nTo improve\nActions', minute: 1 }));
    await catalog.record('notes', derived({ title: 'Team notes', searchText: 'We should hold a retrospective on Friday about the kanban board', minute: 2 }));
    await catalog.record('other', derived({ title: 'Lunch', searchText: 'pizza or salad', minute: 3 }));

    const prefix = await catalog.search({ q: 'retro', view: 'recent', limit: 10, ids: null });
    assert.deepEqual(prefix.map((h) => h.entry.id), ['retro', 'notes'], 'the title match ranks first');
    assert.deepEqual(prefix[0].titleHighlights.map(([s, e]) => prefix[0].entry.title.slice(s, e)), ['retrospective']);
    const inText = prefix[1];
    assert.deepEqual(inText.highlights.map(([s, e]) => inText.excerpt.slice(s, e)), ['retrospective']);

    const typo = await catalog.search({ q: 'kanbon', view: 'recent', limit: 10, ids: null });
    assert.deepEqual(typo.map((h) => h.entry.id), ['notes']);
    assert.deepEqual(typo[0].highlights.map(([s, e]) => typo[0].excerpt.slice(s, e)), ['kanban']);

    const twoWords = await catalog.search({ q: 'friday retro', view: 'recent', limit: 10, ids: null });
    assert.deepEqual(twoWords.map((h) => h.entry.id), ['notes'], 'every word must match');

    assert.deepEqual(await catalog.search({ q: 'zebra', view: 'recent', limit: 10, ids: null }), []);
    assert.deepEqual((await catalog.search({ q: 'retro', view: 'recent', limit: 10, ids: ['notes'] })).map((h) => h.entry.id), ['notes']);
    await catalog.update('retro', { deletedAt: new Date().toISOString() });
    assert.deepEqual((await catalog.search({ q: 'retro', view: 'recent', limit: 10, ids: null })).map((h) => h.entry.id), ['notes']);
    assert.deepEqual((await catalog.search({ q: 'retro', view: 'trash', limit: 10, ids: null })).map((h) => h.entry.id), ['retro']);

    await catalog.record('notes', derived({ title: 'Team notes', searchText: 'nothing about that any more', minute: 4 }));
    assert.deepEqual(await catalog.search({ q: 'kanban', view: 'recent', limit: 10, ids: null }), [], 'the index follows changes');
  });

  withCatalog('thumbnails get a new version per image; a removed board leaves only a tombstone', async (catalog) => {
    await catalog.record('t1', derived({ assets: ['t1/x.png', 'other/y.png'] }));
    await catalog.record('t2', derived({ assets: ['t1/x.png'] }));
    assert.equal(await catalog.putThumbnail('unknown', { type: 'image/png', bytes: new Uint8Array([1]) }), null);
    const a = await catalog.putThumbnail('t1', { type: 'image/png', bytes: new Uint8Array([1, 2, 3]) });
    const b = await catalog.putThumbnail('t1', { type: 'image/webp', bytes: new Uint8Array([4, 5]) });
    assert.notEqual(a!.thumbnail!.version, b!.thumbnail!.version);
    const stored = await catalog.getThumbnail('t1');
    assert.deepEqual({ ...stored, bytes: [...stored!.bytes] }, { version: b!.thumbnail!.version, type: 'image/webp', bytes: [4, 5] });
    assert.deepEqual((await catalog.boardsUsingAsset('t1/x.png')).sort(), ['t1', 't2']);

    await catalog.remove('t1');
    assert.equal(await catalog.get('t1'), null);
    assert.equal(await catalog.getThumbnail('t1'), null);
    assert.equal(await catalog.isTombstoned('t1'), true);
    assert.equal(await catalog.isTombstoned('t2'), false);
    assert.equal(await catalog.record('t1', derived({ title: 'back?' })), null, 'a tombstoned board is never recorded again');
    assert.deepEqual(await catalog.boardsUsingAsset('t1/x.png'), ['t2']);
    assert.deepEqual([...(await catalog.knownIds())].sort(), ['t1', 't2']);
  });

  test(`${name} catalog: entries, tombstones and thumbnails survive a reopen`, async () => {
    const catalog = await factory.create();
    await catalog.record('keep', derived({ title: 'Kept board', searchText: 'persistent words' }));
    await catalog.update('keep', { starred: true });
    await catalog.putThumbnail('keep', { type: 'image/png', bytes: new Uint8Array([9, 9]) });
    await catalog.record('gone', derived());
    await catalog.remove('gone');
    const again = await factory.reopen(catalog);
    try {
      assert.equal((await again.get('keep'))?.starred, true);
      assert.deepEqual([...(await again.getThumbnail('keep'))!.bytes], [9, 9]);
      assert.equal(await again.isTombstoned('gone'), true);
      assert.deepEqual((await again.search({ q: 'persist', view: 'recent', limit: 5, ids: null })).map((h) => h.entry.id), ['keep']);
    } finally {
      await factory.dispose(again);
    }
  });
}
