import { type FileAssetStore, isAllowedAssetType } from '../http/assets.ts';
import type { TldrRecord } from './tldr-document.ts';

/**
 * Images in .tldr files. tldraw's `serializeTldrawJson` writes every image and video inline as a `data:` URL, so that
 * the file is whole on its own; a board keeps only URLs of files stored beside it (docs/document-schema.md, Images).
 * Importing therefore moves inline files into the new board's asset store, and exporting inlines the board's files,
 * so that a file exported here opens in tldraw (or on another Scrawl) with its pictures.
 */

/** Where the asset files of a board live, and how a stored one is addressed: the parts of FileAssetStore used here. */
export interface BoardAssetFiles {
  /** Stores `bytes` of `type` for `room`; resolves the asset id, or null when `type` is not one a board may hold. */
  put(room: string, type: string, bytes: Uint8Array): Promise<string | null>;
  /** A stored file of `room`, or null. */
  get(room: string, id: string): Promise<{ type: string; bytes: Uint8Array } | null>;
}

/** The server's asset store as board files use it: files of types boards do not hold are not stored. */
export function boardAssetFiles(assets: FileAssetStore): BoardAssetFiles {
  return {
    put: async (room, type, bytes) => (isAllowedAssetType(type) ? assets.put(room, type, bytes) : null),
    get: (room, id) => assets.get(room, id),
  };
}

/** Inline files written into one exported .tldr at most, in bytes before base64; past it, assets keep their URLs. */
export const MAX_INLINE_ASSET_BYTES = 48 * 1024 * 1024;

/** An asset URL of this server, relative as the app stores it or absolute (another origin's copy of the app). */
const ASSET_URL = /^(?:https?:\/\/[^/]+)?\/api\/rooms\/([A-Za-z0-9_-]{1,64})\/assets\/([0-9a-f]{64}\.[a-z0-9]{2,4})$/;

/** `data:<type>[;param]*[;base64],<data>`: the type and the bytes, or null for anything else. */
export function decodeDataUrl(url: string): { type: string; bytes: Buffer } | null {
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || comma < 0) return null;
  const [type, ...params] = url.slice(5, comma).split(';');
  const data = url.slice(comma + 1);
  try {
    const bytes = params.includes('base64') ? Buffer.from(data, 'base64') : Buffer.from(decodeURIComponent(data), 'utf8');
    return { type: (type || 'text/plain').trim().toLowerCase(), bytes };
  } catch {
    return null;
  }
}

/** The URL the app keeps for asset `id` of `room` (what `POST /api/rooms/:room/assets` answers). */
export function assetUrl(room: string, id: string): string {
  return `/api/rooms/${room}/assets/${id}`;
}

/** Asset records with a string `props.src`: images and videos (bookmarks keep a page address, left as it is). */
function sourceOf(record: TldrRecord): string | null {
  if (record.typeName !== 'asset') return null;
  const props = record.props as { src?: unknown } | undefined;
  return typeof props?.src === 'string' ? props.src : null;
}

function withSource(record: TldrRecord, src: string): TldrRecord {
  return { ...record, props: { ...(record.props as object), src } };
}

/**
 * The records with each inline (`data:`) file stored as an asset of `room` and its `src` replaced by the asset's URL.
 * A file of a type boards do not hold stays inline: the board still shows it, and nothing the user made is dropped.
 * Returns new records; the given ones are not changed.
 */
export async function storeInlineAssets(records: TldrRecord[], room: string, files: BoardAssetFiles): Promise<TldrRecord[]> {
  const out: TldrRecord[] = [];
  for (const record of records) {
    const src = sourceOf(record);
    const inline = src?.startsWith('data:') ? decodeDataUrl(src) : null;
    const id = inline && inline.bytes.byteLength > 0 ? await files.put(room, inline.type, inline.bytes) : null;
    out.push(id === null ? record : withSource(record, assetUrl(room, id)));
  }
  return out;
}

/**
 * The records with each of this server's asset URLs replaced by the file inline (`data:<type>;base64,...`), as
 * tldraw's own export does, until {@link MAX_INLINE_ASSET_BYTES} are inlined; later assets, and files no longer
 * stored, keep their URLs. Returns new records.
 */
export async function inlineStoredAssets(records: TldrRecord[], files: BoardAssetFiles, budget = MAX_INLINE_ASSET_BYTES): Promise<TldrRecord[]> {
  const out: TldrRecord[] = [];
  let left = budget;
  for (const record of records) {
    const match = ASSET_URL.exec(sourceOf(record) ?? '');
    const file = match && left > 0 ? await files.get(match[1], match[2]) : null;
    if (file && file.bytes.byteLength <= left) {
      left -= file.bytes.byteLength;
      out.push(withSource(record, `data:${file.type};base64,${Buffer.from(file.bytes).toString('base64')}`));
    } else {
      out.push(record);
    }
  }
  return out;
}
