import type pg from 'pg';
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
  sortTime,
} from './board-catalog.ts';
import { inTransaction } from '../persistence/pg-transaction.ts';
import { hitFor, newSearchIndex, thumbnailVersion } from './indexed-catalog.ts';

// Every DDL statement of every instance takes this lock (as the document store's does), so instances starting
// together do not race on CREATE ... IF NOT EXISTS.
const DDL_LOCK_KEY = 0x5c4a_1002;

/**
 * How alike (pg_trgm similarity) a word on a board must be to a searched word to count as its near spelling: one wrong
 * letter in a six-letter word scores 0.4 ("kanbon" for "kanban"), a dropped letter in a long word more.
 */
const TYPO_SIMILARITY = 0.4;

/** Near spellings tried for each word of a search that finds too few boards as typed (most alike first). */
const NEAR_SPELLINGS = 3;

/** A word as search sees it: letters and digits (also all that may reach to_tsquery, so a query cannot be malformed). */
const WORD = /[\p{L}\p{N}]+/gu;

/** Words longer than this are not kept in the lexicon (nobody types them into a search box). */
const MAX_LEXICON_WORD_CHARS = 40;

/** The columns of a scrawl_boards row as {@link boardEntryFromRow} reads them (also used by backups). */
export const COLUMNS = `id, title, created_at, updated_at, shape_count, bytes, last_editors, excerpt, search_text, assets,
  thumbnail_version, thumbnail_type, deleted_at, template, starred`;

/** A row of scrawl_boards. */
export interface BoardRow {
  id: string;
  title: string;
  created_at: Date;
  updated_at: Date;
  shape_count: number;
  bytes: string;
  last_editors: string[];
  excerpt: string;
  search_text: string;
  assets: string[];
  thumbnail_version: string | null;
  thumbnail_type: string | null;
  deleted_at: Date | null;
  template: boolean;
  starred: boolean;
}

/** The views' conditions (no user input in them). */
const VIEW_WHERE = {
  recent: 'deleted_at IS NULL AND NOT template',
  starred: 'deleted_at IS NULL AND NOT template AND starred',
  templates: 'deleted_at IS NULL AND template',
  trash: 'deleted_at IS NOT NULL',
} as const;

/**
 * The catalog in PostgreSQL, shared by every instance on the same DATABASE_URL (tables `scrawl_boards`,
 * `scrawl_board_thumbnails`, `scrawl_board_tombstones` and `scrawl_board_words` beside the document store's). Search is
 * PostgreSQL's own full-text search (`simple` configuration, every word as typed or as a prefix; title matches first,
 * then the newest change); when that finds too few boards, each word is widened to its near spellings, looked up by
 * trigram similarity (`pg_trgm`) in a lexicon of every word on any board, which is short strings, instead of the boards'
 * whole texts. Both lookups are indexed. The few rows found are then highlighted by the same code as the embedded
 * catalog's, so both answer alike.
 */
export class PostgresCatalog implements BoardCatalog {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private readonly boards: string;
  private readonly thumbnails: string;
  private readonly tombstones: string;
  private readonly words: string;
  private readonly schema: string;

  /** `database` is the document store's pool and schema (PostgresStore.sharedDatabase). */
  constructor(database: { pool: pg.Pool; schema: string }) {
    this.pool = database.pool;
    this.schema = database.schema;
    this.boards = `"${this.schema}".scrawl_boards`;
    this.thumbnails = `"${this.schema}".scrawl_board_thumbnails`;
    this.tombstones = `"${this.schema}".scrawl_board_tombstones`;
    this.words = `"${this.schema}".scrawl_board_words`;
  }

  async open(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [DDL_LOCK_KEY]);
      // A trusted extension since PostgreSQL 13: the database owner may create it.
      await client.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.boards} (
           id text PRIMARY KEY,
           title text NOT NULL,
           created_at timestamptz NOT NULL,
           updated_at timestamptz NOT NULL,
           shape_count integer NOT NULL,
           bytes bigint NOT NULL,
           last_editors text[] NOT NULL,
           excerpt text NOT NULL,
           search_text text NOT NULL,
           assets text[] NOT NULL,
           thumbnail_version text,
           thumbnail_type text,
           deleted_at timestamptz,
           template boolean NOT NULL DEFAULT false,
           starred boolean NOT NULL DEFAULT false,
           search_vector tsvector GENERATED ALWAYS AS
             (setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', search_text), 'B')) STORED,
           title_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', title)) STORED)`,
      );
      await client.query(`CREATE INDEX IF NOT EXISTS scrawl_boards_by_change ON ${this.boards} (updated_at DESC, id DESC)`);
      await client.query(`CREATE INDEX IF NOT EXISTS scrawl_boards_by_deletion ON ${this.boards} (deleted_at DESC, id DESC) WHERE deleted_at IS NOT NULL`);
      await client.query(`CREATE INDEX IF NOT EXISTS scrawl_boards_search ON ${this.boards} USING gin (search_vector)`);
      // Every word on any board, for typos: its near spellings are found here (short strings, a trigram index) and then
      // searched as words, instead of comparing the query with every board's whole text.
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.words} (word text PRIMARY KEY)`);
      await client.query(`CREATE INDEX IF NOT EXISTS scrawl_board_words_trigrams ON ${this.words} USING gin (word public.gin_trgm_ops)`);
      await client.query(`CREATE INDEX IF NOT EXISTS scrawl_boards_assets ON ${this.boards} USING gin (assets)`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.thumbnails} (id text PRIMARY KEY, image bytea NOT NULL)`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.tombstones} (id text PRIMARY KEY, deleted_at timestamptz NOT NULL)`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        // The connection is broken; the original error is the one worth reporting.
      });
      throw new Error(`cannot create the board catalog's tables in PostgreSQL (schema ${this.schema}): ${(error as Error).message}`, { cause: error });
    } finally {
      client.release();
    }
  }

  async get(id: string): Promise<BoardEntry | null> {
    const { rows } = await this.pool.query<BoardRow>(`SELECT ${COLUMNS} FROM ${this.boards} WHERE id = $1`, [id]);
    return rows.length > 0 ? boardEntryFromRow(rows[0]) : null;
  }

  async record(id: string, derived: DerivedBoard): Promise<BoardEntry | null> {
    // One transaction with the row locked: instances deriving the same board at once merge editors one after another.
    const recorded = await inTransaction(this.pool, async (client) => {
      const tombstone = await client.query(`SELECT 1 FROM ${this.tombstones} WHERE id = $1`, [id]);
      if (tombstone.rows.length > 0) return null;
      const { rows } = await client.query<BoardRow>(`SELECT ${COLUMNS} FROM ${this.boards} WHERE id = $1 FOR UPDATE`, [id]);
      const entry = applyDerived(id, rows.length > 0 ? boardEntryFromRow(rows[0]) : null, derived);
      await client.query(
        `INSERT INTO ${this.boards} (id, title, created_at, updated_at, shape_count, bytes, last_editors, excerpt, search_text, assets)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, updated_at = excluded.updated_at,
           shape_count = excluded.shape_count, bytes = excluded.bytes, last_editors = excluded.last_editors,
           excerpt = excluded.excerpt, search_text = excluded.search_text, assets = excluded.assets`,
        [id, entry.title, entry.createdAt, entry.updatedAt, entry.shapeCount, entry.bytes, entry.lastEditors, entry.excerpt, entry.searchText, entry.assets],
      );
      return entry;
    });
    if (!recorded) return null;
    // Outside the board's transaction, and sorted: boards recorded at once insert overlapping words, and rows taken in
    // one order by every writer cannot deadlock.
    const words = new Set(`${recorded.title} ${recorded.searchText}`.toLowerCase().match(WORD) ?? []);
    await this.pool.query(`INSERT INTO ${this.words} (word) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, [
      [...words].filter((word) => word.length <= MAX_LEXICON_WORD_CHARS).sort(),
    ]);
    return recorded;
  }

  async update(id: string, patch: BoardPatch): Promise<BoardEntry | null> {
    const { rows } = await this.pool.query<BoardRow>(
      `UPDATE ${this.boards} SET
         starred = coalesce($2, starred),
         template = coalesce($3, template),
         deleted_at = CASE WHEN $4::boolean THEN $5::timestamptz ELSE deleted_at END
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, patch.starred ?? null, patch.template ?? null, patch.deletedAt !== undefined, patch.deletedAt ?? null],
    );
    return rows.length > 0 ? boardEntryFromRow(rows[0]) : null;
  }

  async list(query: ListQuery): Promise<CatalogPage> {
    const after = query.cursor === null ? null : decodeCursor(query.cursor);
    const time = query.view === 'trash' ? 'deleted_at' : 'updated_at';
    const { rows } = await this.pool.query<BoardRow>(
      `SELECT ${COLUMNS} FROM ${this.boards}
       WHERE ${VIEW_WHERE[query.view]}
         AND ($1::text[] IS NULL OR id = ANY($1))
         AND ($2::timestamptz IS NULL OR (${time}, id) < ($2::timestamptz, $3::text))
       ORDER BY ${time} DESC, id DESC LIMIT $4`,
      [query.ids, after?.time ?? null, after?.id ?? '', query.limit + 1],
    );
    const entries = rows.slice(0, query.limit).map(boardEntryFromRow);
    const last = entries.at(-1);
    return { entries, cursor: last && rows.length > query.limit ? encodeCursor(sortTime(last, query.view), last.id) : null };
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    const words = query.q.toLowerCase().match(WORD) ?? [];
    if (words.length === 0) return [];
    // Every word must match, as typed or as the start of a longer word; title matches first, then the newest change.
    // Near spellings are tried only when that finds too few boards, as in the embedded catalog.
    let rows = await this.searchRows(words.map((word) => `${word}:*`).join(' & '), query);
    if (rows.length < query.limit) {
      const spellings = await Promise.all(words.map((word) => this.nearSpellings(word)));
      if (spellings.some((near) => near.length > 0)) {
        const tolerant = words.map((word, i) => `(${[`${word}:*`, ...spellings[i]].join(' | ')})`).join(' & ');
        rows = await this.searchRows(tolerant, query);
      }
    }
    // Highlights as the embedded catalog makes them: MiniSearch over just the rows found tells which words matched.
    const entries = rows.map(boardEntryFromRow);
    const index = newSearchIndex();
    index.addAll(entries);
    const matches = new Map(index.search(query.q).map((result) => [result.id as string, result.match]));
    return entries.map((entry) => hitFor(entry, matches.get(entry.id) ?? {}));
  }

  /** The view's boards matching a tsquery (letters, digits and operators only), title matches first, newest first. */
  private async searchRows(tsquery: string, query: SearchQuery): Promise<BoardRow[]> {
    const { rows } = await this.pool.query<BoardRow>(
      `SELECT ${COLUMNS} FROM ${this.boards}, to_tsquery('simple', $1) AS query
       WHERE ${VIEW_WHERE[query.view]}
         AND ($2::text[] IS NULL OR id = ANY($2))
         AND search_vector @@ query
       ORDER BY title_vector @@ query DESC, updated_at DESC, id DESC
       LIMIT $3`,
      [tsquery, query.ids, query.limit],
    );
    return rows;
  }

  /**
   * Words on some board spelled like `word` (pg_trgm similarity over the lexicon), most alike first; none when `word`
   * itself is on a board (it is no typo then, and its near spellings would only bury its own boards).
   */
  private async nearSpellings(word: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ word: string }>(
      `SELECT word FROM ${this.words}
       WHERE word OPERATOR(public.%) $1 AND public.similarity(word, $1) >= $3
         AND NOT EXISTS (SELECT 1 FROM ${this.words} WHERE word = $1)
       ORDER BY public.similarity(word, $1) DESC, word LIMIT $2`,
      [word, NEAR_SPELLINGS, TYPO_SIMILARITY],
    );
    return rows.map((row) => row.word);
  }

  async remove(id: string): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query(`INSERT INTO ${this.tombstones} (id, deleted_at) VALUES ($1, now()) ON CONFLICT (id) DO NOTHING`, [id]);
      await client.query(`DELETE FROM ${this.boards} WHERE id = $1`, [id]);
      await client.query(`DELETE FROM ${this.thumbnails} WHERE id = $1`, [id]);
    });
  }

  async isTombstoned(id: string): Promise<boolean> {
    const { rows } = await this.pool.query(`SELECT 1 FROM ${this.tombstones} WHERE id = $1`, [id]);
    return rows.length > 0;
  }

  async knownIds(): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ id: string }>(`SELECT id FROM ${this.boards} UNION ALL SELECT id FROM ${this.tombstones}`);
    return new Set(rows.map((row) => row.id));
  }

  async trashedBefore(isoTime: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(`SELECT id FROM ${this.boards} WHERE deleted_at < $1`, [isoTime]);
    return rows.map((row) => row.id);
  }

  async boardsUsingAsset(ref: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(`SELECT id FROM ${this.boards} WHERE assets @> ARRAY[$1]::text[]`, [ref]);
    return rows.map((row) => row.id);
  }

  async putThumbnail(id: string, image: ThumbnailImage): Promise<BoardEntry | null> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<BoardRow>(
        `UPDATE ${this.boards} SET thumbnail_version = $2, thumbnail_type = $3 WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, thumbnailVersion(image.bytes), image.type],
      );
      if (rows.length === 0) return null;
      await client.query(
        `INSERT INTO ${this.thumbnails} (id, image) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET image = excluded.image`,
        [id, Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength)],
      );
      return boardEntryFromRow(rows[0]);
    });
  }

  async getThumbnail(id: string): Promise<StoredThumbnail | null> {
    const { rows } = await this.pool.query<{ image: Buffer; thumbnail_version: string; thumbnail_type: string }>(
      `SELECT t.image, b.thumbnail_version, b.thumbnail_type FROM ${this.thumbnails} t JOIN ${this.boards} b USING (id) WHERE id = $1`,
      [id],
    );
    if (rows.length === 0) return null;
    const { image, thumbnail_version: version, thumbnail_type: type } = rows[0];
    return { version, type, bytes: new Uint8Array(image.buffer, image.byteOffset, image.byteLength) };
  }

  async close(): Promise<void> {
    // The pool belongs to the document store, which closes it.
  }
}

/** A scrawl_boards row (selected with {@link COLUMNS}) as a catalog entry; backups read PostgreSQL entries with it. */
export function boardEntryFromRow(row: BoardRow): BoardEntry {
  return {
    id: row.id,
    title: row.title,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    shapeCount: row.shape_count,
    bytes: Number(row.bytes),
    lastEditors: row.last_editors,
    excerpt: row.excerpt,
    searchText: row.search_text,
    assets: row.assets,
    thumbnail: row.thumbnail_version && row.thumbnail_type ? { version: row.thumbnail_version, type: row.thumbnail_type } : null,
    deletedAt: row.deleted_at?.toISOString() ?? null,
    template: row.template,
    starred: row.starred,
  };
}
