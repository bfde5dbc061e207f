import { PDFDocument } from 'pdf-lib'
import type { Editor, TLShapeId } from 'tldraw'
import { framesInReadingOrder } from '../board/boardFiles.ts'

/** Longest side of one page's picture, in pixels: sharp enough to print a frame, small enough for any browser canvas. */
const MAX_IMAGE_SIDE = 4096

/** Pixels per page unit, at most; big frames get fewer so their picture stays under {@link MAX_IMAGE_SIDE}. */
const PIXEL_RATIO = 2

/**
 * The current page as a PDF: one PDF page per frame (frames not inside another frame, whose picture holds the nested
 * ones), in reading order (boardFiles.ts), each PDF page the frame's size (one page unit is one PDF point); a page
 * without frames is one PDF page of everything on it. Each page is a PNG from `editor.toImage`, so it looks exactly
 * as the board does (fonts, hand-drawn strokes, images) at the price of text that cannot be selected.
 * Throws when the page is empty.
 */
export async function boardToPdf(editor: Editor, title: string): Promise<Uint8Array> {
  const pageShapes = editor.getCurrentPageShapes()
  const isTopFrame = (id: TLShapeId) => editor.getShape(id)?.type === 'frame' && !editor.findShapeAncestor(id, (a) => a.type === 'frame')
  const frames = framesInReadingOrder(
    pageShapes
      .filter((shape) => isTopFrame(shape.id))
      .map((shape) => ({ id: shape.id, ...editor.getShapePageBounds(shape)!.toJson() })),
  )
  const pictures: TLShapeId[][] = frames.length > 0 ? frames.map((frame) => [frame.id]) : [[...editor.getCurrentPageShapeIds()]]
  if (pictures[0].length === 0) throw new Error('There is nothing on this page to export.')

  const pdf = await PDFDocument.create()
  pdf.setTitle(title)
  pdf.setCreator('Scrawl')
  for (const ids of pictures) {
    const bounds = editor.getShapesPageBounds(ids)
    const side = Math.max(bounds?.w ?? 1, bounds?.h ?? 1)
    const pixelRatio = Math.min(PIXEL_RATIO, MAX_IMAGE_SIDE / side)
    // A frame's page is the frame itself; the whole board keeps tldraw's usual margin around it.
    const { blob, width, height } = await editor.toImage(ids, { format: 'png', background: true, padding: frames.length > 0 ? 0 : 32, pixelRatio })
    const image = await pdf.embedPng(await blob.arrayBuffer())
    const page = pdf.addPage([width, height])
    page.drawImage(image, { x: 0, y: 0, width, height })
  }
  return pdf.save()
}
