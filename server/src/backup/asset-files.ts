import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidRoomId } from '../rooms.ts';
import { type BackupRecord, isAssetId } from './archive-format.ts';

/**
 * Uploaded images and videos as files (`<dir>/assets/<room>/<sha256>.<ext>`, FileAssetStore's layout). Content-
 * addressed, so a file never changes once written: listing them after the store's consistent read began finds every
 * asset its documents refer to (an upload is stored before the shape that shows it). A file deleted meanwhile (a board
 * deleted for good) is left out. One file in memory at a time (uploads are at most MAX upload size, 10 MiB).
 */
export async function* assetRecords(dataDir: string): AsyncIterable<BackupRecord> {
  const root = join(dataDir, 'assets');
  const rooms = (await readdir(root).catch(() => [] as string[])).filter(isValidRoomId).sort();
  for (const room of rooms) {
    const ids = (await readdir(join(root, room)).catch(() => [] as string[])).filter(isAssetId).sort();
    for (const id of ids) {
      const bytes = await readFile(join(root, room, id)).catch(() => null);
      if (bytes) yield { kind: 'asset', room, id, bytes };
    }
  }
}

/** True when `dataDir` holds no asset file. */
export async function hasNoAssets(dataDir: string): Promise<boolean> {
  for await (const _asset of assetNames(dataDir)) return false;
  return true;
}

async function* assetNames(dataDir: string): AsyncIterable<string> {
  const root = join(dataDir, 'assets');
  for (const room of (await readdir(root).catch(() => [] as string[])).filter(isValidRoomId)) {
    for (const id of (await readdir(join(root, room)).catch(() => [] as string[])).filter(isAssetId)) yield `${room}/${id}`;
  }
}

/** Writes a restored asset as the server would (a temporary, then a rename); an existing file is the same content. */
export async function writeAsset(dataDir: string, room: string, id: string, bytes: Uint8Array): Promise<void> {
  const dir = join(dataDir, 'assets', room);
  await mkdir(dir, { recursive: true });
  const temporary = join(dir, `.${id}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(temporary, bytes);
  await rename(temporary, join(dir, id));
}
