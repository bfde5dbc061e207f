import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { convergedShapes, drawNewStroke, strokesOf, wavyPath, type ShapeJson } from '../src/board.ts';
import { expect, test } from '../src/fixtures.ts';

/**
 * A rectangle as another app would write it, following docs/document-schema.md (web/src/board/docLayout.ts and
 * recordCodec.ts): `records` maps the record id to a Y.Map with one key per field, `props` as a nested Y.Map.
 */
const nodeShape = {
  id: 'shape:from-node',
  typeName: 'shape',
  type: 'geo',
  parentId: 'page:page',
  index: 'a5',
  x: 500,
  y: 150,
  rotation: 0,
  isLocked: false,
  opacity: 1,
  meta: { writtenBy: 'e2e node client' },
  props: {
    geo: 'rectangle',
    dash: 'draw',
    url: '',
    w: 160,
    h: 90,
    growY: 0,
    scale: 1,
    flipX: false,
    flipY: false,
    labelColor: 'black',
    color: 'blue',
    fill: 'solid',
    size: 'm',
    font: 'draw',
    align: 'middle',
    verticalAlign: 'middle',
    richText: { type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'from Node' }] }] },
  },
};

function toYRecord(record: Record<string, unknown>): Y.Map<unknown> {
  const yRecord = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(record)) {
    if (key === 'props') {
      const yProps = new Y.Map<unknown>();
      for (const [prop, propValue] of Object.entries(value as Record<string, unknown>)) yProps.set(prop, propValue);
      yRecord.set(key, yProps);
    } else {
      yRecord.set(key, value);
    }
  }
  return yRecord;
}

test('a Node y-websocket client writes a shape the browser shows, and reads back a browser stroke', async ({ boards, room, server }) => {
  const a = await (await boards.newContext()).open(room, 'Alice');

  const doc = new Y.Doc();
  // Node's own WebSocket (undici); y-websocket's default would look for a browser global of the same name.
  const provider = new WebsocketProvider(`${server.wsUrl}/yjs`, room, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('y-websocket client did not sync within 10 s')), 10_000);
      provider.once('sync', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const records = doc.getMap<unknown>('records');
    expect(records.has('page:page'), 'the board the browser seeded is there').toBe(true);

    // Node -> browser.
    doc.transact(() => records.set(nodeShape.id, toYRecord(nodeShape)));
    await expect
      .poll(() => a.evaluate((id) => window.__scrawl.editor.getShape(id) ?? null, nodeShape.id), { message: "Node's shape in the browser" })
      .toEqual(nodeShape);
    const shapeOnCanvas = a.locator(`.tl-shape[data-shape-id="${nodeShape.id}"]`);
    await expect(shapeOnCanvas).toBeVisible();
    await expect(shapeOnCanvas.getByText('from Node')).toBeVisible();

    // Browser -> Node: a stroke drawn with the mouse reads back field for field.
    const stroke = await drawNewStroke(a, wavyPath(250, 450, 25));
    const [finished] = await convergedShapes([a], 2).then(() => strokesOf(a));
    expect(finished.id).toBe(stroke.id);
    await expect
      .poll(() => (records.get(stroke.id) as Y.Map<unknown> | undefined)?.toJSON() ?? null, { message: 'the stroke in Node' })
      .toEqual(finished);

    // In the documented layout: props a Y.Map, segments a Y.Array of Y.Maps whose path is a Y.Text.
    const yStroke = records.get(stroke.id) as Y.Map<unknown>;
    expect(yStroke).toBeInstanceOf(Y.Map);
    const yProps = yStroke.get('props') as Y.Map<unknown>;
    expect(yProps).toBeInstanceOf(Y.Map);
    const ySegments = yProps.get('segments') as Y.Array<unknown>;
    expect(ySegments).toBeInstanceOf(Y.Array);
    expect(ySegments.length).toBe((finished.props.segments as unknown[]).length);
    const ySegment = ySegments.get(0) as Y.Map<unknown>;
    expect(ySegment).toBeInstanceOf(Y.Map);
    expect(ySegment.get('path')).toBeInstanceOf(Y.Text);
    expect(String(ySegment.get('path'))).toBe((finished.props.segments as ShapeJson['props'][])[0].path);

    // And a Node edit of a browser shape shows in the browser: move the stroke.
    doc.transact(() => yStroke.set('x', finished.x + 40));
    await expect.poll(() => a.evaluate((id) => window.__scrawl.editor.getShape(id).x, stroke.id)).toBe(finished.x + 40);
  } finally {
    provider.destroy();
    doc.destroy();
  }
});
