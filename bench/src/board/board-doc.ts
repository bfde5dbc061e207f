/**
 * A big board built in Node the way docs/document-schema.md tells another app to write one: a `records` Y.Map with
 * one Y.Map per tldraw record (`props` a nested Y.Map; a draw shape's `props.segments` a Y.Array of Y.Maps whose
 * `path` is a Y.Text), and `meta` holding `formatVersion` and tldraw's serialized schema. Every record is checked
 * against tldraw's schema (@tldraw/tlschema, the app's version) before it is written, so the browser skips none.
 *
 * Deterministic: the same `count` always gives the same document. The shapes are laid out on a grid from the
 * origin, 40 % geo (rectangles, ellipses, ... with a label), 30 % text, 30 % freehand strokes of 24 points.
 */
import { b64Vecs, createTLSchema, type TLRecord } from '@tldraw/tlschema';
import * as Y from 'yjs';

const COLORS = ['black', 'blue', 'green', 'red', 'orange', 'violet', 'light-blue', 'yellow'] as const;
const GEOS = ['rectangle', 'ellipse', 'triangle', 'diamond', 'cloud', 'star'] as const;
const COLUMNS = 100;
const SPACING = 180;

function richText(text: string): object {
  return { type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] };
}

/** A valid fractional index key for the i-th shape ("a1" + base-36 digits + a non-zero last digit), ordered by i. */
function indexKey(i: number): string {
  return `a1${i.toString(36).padStart(3, '0')}V`;
}

/** The plain-JSON tldraw records of a board with `count` shapes on page:page (plus the document and the page). */
export function boardRecords(count: number): { records: TLRecord[]; schema: object } {
  const schema = createTLSchema();
  const records: TLRecord[] = [
    schema.types.document.create({ id: 'document:document' as never, gridSize: 10, name: '', meta: {} }),
    schema.types.page.create({ id: 'page:page' as never, name: 'Page 1', index: 'a1' as never, meta: {} }),
  ];
  for (let i = 0; i < count; i++) {
    const x = (i % COLUMNS) * SPACING;
    const y = Math.floor(i / COLUMNS) * SPACING;
    const color = COLORS[i % COLORS.length];
    const base = { id: `shape:b${i}` as never, parentId: 'page:page' as never, index: indexKey(i) as never, x, y };
    const kind = i % 10;
    let record: TLRecord;
    if (kind < 4) {
      record = schema.types.shape.create({
        ...base, type: 'geo',
        props: {
          geo: GEOS[i % GEOS.length], w: 140, h: 100, color, labelColor: 'black', fill: i % 2 ? 'semi' : 'none',
          dash: 'draw', size: 'm', font: 'draw', align: 'middle', verticalAlign: 'middle', growY: 0, url: '',
          scale: 1, flipX: false, flipY: false, richText: richText(`box ${i}`),
        },
      } as never);
    } else if (kind < 7) {
      record = schema.types.shape.create({
        ...base, type: 'text',
        props: { color, size: 'm', font: 'draw', textAlign: 'start', w: 140, scale: 1, autoSize: true, richText: richText(`note ${i}: remember this`) },
      } as never);
    } else {
      const points = Array.from({ length: 24 }, (_, k) => ({ x: k * 5, y: Math.sin((k + i) / 3) * 30 + 40, z: 0.5 }));
      record = schema.types.shape.create({
        ...base, type: 'draw',
        props: {
          segments: [{ type: 'free', path: b64Vecs.encodePoints(points, 2), dim: 2 }],
          color, fill: 'none', dash: 'draw', size: 'm', isComplete: true, isClosed: false, isPen: false,
          scale: 1, scaleX: 1, scaleY: 1,
        },
      } as never);
    }
    records.push(record);
  }
  for (const record of records) schema.types[record.typeName].validate(record as never);
  return { records, schema: schema.serialize() };
}

/** One record as docs/document-schema.md lays it out. */
function recordMap(record: TLRecord): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(record)) {
    if (key !== 'props') {
      map.set(key, value);
      continue;
    }
    const props = new Y.Map<unknown>();
    for (const [prop, propValue] of Object.entries(value as Record<string, unknown>)) {
      if (prop === 'segments' && (record as { type?: string }).type === 'draw') {
        const segments = new Y.Array<Y.Map<unknown>>();
        segments.push((propValue as Array<Record<string, unknown>>).map((segment) => {
          const s = new Y.Map<unknown>();
          for (const [k, v] of Object.entries(segment)) s.set(k, k === 'path' ? new Y.Text(v as string) : v);
          return s;
        }));
        props.set(prop, segments);
      } else {
        props.set(prop, propValue);
      }
    }
    map.set('props', props);
  }
  return map;
}

/** Writes the board into `doc` in one transaction. */
export function writeBoard(doc: Y.Doc, count: number): { records: number } {
  const { records, schema } = boardRecords(count);
  doc.transact(() => {
    const meta = doc.getMap('meta');
    meta.set('formatVersion', 1);
    meta.set('schema', schema);
    const map = doc.getMap('records');
    for (const record of records) map.set(record.id, recordMap(record));
  });
  return { records: records.length };
}
