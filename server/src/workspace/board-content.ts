import * as Y from 'yjs';
import { TITLE_KEY, normalizeTitle } from './board-title.ts';

/**
 * What the catalog learns from a board's document (docs/document-schema.md): its title, how many shapes it holds, the
 * text on it and the assets it refers to. Read from the document itself, so a plain y-websocket client's edits count
 * as much as the web app's, and nothing a client says about the board is taken on trust.
 */
export interface BoardContent {
  title: string;
  shapeCount: number;
  /** Every text on the board, top to bottom: shape labels and notes, then frame names. */
  searchText: string;
  /** The start of that text, for cards. */
  excerpt: string;
  /** Assets the document refers to, as `<room>/<asset id>`. */
  assets: string[];
}

/** Most text kept per board for search; beyond it a board is found by its first 20,000 characters. */
const MAX_SEARCH_CHARS = 20_000;

/** Characters of the excerpt shown on a card. */
const EXCERPT_CHARS = 160;

const ASSET_URL = /\/api\/rooms\/([A-Za-z0-9_-]{1,64})\/assets\/([0-9a-f]{64}\.[a-z0-9]{2,4})$/;

/** A text of the board and where it sits, to read texts top to bottom. */
interface PlacedText {
  text: string;
  y: number;
  x: number;
}

/** Reads what the catalog keeps from a board's document. Cheap: it never turns whole records or stroke paths to JSON. */
export function readBoardContent(doc: Y.Doc): BoardContent {
  const records = doc.getMap<unknown>('records');
  const labels: PlacedText[] = [];
  const frames: PlacedText[] = [];
  const assets = new Set<string>();
  let shapeCount = 0;
  for (const record of records.values()) {
    const typeName = field(record, 'typeName');
    const props = field(record, 'props');
    if (typeName === 'shape') {
      shapeCount += 1;
      const place = { x: numberOr(field(record, 'x')), y: numberOr(field(record, 'y')) };
      const text = plainText(field(props, 'richText')) || stringOr(field(props, 'text'));
      if (text) labels.push({ text, ...place });
      const name = stringOr(field(props, 'name'));
      if (field(record, 'type') === 'frame' && name) frames.push({ text: name, ...place });
    } else if (typeName === 'asset') {
      const match = ASSET_URL.exec(stringOr(field(props, 'src')));
      if (match) assets.add(`${match[1]}/${match[2]}`);
    }
  }
  const inReadingOrder = (a: PlacedText, b: PlacedText) => a.y - b.y || a.x - b.x;
  const texts = [...labels.sort(inReadingOrder), ...frames.sort(inReadingOrder)].map((t) => t.text.trim()).filter(Boolean);
  const searchText = texts.join('\n').slice(0, MAX_SEARCH_CHARS);
  return {
    title: normalizeTitle(stringOr(doc.getMap<unknown>('meta').get(TITLE_KEY))),
    shapeCount,
    searchText,
    excerpt: cutAtSpace(texts.join(' · '), EXCERPT_CHARS),
    assets: [...assets].sort(),
  };
}

/** The text of a TipTap/ProseMirror JSON document (tldraw's richText): text nodes, a line per block. */
export function plainText(node: unknown): string {
  if (!isObject(node)) return '';
  if (typeof node.text === 'string') return node.text;
  if (!Array.isArray(node.content)) return node.type === 'hardBreak' ? '\n' : '';
  const parts = node.content.map(plainText);
  return node.type === 'doc' || node.type === 'bulletList' || node.type === 'orderedList' ? parts.join('\n') : parts.join('');
}

/** A field of a record held as a Y.Map (the app's layout) or as plain JSON (a foreign writer's). */
function field(value: unknown, key: string): unknown {
  if (value instanceof Y.Map) return value.get(key);
  return isObject(value) ? value[key] : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOr(value: unknown): string {
  return typeof value === 'string' ? value : value instanceof Y.Text ? value.toString() : '';
}

function numberOr(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function cutAtSpace(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const space = text.lastIndexOf(' ', maxChars);
  return `${text.slice(0, space > maxChars / 2 ? space : maxChars)} …`;
}
