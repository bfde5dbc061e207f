import { createHash } from 'node:crypto';
import MiniSearch from 'minisearch';
import {
  type BoardCatalog,
  type BoardEntry,
  type BoardPatch,
  type CatalogPage,
  type DerivedBoard,
  type ListQuery,
  type SearchHit,
  type SearchQuery,
  type StoredThumbnail,
  type ThumbnailImage,
  applyDerived,
  decodeCursor,
  encodeCursor,
  inView,
  sortTime,
} from './board-catalog.ts';
import { matchedWords, passageAround } from './passages.ts';

/** Where an {@link IndexedCatalog} keeps its records between runs. */
export interface CatalogRecords {
  /** Every stored entry and tombstone, read once at open. */
  loadAll(): AsyncIterable<{ entry: BoardEntry } | { tombstone: string }>;
  saveEntry(entry: BoardEntry): Promise<void>;
  /** Deletes the entry and its thumbnail, and stores the tombstone. */
  tombstone(id: string, time: string): Promise<void>;
  saveThumbnail(id: string, bytes: Uint8Array): Promise<void>;
  loadThumbnail(id: string): Promise<Uint8Array | undefined>;
}

/** How search matches: words by prefix, and with about one typo in five letters; every query word must match. */
export const SEARCH_OPTIONS = { prefix: true, fuzzy: 0.2, combineWith: 'AND', boost: { title: 3 } } as const;

/** A search index over titles and board text (MiniSearch). */
export function newSearchIndex(): MiniSearch<BoardEntry> {
  return new MiniSearch<BoardEntry>({ fields: ['title', 'searchText'], searchOptions: SEARCH_OPTIONS });
}

/**
 * The catalog of the embedded stores: every entry in memory, with a MiniSearch index over titles and text, and each
 * change written through to {@link CatalogRecords} (LevelDB, or nothing for the memory store). A server process is the
 * only writer of an embedded store, so memory is the truth once loaded. About 10,000 boards take a few MB.
 */
export class IndexedCatalog implements BoardCatalog {
  readonly kind: string;
  private readonly records: CatalogRecords;
  private readonly entries = new Map<string, BoardEntry>();
  private readonly tombstones = new Set<string>();
  private readonly index = newSearchIndex();

  constructor(kind: string, records: CatalogRecords) {
    this.kind = kind;
    this.records = records;
  }

  async open(): Promise<void> {
    for await (const record of this.records.loadAll()) {
      if ('tombstone' in record) this.tombstones.add(record.tombstone);
      else this.entries.set(record.entry.id, record.entry);
    }
    this.index.addAll([...this.entries.values()]);
  }

  async get(id: string): Promise<BoardEntry | null> {
    return copy(this.entries.get(id));
  }

  async record(id: string, derived: DerivedBoard): Promise<BoardEntry | null> {
    if (this.tombstones.has(id)) return null;
    return this.save(applyDerived(id, this.entries.get(id) ?? null, derived));
  }

  async update(id: string, patch: BoardPatch): Promise<BoardEntry | null> {
    const entry = this.entries.get(id);
    return entry ? this.save({ ...entry, ...patch }) : null;
  }

  async list(query: ListQuery): Promise<CatalogPage> {
    const after = query.cursor === null ? null : decodeCursor(query.cursor);
    const matching = this.candidates(query).filter((entry) => {
      if (!after) return true;
      const time = sortTime(entry, query.view);
      return time < after.time || (time === after.time && entry.id < after.id);
    });
    matching.sort((a, b) => compareDescending(sortTime(a, query.view), sortTime(b, query.view)) || compareDescending(a.id, b.id));
    const page = matching.slice(0, query.limit);
    const last = page.at(-1);
    return {
      entries: page.map((entry) => ({ ...entry })),
      cursor: last && matching.length > query.limit ? encodeCursor(sortTime(last, query.view), last.id) : null,
    };
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    const allowed = query.ids === null ? null : new Set(query.ids);
    const wanted = (id: string) => {
      const entry = this.entries.get(id);
      return entry !== undefined && inView(entry, query.view) && (allowed === null || allowed.has(id));
    };
    // Typo matching widens every word to its near spellings, each with its own list of boards to score: only when the
    // words as typed (and as prefixes) find too few boards. A common word already matches most boards, and scoring them
    // all again for its near spellings was most of a slow search (npm run bench -- catalog).
    let hits = this.matches(query.q, false, wanted, query.limit);
    if (hits.length < query.limit) hits = this.matches(query.q, SEARCH_OPTIONS.fuzzy, wanted, query.limit);
    return hits.map((result) => hitFor(this.entries.get(result.id)!, result.match));
  }

  /** The best `limit` results the view may show, best first, without a per-result filter call inside the search. */
  private matches(q: string, fuzzy: number | false, wanted: (id: string) => boolean, limit: number) {
    const found = [];
    for (const result of this.index.search(q, { fuzzy })) {
      if (!wanted(result.id)) continue;
      found.push(result);
      if (found.length === limit) break;
    }
    return found;
  }

  async remove(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (entry) this.index.discard(id);
    this.entries.delete(id);
    this.tombstones.add(id);
    await this.records.tombstone(id, new Date().toISOString());
  }

  async isTombstoned(id: string): Promise<boolean> {
    return this.tombstones.has(id);
  }

  async knownIds(): Promise<Set<string>> {
    return new Set([...this.entries.keys(), ...this.tombstones]);
  }

  async trashedBefore(isoTime: string): Promise<string[]> {
    return [...this.entries.values()].filter((e) => e.deletedAt !== null && e.deletedAt < isoTime).map((e) => e.id);
  }

  async boardsUsingAsset(ref: string): Promise<string[]> {
    return [...this.entries.values()].filter((e) => e.assets.includes(ref)).map((e) => e.id);
  }

  async putThumbnail(id: string, image: ThumbnailImage): Promise<BoardEntry | null> {
    const entry = this.entries.get(id);
    if (!entry) return null;
    await this.records.saveThumbnail(id, image.bytes);
    return this.save({ ...entry, thumbnail: { version: thumbnailVersion(image.bytes), type: image.type } });
  }

  async getThumbnail(id: string): Promise<StoredThumbnail | null> {
    const thumbnail = this.entries.get(id)?.thumbnail;
    const bytes = thumbnail ? await this.records.loadThumbnail(id) : undefined;
    return thumbnail && bytes ? { ...thumbnail, bytes } : null;
  }

  async close(): Promise<void> {}

  private candidates(query: ListQuery): BoardEntry[] {
    const pool = query.ids === null ? [...this.entries.values()] : query.ids.flatMap((id) => this.entries.get(id) ?? []);
    return pool.filter((entry) => inView(entry, query.view));
  }

  private async save(entry: BoardEntry): Promise<BoardEntry> {
    await this.records.saveEntry(entry);
    if (this.entries.has(entry.id)) this.index.replace(entry);
    else this.index.add(entry);
    this.entries.set(entry.id, entry);
    return { ...entry };
  }
}

/** A search hit with passages highlighted from MiniSearch's per-field match info (matched term -> fields). */
export function hitFor(entry: BoardEntry, match: Record<string, string[]>): SearchHit {
  const inTitle = new Set(Object.keys(match).filter((term) => match[term].includes('title')));
  const inText = new Set(Object.keys(match).filter((term) => match[term].includes('searchText')));
  const passage = inText.size > 0 ? passageAround(entry.searchText, inText) : { text: entry.excerpt, highlights: [] };
  return {
    entry: { ...entry },
    excerpt: passage.text,
    highlights: passage.highlights,
    titleHighlights: matchedWords(entry.title, inTitle),
  };
}

/** A thumbnail's version: part of its content hash, so its URL changes exactly when the image does. */
export function thumbnailVersion(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url').slice(0, 16);
}

function compareDescending(a: string, b: string): number {
  return a < b ? 1 : a > b ? -1 : 0;
}

function copy(entry: BoardEntry | undefined): BoardEntry | null {
  return entry ? { ...entry } : null;
}

/** Records for a catalog that keeps nothing between runs (the memory store). */
export function memoryCatalogRecords(): CatalogRecords {
  const thumbnails = new Map<string, Uint8Array>();
  return {
    async *loadAll() {},
    async saveEntry() {},
    async tombstone(id) {
      thumbnails.delete(id);
    },
    async saveThumbnail(id, bytes) {
      thumbnails.set(id, bytes.slice());
    },
    async loadThumbnail(id) {
      return thumbnails.get(id);
    },
  };
}
