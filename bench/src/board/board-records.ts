/**
 * The big board of the board scenario as plain tldraw records, the same for every product: each product's own client
 * then writes these records (board-doc.ts into Scrawl's Y.Doc, tldraw-writer.ts into a tldraw sync room).
 *
 * Deterministic: the same `count` always gives the same records. Shapes sit on a grid from the origin, 100 columns
 * 180 units apart. Of every ten shapes: three text shapes, three labelled geo shapes (rectangles, ellipses, ...),
 * two freehand strokes of 24 points, and two arrows, each bound at both ends (one tldraw binding record per end) to
 * the geo shapes just before it, so tldraw has arrow geometry to work out on load as it would on a real board.
 * Every record is checked against tldraw's schema (@tldraw/tlschema, the app's version) before it is returned.
 */
import { b64Vecs, createTLSchema, type TLRecord } from '@tldraw/tlschema';

const COLORS = ['black', 'blue', 'green', 'red', 'orange', 'violet', 'light-blue', 'yellow'] as const;
const GEOS = ['rectangle', 'ellipse', 'triangle', 'diamond', 'cloud', 'star'] as const;
/** Shapes per row of the grid. */
export const BOARD_COLUMNS = 100;
/** Distance between grid cells, in page units. */
export const BOARD_SPACING = 180;

/** A board's records, and what the writers and the page probe need to know about them. */
export interface BoardRecords {
  /** document:document, page:page, the shapes (in index order), then the arrow bindings. */
  records: TLRecord[];
  /** tldraw's serialized schema the records are written in (docs/document-schema.md: `meta.schema`). */
  schema: object;
  /** Number of shapes (`count`). */
  shapes: number;
  /** Ids of the shapes with a non-empty label (text and geo): Scrawl keeps their typed text in `texts`. */
  labelled: string[];
}

/** tldraw's rich text (TipTap JSON) for one paragraph of plain text; an empty string gives an empty paragraph. */
export function paragraph(text: string): { type: 'doc'; content: object[] } {
  return { type: 'doc', content: [text ? { type: 'paragraph', content: [{ type: 'text', text }] } : { type: 'paragraph' }] };
}

/** A valid fractional index key for the i-th shape ("a1" + base-36 digits + a non-zero last digit), ordered by i. */
function indexKey(i: number): string {
  return `a1${i.toString(36).padStart(3, '0')}V`;
}

/** The plain-JSON tldraw records of a board with `count` shapes on page:page (plus the document and the page). */
export function boardRecords(count: number): BoardRecords {
  if (count > 36 ** 3) throw new Error(`at most ${36 ** 3} shapes (index keys have three base-36 digits)`);
  const schema = createTLSchema();
  const records: TLRecord[] = [
    schema.types.document.create({ id: 'document:document' as never, gridSize: 10, name: '', meta: {} }),
    schema.types.page.create({ id: 'page:page' as never, name: 'Page 1', index: 'a1' as never, meta: {} }),
  ];
  const bindings: TLRecord[] = [];
  const labelled: string[] = [];
  const shapeId = (i: number) => `shape:b${i}`;
  for (let i = 0; i < count; i++) {
    const x = (i % BOARD_COLUMNS) * BOARD_SPACING;
    const y = Math.floor(i / BOARD_COLUMNS) * BOARD_SPACING;
    const color = COLORS[i % COLORS.length];
    const base = { id: shapeId(i) as never, parentId: 'page:page' as never, index: indexKey(i) as never, x, y };
    const kind = i % 10;
    let record: TLRecord;
    if (kind < 3) {
      record = schema.types.shape.create({
        ...base, type: 'text',
        props: { color, size: 'm', font: 'draw', textAlign: 'start', w: 140, scale: 1, autoSize: true, richText: paragraph(`note ${i}: remember this`) },
      } as never);
      labelled.push(record.id);
    } else if (kind < 6) {
      record = schema.types.shape.create({
        ...base, type: 'geo',
        props: {
          geo: GEOS[i % GEOS.length], w: 140, h: 100, color, labelColor: 'black', fill: i % 2 ? 'semi' : 'none',
          dash: 'draw', size: 'm', font: 'draw', align: 'middle', verticalAlign: 'middle', growY: 0, url: '',
          scale: 1, flipX: false, flipY: false, richText: paragraph(`box ${i}`),
        },
      } as never);
      labelled.push(record.id);
    } else if (kind < 8) {
      const points = Array.from({ length: 24 }, (_, k) => ({ x: k * 5, y: Math.sin((k + i) / 3) * 30 + 40, z: 0.5 }));
      record = schema.types.shape.create({
        ...base, type: 'draw',
        props: {
          segments: [{ type: 'free', path: b64Vecs.encodePoints(points, 2), dim: 2 }],
          color, fill: 'none', dash: 'draw', size: 'm', isComplete: true, isClosed: false, isPen: false,
          scale: 1, scaleX: 1, scaleY: 1,
        },
      } as never);
    } else {
      // Kinds 8 and 9: shapes i-5 and i-4 are geo shapes (kinds 3-5), always written before the arrow.
      record = schema.types.shape.create({
        ...base, type: 'arrow',
        props: {
          kind: 'arc', elbowMidPoint: 0.5, dash: 'draw', size: 'm', fill: 'none', color, labelColor: 'black', bend: 20,
          start: { x: 0, y: 0 }, end: { x: 140, y: 0 }, arrowheadStart: 'none', arrowheadEnd: 'arrow',
          richText: paragraph(''), labelPosition: 0.5, font: 'draw', scale: 1,
        },
      } as never);
      for (const [terminal, target] of [['start', i - 5], ['end', i - 4]] as const) {
        bindings.push(schema.types.binding.create({
          id: `binding:a${i}${terminal}` as never, type: 'arrow', fromId: record.id as never, toId: shapeId(target) as never,
          props: { terminal, normalizedAnchor: { x: 0.5, y: 0.5 }, isExact: false, isPrecise: false, snap: 'none' },
          meta: {},
        } as never));
      }
    }
    records.push(record);
  }
  records.push(...bindings);
  for (const record of records) schema.types[record.typeName].validate(record as never);
  return { records, schema: schema.serialize(), shapes: count, labelled };
}
