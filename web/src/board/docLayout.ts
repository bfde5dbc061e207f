import * as Y from 'yjs'

/**
 * Where a board lives inside its Y.Doc. docs/document-schema.md is the long form of this file;
 * change both together.
 *
 *   doc.getMap('records')  id -> Y.Map of one tldraw document record (see recordCodec.ts)
 *   doc.getMap('meta')     'formatVersion' -> number, 'schema' -> tldraw's serialized schema,
 *                          'title' -> string (the board's name, at most 200 characters; absent or '' = untitled)
 *   doc.getMap('texts')    shape id -> Y.Map { fragment: Y.XmlFragment, committed: JSON }, the label's
 *                          text edited per character (see labelText.ts)
 */

/** Name of the top-level Y.Map holding every document-scope tldraw record by id. */
export const RECORDS_KEY = 'records'

/** Name of the top-level Y.Map holding facts about the document itself. */
export const META_KEY = 'meta'

/**
 * Name of the top-level Y.Map holding label texts by shape id (labelText.ts). Outside the records so
 * that `records.get(id).toJSON()` stays exactly the tldraw record: tldraw's validators refuse unknown
 * keys, so a fragment inside a record would make older clients, .tldr exports and Node readers reject it.
 */
export const TEXTS_KEY = 'texts'

/** Key in `meta`: the Scrawl layout version, bumped only when this layout changes incompatibly. */
export const FORMAT_VERSION_KEY = 'formatVersion'

/** Key in `meta`: `store.schema.serialize()` of the tldraw that last migrated the records. */
export const SCHEMA_KEY = 'schema'

/**
 * Key in `meta`: the board's title, a plain string of at most {@link MAX_TITLE_LENGTH} characters.
 * It lives in the document (not only in the server's catalog) so a rename works offline, merges like
 * any other edit and reaches everyone in the board at once; the server's catalog reads it from here.
 */
export const TITLE_KEY = 'title'

/** Longest title the server accepts (docs/protocol.md); longer ones are cut here before writing. */
export const MAX_TITLE_LENGTH = 200

/** The layout this code reads and writes. */
export const FORMAT_VERSION = 1

/** The board's records map: id -> Y.Map (or, from foreign writers, a plain JSON object). */
export function recordsMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap(RECORDS_KEY)
}

/** The board's meta map. */
export function metaMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap(META_KEY)
}

/** The board's label texts: shape id -> Y.Map holding the label's Y.XmlFragment (labelText.ts). */
export function textsMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap(TEXTS_KEY)
}
