/**
 * Pure helpers of board files (.tldr, .excalidraw, PDF): file names, which kind a dropped file is, the order PDF pages
 * take, and what of an Excalidraw scene becomes shapes. No tldraw editor here, so the tests run them in Node.
 */

/** The kinds of file a board can be made from. */
export type BoardFileKind = 'tldr' | 'excalidraw'

/** Which board file `file` is, by its name (what a user sees and what browsers reliably report), or null. */
export function boardFileKind(file: { name: string; type?: string }): BoardFileKind | null {
  const name = file.name.toLowerCase()
  if (name.endsWith('.tldr') || file.type === 'application/vnd.tldraw+json') return 'tldr'
  if (name.endsWith('.excalidraw') || file.type === 'application/vnd.excalidraw+json') return 'excalidraw'
  return null
}

/** Longest file name stem written, in UTF-16 units: far below every file system's 255-byte limit even in UTF-8. */
export const MAX_FILE_STEM = 80

/**
 * A download's name for a board titled `title`: characters no file system (or no browser's download) accepts become
 * `_`, whitespace runs one space, at most {@link MAX_FILE_STEM} units without half a surrogate pair; an untitled
 * board is named after its id, as the server's export does.
 */
export function boardFileName(title: string, room: string, extension: 'tldr' | 'pdf'): string {
  let stem = title
    .replace(/\s+/g, ' ')
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_')
    .trim()
    .slice(0, MAX_FILE_STEM)
  if (/[\uD800-\uDBFF]$/.test(stem)) stem = stem.slice(0, -1)
  // Names that are only dots mean "this folder" or "the parent" to file systems.
  stem = stem.replace(/^\.+$/, '').trim()
  return `${stem || room}.${extension}`
}

/** A board title from a dropped file's name: its extension dropped. */
export function titleFromFileName(name: string): string {
  return name.replace(/\.(tldr|excalidraw|json)$/i, '').trim()
}

/** A frame's place on the page (page coordinates). */
export interface FrameBox {
  id: string
  x: number
  y: number
  w: number
  h: number
}

/**
 * Frames in reading order, as someone reads a page: top to bottom by rows, and left to right within a row. A frame
 * joins the row being read when its top is above the vertical middle of that row's first (highest) frame, so frames
 * laid out side by side but not pixel-aligned still read left to right. Ties keep the given order.
 */
export function framesInReadingOrder<T extends FrameBox>(frames: readonly T[]): T[] {
  const byTop = frames.map((frame, position) => ({ frame, position })).sort((a, b) => a.frame.y - b.frame.y || a.frame.x - b.frame.x || a.position - b.position)
  const rows: T[][] = []
  let rowMiddle = -Infinity
  for (const { frame } of byTop) {
    if (rows.length > 0 && frame.y < rowMiddle) {
      rows[rows.length - 1].push(frame)
    } else {
      rows.push([frame])
      rowMiddle = frame.y + frame.h / 2
    }
  }
  return rows.flatMap((row) => row.sort((a, b) => a.x - b.x))
}

/** An Excalidraw scene as its files hold it (https://docs.excalidraw.com/docs/codebase/json-schema). */
export interface ExcalidrawScene {
  type: 'excalidraw'
  version?: number
  elements: ExcalidrawElement[]
  files?: Record<string, ExcalidrawFile>
  [key: string]: unknown
}

/** The fields of an element that decide what it becomes. */
export interface ExcalidrawElement {
  id: string
  type: string
  isDeleted?: boolean
  containerId?: string | null
  boundElements?: Array<{ id: string; type: string }> | null
  fileId?: string | null
  points?: number[][]
  [key: string]: unknown
}

/** An embedded file: an image as a data: URL. */
export interface ExcalidrawFile {
  id?: string
  mimeType: string
  dataURL: string
  [key: string]: unknown
}

/** Element types tldraw's `putExcalidrawContent` turns into shapes. */
const SHAPE_TYPES = new Set(['rectangle', 'ellipse', 'diamond', 'text', 'freedraw', 'line', 'arrow', 'image'])

/**
 * Checks and reads an .excalidraw file's text: a JSON object of type "excalidraw" with a list of elements, each with an
 * id and a type. Deleted elements (Excalidraw keeps them for its own undo and sync) are left out. Throws an Error with
 * a message for the user.
 */
export function parseExcalidrawScene(text: string): ExcalidrawScene {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new Error('It is not valid JSON.')
  }
  const scene = value as Partial<ExcalidrawScene> | null
  if (typeof scene !== 'object' || scene === null || scene.type !== 'excalidraw') throw new Error('It is not an Excalidraw file (no "type": "excalidraw").')
  if (!Array.isArray(scene.elements)) throw new Error('It has no list of elements.')
  for (const element of scene.elements) {
    if (typeof element !== 'object' || element === null || typeof element.id !== 'string' || typeof element.type !== 'string') {
      throw new Error('One of its elements has no id or type.')
    }
  }
  const files = typeof scene.files === 'object' && scene.files !== null ? scene.files : {}
  return { ...scene, type: 'excalidraw', elements: scene.elements.filter((element) => element.isDeleted !== true), files }
}

/**
 * How many shapes tldraw makes of `scene`: one per element it knows, except text bound to a container or an arrow
 * (that becomes the container's label), images whose file is missing and lines of fewer than two points. Groups add
 * group shapes on top; those are not counted.
 */
export function countExcalidrawShapes(scene: ExcalidrawScene): number {
  const labels = new Set<string>()
  for (const element of scene.elements) {
    for (const bound of element.boundElements ?? []) if (bound.type === 'text') labels.add(bound.id)
  }
  return scene.elements.filter((element) => {
    if (!SHAPE_TYPES.has(element.type) || labels.has(element.id)) return false
    if (element.type === 'image') return typeof element.fileId === 'string' && scene.files?.[element.fileId] !== undefined
    if (element.type === 'line') return (element.points?.length ?? 0) >= 2
    return true
  }).length
}
