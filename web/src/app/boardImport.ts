import {
  AssetRecordType,
  PageRecordType,
  parseTldrawJsonFile,
  putExcalidrawContent,
  type Editor,
  type TLAsset,
  type TLBinding,
  type TLContent,
  type TLPage,
  type TLParentId,
  type TLShape,
  type TLShapeId,
} from 'tldraw'
import { boardFileKind, countExcalidrawShapes, parseExcalidrawScene, type ExcalidrawScene } from '../board/boardFiles.ts'

/**
 * Files into the board that is open: .tldr and .excalidraw content joins what is there (it replaces nothing), as one
 * paste would. Inline images (`data:` URLs, how both formats carry them) are uploaded to this board's asset store
 * first, so the document keeps URLs and never the files (docs/document-schema.md, Images). Ids are new ones, as for a
 * paste: the content may already be on this board. (`POST /api/boards/import`, a new board, keeps a file's ids.)
 */

/** Puts the content of `file` (.tldr or .excalidraw) onto the board; resolves how many shapes it added. Throws an Error for the user. */
export async function importFileIntoBoard(editor: Editor, file: File): Promise<number> {
  const kind = boardFileKind(file)
  if (kind === null) throw new Error(`${file.name} is not a .tldr or .excalidraw file.`)
  const text = await file.text()
  if (kind === 'excalidraw') {
    let scene: ExcalidrawScene
    try {
      scene = parseExcalidrawScene(text)
    } catch (error) {
      throw new Error(`${file.name} cannot be opened: ${(error as Error).message}`)
    }
    await putExcalidrawScene(editor, scene)
    return countExcalidrawShapes(scene)
  }
  return putTldrFile(editor, text, file.name)
}

/** Puts an Excalidraw scene on the current page with tldraw's own converter, its images uploaded first. */
export async function putExcalidrawScene(editor: Editor, scene: ExcalidrawScene): Promise<void> {
  const files: Record<string, unknown> = {}
  for (const [id, file] of Object.entries(scene.files ?? {})) {
    const src = typeof file?.dataURL === 'string' && file.dataURL.startsWith('data:') ? await uploadDataUrl(editor, file.dataURL, `${id}`) : file?.dataURL
    files[id] = { ...file, dataURL: src }
  }
  editor.markHistoryStoppingPoint('import excalidraw')
  await putExcalidrawContent(editor, { elements: scene.elements, files })
}

/**
 * Puts a .tldr file's content on the board: a file of one page onto the current page, a file of several pages as new
 * pages named as in the file. Positions are kept. Resolves the number of shapes added.
 */
async function putTldrFile(editor: Editor, text: string, name: string): Promise<number> {
  const parsed = parseTldrawJsonFile({ schema: editor.store.schema, json: text })
  if (!parsed.ok) throw new Error(`${name} cannot be opened: ${tldrProblem(parsed.error.type)}`)
  const records = parsed.value.allRecords()
  const pages = records.filter((r): r is TLPage => r.typeName === 'page').sort((a, b) => (a.index < b.index ? -1 : a.index > b.index ? 1 : 0))
  const shapes = records.filter((r): r is TLShape => r.typeName === 'shape')
  const bindings = records.filter((r): r is TLBinding => r.typeName === 'binding')
  const assets: TLAsset[] = []
  for (const asset of records.filter((r): r is TLAsset => r.typeName === 'asset')) {
    // Bookmarks keep a page's address in src; only images and videos carry their file.
    const src = asset.type !== 'bookmark' ? asset.props.src : null
    const name = asset.type !== 'bookmark' ? asset.props.name : ''
    assets.push(src?.startsWith('data:') ? ({ ...asset, props: { ...asset.props, src: await uploadDataUrl(editor, src, name) } } as TLAsset) : asset)
  }
  const byId = new Map(shapes.map((shape) => [shape.id, shape]))
  const pageOf = (shape: TLShape): TLParentId => {
    let parent = shape.parentId
    for (let step = 0; step < 1000 && byId.has(parent as TLShapeId); step++) parent = byId.get(parent as TLShapeId)!.parentId
    return parent
  }
  const schema = editor.store.schema.serialize()
  let added = 0
  editor.markHistoryStoppingPoint('import tldr')
  for (const page of pages) {
    const onPage = shapes.filter((shape) => pageOf(shape) === page.id)
    if (onPage.length === 0) continue
    if (pages.length > 1) {
      const id = PageRecordType.createId()
      editor.createPage({ id, name: page.name })
      editor.setCurrentPage(id)
    }
    const ids = new Set<string>(onPage.map((shape) => shape.id))
    const assetIds = new Set(onPage.map((shape) => (shape.props as { assetId?: string }).assetId).filter(Boolean))
    const content: TLContent = {
      shapes: onPage,
      rootShapeIds: onPage.filter((shape) => shape.parentId === page.id).map((shape) => shape.id),
      bindings: bindings.filter((binding) => ids.has(binding.fromId) && ids.has(binding.toId)),
      assets: assets.filter((asset) => assetIds.has(asset.id)),
      schema,
    }
    editor.putContentOntoCurrentPage(content, { preservePosition: true, select: false })
    added += onPage.length
  }
  return added
}

/** Uploads the file a `data:` URL holds to this board's asset store; resolves its URL there. */
async function uploadDataUrl(editor: Editor, dataUrl: string, name: string): Promise<string> {
  const comma = dataUrl.indexOf(',')
  const header = dataUrl.slice(5, comma)
  const type = header.split(';')[0] || 'application/octet-stream'
  const data = dataUrl.slice(comma + 1)
  const bytes = header.includes(';base64') ? Uint8Array.from(atob(data), (c) => c.charCodeAt(0)) : new TextEncoder().encode(decodeURIComponent(data))
  const file = new File([bytes], name || 'image', { type })
  const placeholder = AssetRecordType.create({
    id: AssetRecordType.createId(),
    type: type.startsWith('video/') ? 'video' : 'image',
    props: { name: file.name, src: null, w: 1, h: 1, mimeType: type, isAnimated: false },
  })
  const { src } = await editor.uploadAsset(placeholder, file)
  return src
}

function tldrProblem(type: string): string {
  switch (type) {
    case 'fileFormatVersionTooNew':
      return 'it was saved by a newer tldraw.'
    case 'migrationFailed':
      return 'it could not be upgraded to this version of tldraw.'
    case 'v1File':
      return 'it is a tldraw v1 file, which this app does not read.'
    default:
      return 'it is not a tldraw file, or it is damaged.'
  }
}
