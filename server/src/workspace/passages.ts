/**
 * Highlighted passages for search results: given a text and the words a search matched in it, the passage around the
 * first match and the offsets of every matched word in it. The words are those the search library matched (MiniSearch
 * reports them per result), so typo and prefix matches are highlighted as the search saw them.
 */

/** A word as search tokenizes text: a run of characters that are neither spaces, line breaks nor punctuation. */
const WORD = /[^\n\r\p{Z}\p{P}]+/gu;

/** Longest passage, in characters. */
export const PASSAGE_CHARS = 160;

/** Characters of context kept before the first match. */
const LEAD_CHARS = 40;

/** A passage of a text and the matched words in it. */
export interface Passage {
  text: string;
  /** [start, end) UTF-16 offsets into `text`. */
  highlights: [number, number][];
}

/** Offsets of the words of `text` whose lower-case form is one of `terms`. */
export function matchedWords(text: string, terms: ReadonlySet<string>): [number, number][] {
  const found: [number, number][] = [];
  if (terms.size === 0) return found;
  for (const match of text.matchAll(WORD)) {
    if (terms.has(match[0].toLowerCase())) found.push([match.index, match.index + match[0].length]);
  }
  return found;
}

/**
 * The passage of `text` around the first of `terms` it holds (its start when it holds none), at most `maxChars`
 * long, cut at spaces, with an ellipsis where it was cut.
 */
export function passageAround(text: string, terms: ReadonlySet<string>, maxChars = PASSAGE_CHARS): Passage {
  const words = matchedWords(text, terms);
  let start = words.length > 0 ? Math.max(0, words[0][0] - LEAD_CHARS) : 0;
  if (start > 0) {
    const space = text.indexOf(' ', start);
    start = space >= 0 && space < words[0][0] ? space + 1 : start;
  }
  let end = Math.min(text.length, start + maxChars);
  if (end < text.length) {
    const space = text.lastIndexOf(' ', end);
    end = space > start ? space : end;
  }
  const prefix = start > 0 ? '… ' : '';
  const suffix = end < text.length ? ' …' : '';
  const shift = prefix.length - start;
  return {
    text: prefix + text.slice(start, end) + suffix,
    highlights: words.filter(([s, e]) => s >= start && e <= end).map(([s, e]) => [s + shift, e + shift]),
  };
}
