/**
 * The board catalog: one entry per board, so that people find boards again (the boards page, search, trash,
 * templates). Entries are derived by the server from the stored documents (workspace/board-content.ts), never from a
 * client's word; a few fields belong to the catalog alone (starred, trash, template, thumbnail). Implementations:
 * memory (tests), LevelDB (beside the embedded store) and PostgreSQL (shared by several instances). One contract suite
 * (server/test/catalog-contract.ts) runs against each.
 */
export interface BoardCatalog {
  /** A short name for logs: `memory`, `leveldb`, `postgres`. */
  readonly kind: string;

  /** Opens the catalog (its store must be open already); loads or creates what it needs. */
  open(): Promise<void>;

  /** The board's entry, or null when the catalog holds none (never derived, or deleted for good). */
  get(id: string): Promise<BoardEntry | null>;

  /**
   * Stores what was derived from the board's document. Creates the entry when new (createdAt = `derived.updatedAt`);
   * keeps the catalog's own fields (starred, trash, template, thumbnail, createdAt) and adds the newly seen editors in
   * front of the known ones. Refused (resolves null) for a board deleted for good.
   */
  record(id: string, derived: DerivedBoard): Promise<BoardEntry | null>;

  /** Changes the catalog's own fields of an existing entry; resolves null when there is none. */
  update(id: string, patch: BoardPatch): Promise<BoardEntry | null>;

  /** One page of a view, newest change first (the trash: newest deletion first). */
  list(query: ListQuery): Promise<CatalogPage>;

  /** The best matches for `query.q` over titles and the text on the boards, best first, with highlights. */
  search(query: SearchQuery): Promise<SearchHit[]>;

  /**
   * Deletes the entry and its thumbnail, and keeps a tombstone of the id (no content), so that a client's offline
   * copy cannot bring the board back. Unknown ids are tombstoned too.
   */
  remove(id: string): Promise<void>;

  /** True when the board was deleted for good. */
  isTombstoned(id: string): Promise<boolean>;

  /** Every id the catalog knows, entries and tombstones alike (to find boards a store holds without an entry). */
  knownIds(): Promise<Set<string>>;

  /** Boards in the trash since before `isoTime` (the trash empties itself). */
  trashedBefore(isoTime: string): Promise<string[]>;

  /** Boards whose document refers to the asset `ref` (`<room>/<asset id>`), so it is kept while one does. */
  boardsUsingAsset(ref: string): Promise<string[]>;

  /** Stores the board's thumbnail and gives it a new version; resolves null when the board has no entry. */
  putThumbnail(id: string, image: ThumbnailImage): Promise<BoardEntry | null>;

  /** The board's thumbnail, or null. */
  getThumbnail(id: string): Promise<StoredThumbnail | null>;

  /** Releases what the catalog holds (not the store it lives in). */
  close(): Promise<void>;
}

/** One board as the catalog knows it. */
export interface BoardEntry {
  /** The room id. */
  id: string;
  /** The document's `meta.title`; empty for an untitled board. */
  title: string;
  /** ISO 8601: when the catalog first saw the board. */
  createdAt: string;
  /** ISO 8601: the last stored change. */
  updatedAt: string;
  /** Shapes on all pages. */
  shapeCount: number;
  /** Bytes the board takes in the store (snapshot and log). */
  bytes: number;
  /** Names seen in the board's presence while it changed, most recent first (at most {@link MAX_EDITORS}). */
  lastEditors: string[];
  /** The start of the text on the board, for cards. */
  excerpt: string;
  /** Every text on the board (labels, notes, frame and page names), what search matches besides the title. */
  searchText: string;
  /** Assets the document refers to, as `<room>/<asset id>` (see FileAssetStore). */
  assets: string[];
  /** The current thumbnail's version and type; null until a browser rendered one. */
  thumbnail: { version: string; type: string } | null;
  /** ISO 8601 time it was moved to the trash; null when it is not there. */
  deletedAt: string | null;
  /** Listed among the templates instead of the boards. */
  template: boolean;
  /** Pinned by someone on this server. */
  starred: boolean;
}

/** What the server derives from a board's document (board-content.ts) and its presence. */
export interface DerivedBoard {
  title: string;
  shapeCount: number;
  bytes: number;
  excerpt: string;
  searchText: string;
  assets: string[];
  /** Names in the board's presence now; merged in front of the entry's known editors. */
  editors: string[];
  /** ISO 8601 time of the last change. */
  updatedAt: string;
}

/** The catalog's own fields, changed through the API. */
export interface BoardPatch {
  starred?: boolean;
  template?: boolean;
  deletedAt?: string | null;
}

/** The boards page's views. */
export type CatalogView = 'recent' | 'starred' | 'trash' | 'templates';

/** The views, for validating a query. */
export const CATALOG_VIEWS: readonly CatalogView[] = ['recent', 'starred', 'trash', 'templates'];

/** A page request. */
export interface ListQuery {
  view: CatalogView;
  /** From the previous page; null for the first. */
  cursor: string | null;
  /** Entries per page, 1..{@link MAX_PAGE_SIZE}. */
  limit: number;
  /** Only these boards (BOARD_LIST=off, or a token for one room); null for all. */
  ids: string[] | null;
}

/** One page of a view. */
export interface CatalogPage {
  entries: BoardEntry[];
  /** Pass back for the next page; null after the last. */
  cursor: string | null;
}

/** A search request. */
export interface SearchQuery {
  q: string;
  view: CatalogView;
  limit: number;
  ids: string[] | null;
}

/** One search result. */
export interface SearchHit {
  entry: BoardEntry;
  /** The passage of the board's text around the match (the start of the text when only the title matched). */
  excerpt: string;
  /** [start, end) UTF-16 offsets of matched words in `excerpt`. */
  highlights: [number, number][];
  /** [start, end) offsets of matched words in the title. */
  titleHighlights: [number, number][];
}

/** A thumbnail as uploaded. */
export interface ThumbnailImage {
  /** `image/png` or `image/webp`. */
  type: string;
  bytes: Uint8Array;
}

/** A stored thumbnail with its version. */
export interface StoredThumbnail extends ThumbnailImage {
  version: string;
}

/** Most editors an entry remembers. */
export const MAX_EDITORS = 5;

/** Largest page. */
export const MAX_PAGE_SIZE = 100;

/** The entry `record` makes or updates: derived fields replaced, the catalog's own kept, editors merged. */
export function applyDerived(id: string, previous: BoardEntry | null, derived: DerivedBoard): BoardEntry {
  return {
    id,
    title: derived.title,
    createdAt: previous?.createdAt ?? derived.updatedAt,
    updatedAt: derived.updatedAt,
    shapeCount: derived.shapeCount,
    bytes: derived.bytes,
    lastEditors: mergeEditors(derived.editors, previous?.lastEditors ?? []),
    excerpt: derived.excerpt,
    searchText: derived.searchText,
    assets: derived.assets,
    thumbnail: previous?.thumbnail ?? null,
    deletedAt: previous?.deletedAt ?? null,
    template: previous?.template ?? false,
    starred: previous?.starred ?? false,
  };
}

/** Newly seen names first, then the known ones, each once, at most {@link MAX_EDITORS}. */
export function mergeEditors(seen: string[], known: string[]): string[] {
  return [...new Set([...seen, ...known])].slice(0, MAX_EDITORS);
}

/** True when the entry belongs in the view. */
export function inView(entry: BoardEntry, view: CatalogView): boolean {
  if (view === 'trash') return entry.deletedAt !== null;
  if (entry.deletedAt !== null) return false;
  if (view === 'templates') return entry.template;
  return !entry.template && (view === 'recent' || entry.starred);
}

/** The time a view sorts by: the trash by deletion, the rest by the last change. */
export function sortTime(entry: BoardEntry, view: CatalogView): string {
  return view === 'trash' ? entry.deletedAt! : entry.updatedAt;
}

/** A page cursor: the last entry's sort time and id, opaque to clients. */
export function encodeCursor(time: string, id: string): string {
  return Buffer.from(JSON.stringify([time, id])).toString('base64url');
}

/** Reads a cursor; null for one this server did not make. */
export function decodeCursor(cursor: string): { time: string; id: string } | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' && !Number.isNaN(Date.parse(value[0]))) {
      return { time: value[0], id: value[1] };
    }
  } catch {
    // Not base64url JSON: answered as a bad cursor below.
  }
  return null;
}
