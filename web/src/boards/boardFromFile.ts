import { createTLSchema } from '@tldraw/tlschema'
import { boardFileKind, countExcalidrawShapes, parseExcalidrawScene, type ExcalidrawScene } from '../board/boardFiles.ts'
import { boardPath } from '../app/route.ts'
import type { BoardsApi, BoardSummary } from './boardsApi.ts'
import { IMPORT_FLAG, stashImport } from './pendingImports.ts'

/**
 * A new board from a file dropped on (or picked on) the boards page. A .tldr file goes to the server as it is
 * (`POST /api/boards/import`: checked, images stored, ids kept). An .excalidraw scene needs tldraw's converter, which
 * runs in an editor: the server makes an empty board titled after the file, the scene waits in this browser
 * (pendingImports.ts) and the board, opened with `?import=excalidraw`, puts it once synced. Resolves the new board
 * and the address to open; throws an Error for the user (a bad file is refused before anything is made).
 */
export async function boardFromFile(api: BoardsApi, file: File): Promise<{ board: BoardSummary; href: string }> {
  const kind = boardFileKind(file)
  if (kind === null) throw new Error(`${file.name} is not a .tldr or .excalidraw file.`)
  if (kind === 'tldr') {
    const board = await api.importFile(file, file.name)
    return { board, href: boardPath(board.id) }
  }
  let scene: ExcalidrawScene
  try {
    scene = parseExcalidrawScene(await file.text())
  } catch (error) {
    throw new Error(`${file.name} cannot be opened: ${(error as Error).message}`)
  }
  if (countExcalidrawShapes(scene) === 0) throw new Error(`${file.name} has nothing tldraw can draw.`)
  const board = await api.importFile(new Blob([emptyTldrFile()], { type: 'application/json' }), file.name)
  await stashImport(board.id, scene)
  return { board, href: `${boardPath(board.id)}?${IMPORT_FLAG}=excalidraw` }
}

/** A .tldr file without records, in this app's schema: the board seeds its page when first opened. */
function emptyTldrFile(): string {
  return JSON.stringify({ tldrawFileFormatVersion: 1, schema: createTLSchema().serialize(), records: [] })
}
