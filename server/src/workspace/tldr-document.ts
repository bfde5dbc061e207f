import * as Y from 'yjs';
import { MAX_TITLE_CHARS, TITLE_KEY, normalizeTitle } from './board-title.ts';

/**
 * Turns a .tldr file (tldraw's own file format, which templates ship as and users may upload) into a board document:
 * a Y.Doc laid out as docs/document-schema.md describes, encoded as one Yjs update.
 *
 * The server has no tldraw dependency, so it cannot validate records against tldraw's schema. It checks the file's
 * shape enough to refuse garbage with a readable message; the web app validates every record when it loads the board
 * and skips (and logs) any that fail, so a record that is well-formed JSON but wrong for tldraw cannot crash anyone.
 *
 * Records of board-less kinds are dropped, not refused: tldraw's own "Save a copy" writes the whole store, including
 * the saver's camera, instance state and pointer (session scope) and presence, and those belong to no board. Record
 * types tldraw does not have by default (comments, custom records) are refused, since no Scrawl client could load them.
 */

/** The only .tldr format version tldraw has written so far. */
export const TLDR_FILE_FORMAT_VERSION = 1;

/** The largest .tldr file accepted, in bytes of JSON: the server's default WebSocket message limit. */
export const MAX_TLDR_FILE_BYTES = 16 * 1024 * 1024;

/** The most records a .tldr file may hold; far above any hand-made board, low enough to bound the work. */
export const MAX_TLDR_RECORDS = 100_000;

/** How deeply a record's JSON may nest; tldraw's deepest (rich text) stays under 15. Bounds recursion when encoding. */
export const MAX_RECORD_DEPTH = 64;

/** The record types a board holds (document scope in tldraw's default schema). */
const BOARD_RECORD_TYPES = new Set(['document', 'page', 'shape', 'binding', 'asset']);

/**
 * Record types that are in tldraw's default schema but not part of a board, dropped on conversion: per-viewer state
 * (camera, instance, instance_page_state, pointer), presence, and `user` records, which name the people of the file's
 * origin rather than anything on the board.
 */
const DROPPED_RECORD_TYPES = new Set(['camera', 'instance', 'instance_page_state', 'pointer', 'instance_presence', 'user']);

/** The id of tldraw's one document record, whose `name` is the board's title. */
const DOCUMENT_ID = 'document:document';

/** A JSON object; records and their fields are plain JSON after parsing. */
type JsonObject = { [key: string]: unknown };

/** One tldraw record as the file holds it: any JSON object with a string `id` and `typeName`. */
export interface TldrRecord extends JsonObject {
  id: string;
  typeName: string;
}

/** A checked .tldr file, holding only board records. */
export interface TldrFile {
  tldrawFileFormatVersion: typeof TLDR_FILE_FORMAT_VERSION;
  /** tldraw's serialized schema (`store.schema.serialize()`): the migration versions the records are in. */
  schema: JsonObject;
  records: TldrRecord[];
}

/** Thrown for input that is not a usable .tldr file; the message says what is wrong in words a user can act on. */
export class TldrFileError extends Error {
  /** What is wrong, without the file's name: "it is not valid JSON." */
  readonly problem: string;

  /** `fileName`, when known, leads the message: "kanban.tldr is not a usable tldraw file: ...". */
  constructor(problem: string, fileName?: string) {
    super(`${fileName ?? 'This'} is not a usable tldraw file: ${problem}`);
    this.name = 'TldrFileError';
    this.problem = problem;
  }
}

/**
 * Parses the bytes or text of a .tldr file and checks it (see {@link validateTldrFile}). Throws {@link TldrFileError}.
 * `maxBytes` (default {@link MAX_TLDR_FILE_BYTES}) is raised by uploads, whose images travel inline as data: URLs.
 */
export function parseTldrFile(input: string | Uint8Array, maxBytes = MAX_TLDR_FILE_BYTES): TldrFile {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (bytes > maxBytes) {
    throw new TldrFileError(`it is ${megabytes(bytes)} MB; the limit is ${megabytes(maxBytes)} MB.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input));
  } catch {
    throw new TldrFileError('it is not valid JSON.');
  }
  return validateTldrFile(value);
}

/**
 * Checks a parsed .tldr value: format version 1, a schema object, an array of records each with a string `id`
 * prefixed by its string `typeName` (as every tldraw id is) and no id twice, at most {@link MAX_TLDR_RECORDS}.
 * Returns the file with only board records (document, page, shape, binding, asset); see the module comment for what
 * is dropped and what is refused. Throws {@link TldrFileError}.
 */
export function validateTldrFile(value: unknown): TldrFile {
  if (!isJsonObject(value)) throw new TldrFileError('expected a JSON object with "tldrawFileFormatVersion", "schema" and "records".');
  const version = value.tldrawFileFormatVersion;
  if (version !== TLDR_FILE_FORMAT_VERSION) {
    throw new TldrFileError(
      typeof version === 'number' && version > TLDR_FILE_FORMAT_VERSION
        ? `it was saved in tldraw file format ${version}, newer than this server reads (${TLDR_FILE_FORMAT_VERSION}).`
        : '"tldrawFileFormatVersion" is missing or not 1.',
    );
  }
  if (!isJsonObject(value.schema) || typeof value.schema.schemaVersion !== 'number') {
    throw new TldrFileError('"schema" is missing or is not a tldraw schema object.');
  }
  if (!Array.isArray(value.records)) throw new TldrFileError('"records" is missing or is not a list.');
  if (value.records.length > MAX_TLDR_RECORDS) {
    throw new TldrFileError(`it has ${value.records.length} records; the limit is ${MAX_TLDR_RECORDS}.`);
  }
  const records: TldrRecord[] = [];
  const seen = new Set<string>();
  for (const [position, record] of value.records.entries()) {
    const where = `record ${position + 1}`;
    if (!isJsonObject(record)) throw new TldrFileError(`${where} is not an object.`);
    const { id, typeName } = record;
    if (typeof id !== 'string' || id === '') throw new TldrFileError(`${where} has no "id".`);
    if (typeof typeName !== 'string' || typeName === '') throw new TldrFileError(`${where} (${id}) has no "typeName".`);
    if (DROPPED_RECORD_TYPES.has(typeName)) continue;
    if (!BOARD_RECORD_TYPES.has(typeName)) throw new TldrFileError(`${where} (${id}) is of type "${typeName}", which a board cannot hold.`);
    if (!id.startsWith(`${typeName}:`)) throw new TldrFileError(`${where} has id "${id}", which does not start with "${typeName}:".`);
    if (seen.has(id)) throw new TldrFileError(`the id "${id}" appears twice.`);
    if (depthOf(record) > MAX_RECORD_DEPTH) throw new TldrFileError(`${where} (${id}) nests deeper than ${MAX_RECORD_DEPTH} levels.`);
    seen.add(id);
    records.push(record as TldrRecord);
  }
  return { tldrawFileFormatVersion: TLDR_FILE_FORMAT_VERSION, schema: value.schema, records };
}

/**
 * The board title a file carries: its document record's `name` stored as the web app stores a rename
 * (web/src/board/boardTitle.ts): whitespace runs become one space, ends trimmed, cut to {@link MAX_TITLE_CHARS}
 * UTF-16 units (JavaScript string length, what the app checks) without splitting a surrogate pair. Null when empty.
 */
export function titleOfTldrFile(file: TldrFile): string | null {
  const name = file.records.find((record) => record.id === DOCUMENT_ID)?.name;
  if (typeof name !== 'string') return null;
  const title = normalizeTitle(name);
  return title === '' ? null : title;
}

/**
 * The board document for a checked file, as one Yjs update of a fresh Y.Doc: every record in `records` (layout of
 * docs/document-schema.md), `meta.formatVersion` 1, `meta.schema` the file's schema (so the first client on a newer
 * tldraw migrates the records, as for any older board) and `meta.title` when the file has one (else `fallbackTitle`,
 * e.g. the uploaded file's name). One transaction.
 */
export function tldrFileToBoardUpdate(file: TldrFile, fallbackTitle: string | null = null): Uint8Array {
  const doc = new Y.Doc();
  try {
    const records = doc.getMap<Y.Map<unknown>>('records');
    const meta = doc.getMap<unknown>('meta');
    const title = titleOfTldrFile(file) ?? (fallbackTitle === null ? null : normalizeTitle(fallbackTitle) || null);
    doc.transact(() => {
      meta.set('formatVersion', 1);
      meta.set('schema', file.schema);
      if (title !== null) meta.set(TITLE_KEY, title);
      for (const record of file.records) records.set(record.id, recordToYMap(record));
    });
    return Y.encodeStateAsUpdate(doc);
  } finally {
    doc.destroy();
  }
}

/** Parses, checks and converts in one step: what an upload or a template file needs. Throws {@link TldrFileError}. */
export function tldrToBoardUpdate(input: string | Uint8Array): { update: Uint8Array; title: string | null } {
  const file = parseTldrFile(input);
  return { update: tldrFileToBoardUpdate(file), title: titleOfTldrFile(file) };
}

/**
 * A board document as a .tldr file, the inverse of {@link tldrFileToBoardUpdate}: every record of `records` as plain
 * JSON (Y.Text paths become strings) and `meta.schema`. A document no tldraw client has opened yet has no schema; it
 * gets an empty one, which makes tldraw run every migration over the records when it opens them, as for the oldest
 * file. The title is not written into the records (they stay as the board has them): it travels as the file's name.
 */
export function boardDocumentToTldrFile(doc: Y.Doc): TldrFile {
  const schema = doc.getMap<unknown>('meta').get('schema');
  const records: TldrRecord[] = [];
  for (const value of doc.getMap<unknown>('records').values()) {
    const record = value instanceof Y.AbstractType ? value.toJSON() : value;
    if (isJsonObject(record) && typeof record.id === 'string' && typeof record.typeName === 'string') records.push(record as TldrRecord);
  }
  return {
    tldrawFileFormatVersion: TLDR_FILE_FORMAT_VERSION,
    schema: isJsonObject(schema) ? schema : { schemaVersion: 2, sequences: {} },
    records,
  };
}

/**
 * One record as the web app writes it: a Y.Map of its top-level fields with `props` a nested Y.Map, so that people
 * editing different fields or props of one shape both win; stroke segments a Y.Array of Y.Maps whose `path` is a
 * Y.Text, so a growing stroke sends only its tail. Everything else stays plain JSON.
 */
function recordToYMap(record: TldrRecord): Y.Map<unknown> {
  const fields = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    fields.set(key, key === 'props' && isJsonObject(value) ? propsToYMap(value) : value);
  }
  return fields;
}

function propsToYMap(props: JsonObject): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue;
    // Draw and highlight shapes keep their strokes here; the web codec checks the value, not the shape type, so do we.
    map.set(key, key === 'segments' && isSegmentList(value) ? Y.Array.from(value.map(segmentToYMap)) : value);
  }
  return map;
}

function segmentToYMap(segment: JsonObject): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(segment)) {
    if (value === undefined) continue;
    map.set(key, key === 'path' ? new Y.Text(value as string) : value);
  }
  return map;
}

/** tldraw's stroke segments: objects with a string `path` (older files had `points` arrays, kept as plain JSON). */
function isSegmentList(value: unknown): value is JsonObject[] {
  return Array.isArray(value) && value.every((segment) => isJsonObject(segment) && typeof segment.path === 'string');
}

/** Nesting depth of a JSON value (a scalar is 0), found without recursion so that a hostile file cannot overflow the stack. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_RECORD_DEPTH) return deepest;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return deepest;
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function megabytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}
