/**
 * A board's title: `meta.title` in its document (docs/document-schema.md), written by renames from the web app, the
 * API or a .tldr file's document name, and read by the catalog. The same rules as the web app's
 * (web/src/board/boardTitle.ts), so a title reads the same whoever wrote it.
 */

/** Key of the title in the document's `meta` map. */
export const TITLE_KEY = 'title';

/** The longest title, in UTF-16 units (JavaScript string length, what the web app checks). */
export const MAX_TITLE_CHARS = 200;

/**
 * A title as it is stored: whitespace runs (newlines included) become one space, the ends are trimmed, and it is cut
 * to {@link MAX_TITLE_CHARS} without splitting a surrogate pair (half an emoji).
 */
export function normalizeTitle(title: string): string {
  const cut = title.replace(/\s+/g, ' ').trim().slice(0, MAX_TITLE_CHARS);
  return (/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut).trim();
}
