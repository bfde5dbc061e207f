import type { IncomingMessage, ServerResponse } from 'node:http';
import { withRoomDocument } from '../sync/hocuspocus.ts';
import { boardAssetFiles, inlineStoredAssets } from '../workspace/board-file-assets.ts';
import { TITLE_KEY } from '../workspace/board-title.ts';
import type { BoardService } from '../workspace/board-service.ts';
import { boardDocumentToTldrFile, parseTldrFile, TldrFileError } from '../workspace/tldr-document.ts';
import type { FileAssetStore } from './assets.ts';
import { HttpError, mediaType, readBody } from './http-util.ts';

/**
 * Boards as files (docs/protocol.md, "Board files"): `GET /api/rooms/:room/export?format=tldr` and
 * `POST /api/boards/import`. The file is tldraw's own .tldr format, so a board leaves Scrawl in a form tldraw opens,
 * and a drawing made in tldraw comes in. Authorization is the caller's (room-api.ts and boards-api.ts).
 */

/** tldraw's MIME type for .tldr files (`TLDRAW_FILE_MIMETYPE`). */
export const TLDR_MIME_TYPE = 'application/vnd.tldraw+json';

/** Largest accepted upload: above the 16 MiB of a plain .tldr, because tldraw writes images inline (base64). */
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

/** Body types an import accepts: JSON as browsers and curl send it, and tldraw's own type. */
const IMPORT_TYPES = new Set(['application/json', TLDR_MIME_TYPE]);

/** Answers an export: the room's live document as a .tldr download named after the board. */
export async function exportTldr(req: IncomingMessage, res: ServerResponse, options: { hocuspocus: Parameters<typeof withRoomDocument>[0]; assets: FileAssetStore | null; room: string; format: string | null }): Promise<void> {
  const { room, assets } = options;
  if (options.format !== 'tldr') throw new HttpError(400, 'format must be tldr');
  const { file, title } = await withRoomDocument(options.hocuspocus, room, (doc) => ({
    file: boardDocumentToTldrFile(doc),
    title: doc.getMap<unknown>('meta').get(TITLE_KEY),
  }));
  const records = assets ? await inlineStoredAssets(file.records, boardAssetFiles(assets)) : file.records;
  // The key order of tldraw's serializeTldrawJson, so the two writers' files read alike.
  const body = Buffer.from(JSON.stringify({ tldrawFileFormatVersion: file.tldrawFileFormatVersion, schema: file.schema, records }));
  res.writeHead(200, {
    'content-type': TLDR_MIME_TYPE,
    'content-length': body.byteLength,
    'content-disposition': contentDisposition(`${typeof title === 'string' && title ? title : room}.tldr`),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Answers an import: the body is a .tldr file; the new board's title is the file's document name or else the
 * `X-File-Name` header (URI-encoded, extension dropped). A refused file is a 400 with the reason, and nothing is stored.
 * Resolves the new board's entry (the caller answers 201 with its summary).
 */
export async function importTldr(req: IncomingMessage, boards: BoardService) {
  if (!IMPORT_TYPES.has(mediaType(req))) throw new HttpError(415, `a board file is sent as ${[...IMPORT_TYPES].join(' or ')}`);
  const bytes = await readBody(req, MAX_IMPORT_BYTES, `a board file is at most ${MAX_IMPORT_BYTES / (1024 * 1024)} MB`);
  if (bytes.byteLength === 0) throw new HttpError(400, 'empty body: send the .tldr file');
  let file;
  try {
    file = parseTldrFile(bytes, MAX_IMPORT_BYTES);
  } catch (error) {
    if (!(error instanceof TldrFileError)) throw error;
    // Excalidraw scenes are converted by tldraw in the browser (the boards page does it), not here.
    const head = bytes.subarray(0, 512).toString('utf8');
    if (/"type"\s*:\s*"excalidraw"/.test(head)) {
      throw new HttpError(400, 'This is an Excalidraw file: drop it on the boards page, which converts it in the browser.');
    }
    throw new HttpError(400, error.message);
  }
  return boards.importBoard(file, fileTitle(req.headers['x-file-name']));
}

/** The title an uploaded file's name gives: URI-decoded, without its .tldr (or .json) extension; null when blank. */
export function fileTitle(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string' || header === '') return null;
  let name = header;
  try {
    name = decodeURIComponent(header);
  } catch {
    // Not URI-encoded after all: the header as sent.
  }
  const title = name.replace(/\.(tldr|json)$/i, '').trim();
  return title === '' ? null : title;
}

/**
 * `attachment` with the name twice: a plain ASCII one for old clients (anything else, quotes and path characters
 * become `_`) and the exact one as RFC 5987 UTF-8.
 */
export function contentDisposition(fileName: string): string {
  const safe = fileName.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_');
  const ascii = safe.replace(/[^\u0020-\u007e]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(safe).replace(/['()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
