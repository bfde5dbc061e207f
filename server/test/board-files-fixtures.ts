/**
 * A board with every kind of shape the app draws, built by hand in the layout of docs/document-schema.md (records as
 * Y.Maps, props nested, stroke paths as Y.Text), for the .tldr export and import tests.
 */
import * as Y from 'yjs';

/** A 1x1 PNG: the smallest real image a board can hold. */
export const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** tldraw 5.4's schema (`createTLSchema().serialize()`): the migration versions the records below are written in. */
export const SCHEMA = {
  schemaVersion: 2,
  sequences: {
    'com.tldraw.store': 5, 'com.tldraw.asset': 1, 'com.tldraw.camera': 1, 'com.tldraw.document': 2, 'com.tldraw.instance': 26,
    'com.tldraw.instance_page_state': 5, 'com.tldraw.page': 1, 'com.tldraw.instance_presence': 6, 'com.tldraw.pointer': 1, 'com.tldraw.shape': 4,
    'com.tldraw.user': 1, 'com.tldraw.asset.image': 6, 'com.tldraw.asset.video': 5, 'com.tldraw.asset.bookmark': 2, 'com.tldraw.shape.arrow': 8,
    'com.tldraw.shape.bookmark': 2, 'com.tldraw.shape.draw': 5, 'com.tldraw.shape.embed': 4, 'com.tldraw.shape.frame': 1, 'com.tldraw.shape.geo': 12,
    'com.tldraw.shape.group': 0, 'com.tldraw.shape.highlight': 4, 'com.tldraw.shape.image': 5, 'com.tldraw.shape.line': 5, 'com.tldraw.shape.note': 13,
    'com.tldraw.shape.text': 4, 'com.tldraw.shape.video': 4, 'com.tldraw.binding.arrow': 1,
  },
};

const richText = (text: string) => ({ type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });

function shape(id: string, type: string, parentId: string, index: string, x: number, y: number, props: Record<string, unknown>) {
  return { id, typeName: 'shape', type, parentId, index, x, y, rotation: 0, isLocked: false, opacity: 1, meta: {}, props };
}

/** The board's records as plain JSON; `assetSrc` is the uploaded image's URL. */
export function everyShapeRecords(assetSrc: string): Record<string, unknown>[] {
  const style = { color: 'blue', size: 'm', dash: 'draw', scale: 1 };
  return [
    { id: 'document:document', typeName: 'document', gridSize: 10, name: '', meta: {} },
    { id: 'page:page', typeName: 'page', name: 'Page 1', index: 'a1', meta: {} },
    { id: 'page:second', typeName: 'page', name: 'Page 2', index: 'a2', meta: {} },
    shape('shape:frame', 'frame', 'page:page', 'a1', 0, 0, { w: 800, h: 600, name: 'Sprint', color: 'black' }),
    shape('shape:geo', 'geo', 'shape:frame', 'a1', 40, 40, {
      ...style, geo: 'rectangle', w: 200, h: 100, fill: 'semi', labelColor: 'black', font: 'draw', align: 'middle',
      verticalAlign: 'middle', growY: 0, url: '', flipX: false, flipY: false, richText: richText('Box'),
    }),
    shape('shape:ellipse', 'geo', 'shape:frame', 'a2', 400, 40, {
      ...style, geo: 'ellipse', w: 120, h: 120, fill: 'none', labelColor: 'black', font: 'sans', align: 'middle',
      verticalAlign: 'middle', growY: 0, url: '', flipX: false, flipY: false, richText: richText('Circle'),
    }),
    shape('shape:arrow', 'arrow', 'shape:frame', 'a3', 240, 90, {
      ...style, kind: 'arc', elbowMidPoint: 0.5, fill: 'none', labelColor: 'black', bend: 0, start: { x: 0, y: 0 },
      end: { x: 160, y: 0 }, arrowheadStart: 'none', arrowheadEnd: 'arrow', richText: richText('next'), labelPosition: 0.5,
      font: 'draw',
    }),
    {
      id: 'binding:start', typeName: 'binding', type: 'arrow', fromId: 'shape:arrow', toId: 'shape:geo', meta: {},
      props: { terminal: 'start', normalizedAnchor: { x: 0.5, y: 0.5 }, isExact: false, isPrecise: false, snap: 'none' },
    },
    {
      id: 'binding:end', typeName: 'binding', type: 'arrow', fromId: 'shape:arrow', toId: 'shape:ellipse', meta: {},
      props: { terminal: 'end', normalizedAnchor: { x: 0.5, y: 0.5 }, isExact: false, isPrecise: false, snap: 'none' },
    },
    shape('shape:text', 'text', 'page:page', 'a2', 0, 700, {
      color: 'black', size: 'l', font: 'serif', textAlign: 'start', w: 300, autoSize: true, scale: 1, richText: richText('Notes from the meeting'),
    }),
    shape('shape:note', 'note', 'page:page', 'a3', 400, 700, {
      color: 'yellow', labelColor: 'black', size: 'm', font: 'draw', fontSizeAdjustment: 0, align: 'middle', verticalAlign: 'middle',
      growY: 0, url: '', scale: 1, richText: richText('Ship it'), textLastEditedBy: null,
    }),
    shape('shape:draw', 'draw', 'page:page', 'a4', 900, 100, {
      ...style, fill: 'none', isComplete: true, isClosed: false, isPen: false, scaleX: 1, scaleY: 1,
      segments: [
        { type: 'free', path: 'AAAAAAAAAAAAAAA/ADwAPAA8ADwA' },
        { type: 'straight', path: 'AAAAAAAAAAAAAAA/AEgASAA=' },
      ],
    }),
    shape('shape:highlight', 'highlight', 'page:page', 'a5', 900, 300, {
      color: 'yellow', size: 'xl', isComplete: true, isPen: false, scale: 1, scaleX: 1, scaleY: 1,
      segments: [{ type: 'free', path: 'AAAAAAAAAAAAAAA/AEAAQABAAEA=' }],
    }),
    shape('shape:line', 'line', 'page:second', 'a1', 0, 0, {
      color: 'red', dash: 'solid', size: 'm', spline: 'line', scale: 1,
      points: { a1: { id: 'a1', index: 'a1', x: 0, y: 0 }, a2: { id: 'a2', index: 'a2', x: 200, y: 80 } },
    }),
    shape('shape:image', 'image', 'page:second', 'a2', 300, 0, {
      w: 100, h: 100, assetId: 'asset:picture', playing: true, url: '', crop: null, flipX: false, flipY: false, altText: 'a dot',
    }),
    {
      id: 'asset:picture', typeName: 'asset', type: 'image', meta: {},
      props: { name: 'dot.png', src: assetSrc, w: 1, h: 1, fileSize: PNG_1X1.byteLength, mimeType: 'image/png', isAnimated: false },
    },
  ];
}

/** Writes `records` into `doc` as the web app does (docs/document-schema.md), with `meta`, in one transaction. */
export function writeBoard(doc: Y.Doc, records: Record<string, unknown>[], title: string): void {
  const map = doc.getMap<Y.Map<unknown>>('records');
  doc.transact(() => {
    const meta = doc.getMap<unknown>('meta');
    meta.set('formatVersion', 1);
    meta.set('schema', SCHEMA);
    meta.set('title', title);
    for (const record of records) {
      const fields = new Y.Map<unknown>();
      for (const [key, value] of Object.entries(record)) {
        if (key !== 'props') {
          fields.set(key, value);
          continue;
        }
        const props = new Y.Map<unknown>();
        for (const [prop, propValue] of Object.entries(value as Record<string, unknown>)) {
          if (prop === 'segments') {
            const segments = (propValue as { type: string; path: string }[]).map(
              (segment) => new Y.Map<unknown>([['type', segment.type], ['path', new Y.Text(segment.path)]]),
            );
            props.set(prop, Y.Array.from(segments));
          } else {
            props.set(prop, propValue);
          }
        }
        fields.set('props', props);
      }
      map.set(record.id as string, fields);
    }
  });
}
