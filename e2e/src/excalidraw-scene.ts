import { twoColourPng } from './png.ts';

/**
 * An .excalidraw file written from Excalidraw's JSON schema (https://docs.excalidraw.com/docs/codebase/json-schema):
 * one element of each kind a user draws there (rectangle with a bound label, ellipse, diamond, arrow bound to two of
 * them, text, freedraw, image with its file inline), plus a deleted element, which Excalidraw keeps and an import
 * must not show. Built here, so no fixture file is needed; the web unit tests use it too.
 */

/** What the scene holds: the elements that become shapes, and the file. */
export const EXCALIDRAW_SHAPE_COUNT = 7;

/** Fields every Excalidraw element has. */
function element(id: string, type: string, x: number, y: number, width: number, height: number, extra: Record<string, unknown> = {}) {
  return {
    id, type, x, y, width, height, angle: 0, strokeColor: '#1e1e1e', backgroundColor: 'transparent', fillStyle: 'solid',
    strokeWidth: 2, strokeStyle: 'solid', roughness: 1, opacity: 100, groupIds: [], frameId: null, roundness: null,
    seed: 1, version: 1, versionNonce: 1, isDeleted: false, boundElements: null, updated: 1, link: null, locked: false,
    ...extra,
  };
}

/** The scene as a JavaScript object: `JSON.stringify` it for the file. */
export function excalidrawScene(): Record<string, unknown> {
  const png = twoColourPng(40, 20, [230, 60, 60], [40, 90, 220]);
  const text = (id: string, value: string, x: number, y: number, containerId: string | null) =>
    element(id, 'text', x, y, 120, 25, {
      text: value, originalText: value, fontSize: 20, fontFamily: 1, textAlign: containerId ? 'center' : 'left',
      verticalAlign: containerId ? 'middle' : 'top', containerId, lineHeight: 1.25, baseline: 18, autoResize: true,
    });
  return {
    type: 'excalidraw',
    version: 2,
    source: 'https://excalidraw.com',
    elements: [
      element('rect', 'rectangle', 0, 0, 200, 100, {
        backgroundColor: '#a5d8ff', roundness: { type: 3 },
        boundElements: [{ id: 'rect-label', type: 'text' }, { id: 'arrow', type: 'arrow' }],
      }),
      text('rect-label', 'Plan', 40, 37, 'rect'),
      element('ellipse', 'ellipse', 400, 0, 120, 120, { boundElements: [{ id: 'arrow', type: 'arrow' }] }),
      element('diamond', 'diamond', 0, 200, 140, 100, { strokeStyle: 'dashed' }),
      element('arrow', 'arrow', 200, 50, 200, 10, {
        points: [[0, 0], [200, 10]], lastCommittedPoint: null, startArrowhead: null, endArrowhead: 'arrow', elbowed: false,
        startBinding: { elementId: 'rect', focus: 0, gap: 1 }, endBinding: { elementId: 'ellipse', focus: 0, gap: 1 },
      }),
      text('note', 'Ship on Friday', 300, 250, null),
      element('pen', 'freedraw', 600, 200, 80, 40, {
        points: [[0, 0], [10, 8], [25, 20], [40, 30], [60, 36], [80, 40]], pressures: [], simulatePressure: true, lastCommittedPoint: null,
      }),
      element('picture', 'image', 600, 0, 80, 40, { fileId: 'file-1', status: 'saved', scale: [1, 1] }),
      element('gone', 'rectangle', 900, 900, 50, 50, { isDeleted: true }),
    ],
    appState: { gridSize: null, viewBackgroundColor: '#ffffff' },
    files: {
      'file-1': { mimeType: 'image/png', id: 'file-1', dataURL: `data:image/png;base64,${png.toString('base64')}`, created: 1 },
    },
  };
}
