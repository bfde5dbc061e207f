import assert from 'node:assert/strict'
import { test } from 'node:test'
import { serializeTldrawJson, type Editor } from 'tldraw'
import * as Y from 'yjs'
import {
  boardFileKind,
  boardFileName,
  countExcalidrawShapes,
  framesInReadingOrder,
  parseExcalidrawScene,
  titleFromFileName,
  type FrameBox,
} from '../src/board/boardFiles.ts'
// The server's .tldr reader and the hand-built board of its tests, by relative path: what tldraw writes, the server
// must turn into a board this app loads.
import { parseTldrFile, tldrFileToBoardUpdate } from '../../server/src/workspace/tldr-document.ts'
import { everyShapeRecords, PNG_1X1, writeBoard } from '../../server/test/board-files-fixtures.ts'
import { EXCALIDRAW_SHAPE_COUNT, excalidrawScene } from '../../e2e/src/excalidraw-scene.ts'
import { documentRecords, makeClient } from './helpers.ts'

test('boardFileKind: by extension, whatever the case, or by tldraw and Excalidraw MIME types', () => {
  assert.equal(boardFileKind({ name: 'Plan.TLDR' }), 'tldr')
  assert.equal(boardFileKind({ name: 'x', type: 'application/vnd.tldraw+json' }), 'tldr')
  assert.equal(boardFileKind({ name: 'sketch.excalidraw' }), 'excalidraw')
  assert.equal(boardFileKind({ name: 'x.json', type: 'application/vnd.excalidraw+json' }), 'excalidraw')
  assert.equal(boardFileKind({ name: 'photo.png', type: 'image/png' }), null)
  assert.equal(boardFileKind({ name: 'board.scrawl.json', type: 'application/json' }), null)
})

test('boardFileName: unsafe characters replaced, whitespace folded, long titles cut whole, untitled named by id', () => {
  assert.equal(boardFileName('Sprint review: Q3/Q4?', 'r1', 'tldr'), 'Sprint review_ Q3_Q4_.tldr')
  assert.equal(boardFileName('  Two\n lines\t', 'r1', 'pdf'), 'Two lines.pdf')
  assert.equal(boardFileName('', 'AbC_12', 'tldr'), 'AbC_12.tldr')
  assert.equal(boardFileName('..', 'AbC_12', 'tldr'), 'AbC_12.tldr')
  assert.equal(boardFileName('Ünïcødé 😀 board', 'r', 'pdf'), 'Ünïcødé 😀 board.pdf')
  const long = boardFileName(`${'a'.repeat(79)}😀tail`, 'r', 'tldr')
  assert.equal(long, `${'a'.repeat(79)}.tldr`, 'the emoji that would be cut in half is left out')
  assert.equal(titleFromFileName('Kanban.tldr'), 'Kanban')
  assert.equal(titleFromFileName('sketch.excalidraw'), 'sketch')
})

const frame = (id: string, x: number, y: number, w = 100, h = 100): FrameBox => ({ id, x, y, w, h })
const order = (frames: FrameBox[]) => framesInReadingOrder(frames).map((f) => f.id)

test('frames read top to bottom, then left to right; a row tolerates frames that are not aligned to the pixel', () => {
  // Three side by side, the middle one a little higher: still one row, read left to right.
  assert.deepEqual(order([frame('c', 400, 5), frame('a', 0, 10), frame('b', 200, 0)]), ['a', 'b', 'c'])
  // A 2 x 2 grid given in any order.
  assert.deepEqual(order([frame('d', 200, 200), frame('a', 0, 0), frame('c', 0, 210), frame('b', 210, 0)]), ['a', 'b', 'c', 'd'])
  // A column.
  assert.deepEqual(order([frame('c', 0, 400), frame('b', 20, 200), frame('a', 0, 0)]), ['a', 'b', 'c'])
  // A frame starting below the middle of the row's first frame starts the next row, even if it is further left.
  assert.deepEqual(order([frame('a', 100, 0, 100, 100), frame('b', 0, 60, 50, 50)]), ['a', 'b'])
  assert.deepEqual(order([frame('a', 100, 0, 100, 100), frame('b', 0, 40, 50, 50)]), ['b', 'a'])
  assert.deepEqual(order([]), [])
})

test('an Excalidraw scene: checked, deleted elements left out, and its shapes counted as tldraw makes them', () => {
  const scene = parseExcalidrawScene(JSON.stringify(excalidrawScene()))
  assert.equal(scene.elements.some((e) => e.id === 'gone'), false)
  // rectangle (its bound text is its label), ellipse, diamond, arrow, text, freedraw, image
  assert.equal(countExcalidrawShapes(scene), EXCALIDRAW_SHAPE_COUNT)
  const odd = {
    ...scene,
    elements: [
      ...scene.elements,
      { id: 'f', type: 'frame' },
      { id: 'l', type: 'line', points: [[0, 0]] },
      { id: 'i', type: 'image', fileId: 'missing' },
      { id: 'l2', type: 'line', points: [[0, 0], [5, 5]] },
    ],
  }
  assert.equal(countExcalidrawShapes(odd), EXCALIDRAW_SHAPE_COUNT + 1, 'only the two-point line adds a shape')
  assert.throws(() => parseExcalidrawScene('{'), /not valid JSON/)
  assert.throws(() => parseExcalidrawScene('{"type":"tldraw"}'), /not an Excalidraw file/)
  assert.throws(() => parseExcalidrawScene('{"type":"excalidraw"}'), /no list of elements/)
  assert.throws(() => parseExcalidrawScene('{"type":"excalidraw","elements":[{"type":"rectangle"}]}'), /no id or type/)
})

test("a .tldr written by tldraw's own serializeTldrawJson becomes, on the server, a board this app loads whole", async () => {
  // The board of the server's round-trip test, with its image inline as tldraw keeps a pasted one before upload.
  const doc = new Y.Doc()
  writeBoard(doc, everyShapeRecords(`data:image/png;base64,${PNG_1X1.toString('base64')}`), 'From tldraw')
  const source = makeClient(doc, { seed: false })
  // serializeTldrawJson reads the editor's store (and resolves asset URLs, which inline images do not need).
  const editor = { store: source.store, resolveAssetUrl: async () => null } as unknown as Editor
  const text = await serializeTldrawJson(editor)

  const file = parseTldrFile(text)
  const board = new Y.Doc()
  Y.applyUpdate(board, tldrFileToBoardUpdate(file, 'From tldraw'))
  const invalid: string[] = []
  const loaded = makeClient(board, { seed: false, onInvalidRecord: (id) => invalid.push(id) })
  assert.deepEqual(invalid, [])
  assert.equal(board.getMap('meta').get('title'), 'From tldraw')
  assert.deepEqual(documentRecords(loaded.store), documentRecords(source.store))
  source.binding.dispose()
  loaded.binding.dispose()
})
