import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

/** Image and video types a board may hold, with the file extension they are stored under. */
const ALLOWED_TYPES: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/avif': 'avif',
  'image/svg+xml': 'svg',
  'video/mp4': 'mp4',
  'video/webm': 'webm',
};
const TYPE_BY_EXTENSION = Object.fromEntries(Object.entries(ALLOWED_TYPES).map(([type, ext]) => [ext, type]));

/** Whether boards may hold files of MIME `type` (images and videos the browser shows). */
export function isAllowedAssetType(type: string): boolean {
  return Object.hasOwn(ALLOWED_TYPES, type);
}

/** Largest accepted upload, 10 MiB by default. */
export const DEFAULT_MAX_ASSET_BYTES = 10 * 1024 * 1024;

/**
 * Images and videos of boards, as files beside the documents (`<DATA_DIR>/assets/<room>/<sha256>.<ext>`).
 * Content-addressed: the same file uploaded twice is stored once, and its URL never changes meaning, so it may be
 * cached forever. The id is a 256-bit hash, so an asset URL is only known to those who can read the board.
 */
export class FileAssetStore {
  private readonly root: string;

  constructor(directory: string) {
    this.root = join(directory, 'assets');
  }

  /** Stores `bytes` of `type` for `room` and returns its id (`<sha256>.<ext>`). */
  async put(room: string, type: string, bytes: Uint8Array): Promise<string> {
    const id = `${createHash('sha256').update(bytes).digest('hex')}.${ALLOWED_TYPES[type]}`;
    const dir = join(this.root, room);
    await mkdir(dir, { recursive: true });
    // Write then rename: a reader never sees half a file, and a crash leaves at most a stray temporary.
    const temporary = join(dir, `.${id}.${process.pid}.tmp`);
    await writeFile(temporary, bytes);
    await rename(temporary, join(dir, id));
    return id;
  }

  /** The stored file and its type, or null. */
  async get(room: string, id: string): Promise<{ type: string; bytes: Buffer } | null> {
    const type = TYPE_BY_EXTENSION[id.split('.')[1] ?? ''];
    if (!type) return null;
    const bytes = await readFile(join(this.root, room, id)).catch(() => null);
    return bytes ? { type, bytes } : null;
  }

  /** The ids of the room's stored assets (none when it has none). */
  async list(room: string): Promise<string[]> {
    const names = await readdir(join(this.root, room)).catch(() => [] as string[]);
    return names.filter((name) => ASSET_ID.test(name));
  }

  /** Deletes one of the room's assets, and the room's folder once it is empty. */
  async remove(room: string, id: string): Promise<void> {
    if (!ASSET_ID.test(id)) return;
    await rm(join(this.root, room, id), { force: true });
    // Fails while other files are left (the folder is still in use): nothing to do then.
    await rmdir(join(this.root, room)).catch(() => {});
  }
}

const ASSET_ID = /^[0-9a-f]{64}\.[a-z0-9]{2,4}$/;

/** Answers `POST /api/rooms/:room/assets` (upload; raw body, Content-Type = the file's type). */
export async function uploadAsset(req: IncomingMessage, res: ServerResponse, store: FileAssetStore, room: string, maxBytes: number): Promise<void> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!ALLOWED_TYPES[type]) return sendError(res, 415, `unsupported type; allowed: ${Object.keys(ALLOWED_TYPES).join(', ')}`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) return sendError(res, 413, `larger than ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      sendError(res, 413, `larger than ${maxBytes} bytes`);
      req.destroy();
      return;
    }
    chunks.push(chunk);
  }
  if (size === 0) return sendError(res, 400, 'empty body');
  const id = await store.put(room, type, Buffer.concat(chunks));
  const body = JSON.stringify({ url: `/api/rooms/${room}/assets/${id}` });
  res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

/** Answers `GET /api/rooms/:room/assets/:id`; `cache` 'private' when the caller was checked (sign-in mode). */
export async function serveAsset(req: IncomingMessage, res: ServerResponse, store: FileAssetStore, room: string, id: string, cache: 'public' | 'private' = 'public'): Promise<void> {
  const asset = ASSET_ID.test(id) ? await store.get(room, id) : null;
  if (!asset) return sendError(res, 404, 'no such asset');
  res.writeHead(200, {
    'content-type': asset.type,
    'content-length': asset.bytes.byteLength,
    'cache-control': `${cache}, max-age=31536000, immutable`,
    'x-content-type-options': 'nosniff',
    // An uploaded SVG may carry script: it must never run with this origin's rights.
    'content-security-policy': "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox",
  });
  res.end(req.method === 'HEAD' ? undefined : asset.bytes);
}

function sendError(res: ServerResponse, status: number, error: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ error }));
}
