import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import {
  type ArchiveHeader,
  BackupError,
  FORMAT_VERSION,
  HEADER_ENTRY,
  MANIFEST_ENTRY,
  type Manifest,
  type ManifestEntry,
  decodeJson,
  parseEntry,
} from './archive-format.ts';

/** One entry as read: its name, size, checksum, and its bytes when they were asked for. */
export interface ReadEntry extends ManifestEntry {
  bytes: Uint8Array | null;
}

/**
 * Calls `onEntry` for every entry of the archive at `path`, in order, waiting for each. With `keepBytes`, each entry's
 * bytes are handed over (one entry in memory at a time); without, entries are only hashed as they stream by, so
 * verifying needs no more memory than the manifest. A gzip-compressed archive (`.tar.gz`) is read alike. Tar errors
 * become a {@link BackupError} that says the archive is damaged.
 */
export async function forEachEntry(path: string, keepBytes: boolean, onEntry: (entry: ReadEntry) => Promise<void> | void): Promise<void> {
  const gzip = await isGzip(path);
  const extract = tar.extract();
  const source: Readable = createReadStream(path, { highWaterMark: 1 << 20 });
  const feeding = (gzip ? pipeline(source, createGunzip(), extract) : pipeline(source, extract)).catch((error: unknown) => {
    throw damaged(error);
  });
  // Reported by the loop below or by `await feeding`; not unhandled meanwhile.
  feeding.catch(() => {});
  try {
    for await (const entry of extract) {
      const hash = createHash('sha256');
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of entry as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        size += chunk.byteLength;
        if (keepBytes || entry.header.name === HEADER_ENTRY || entry.header.name === MANIFEST_ENTRY) chunks.push(chunk);
      }
      const bytes = chunks.length === 1 ? chunks[0] : chunks.length > 0 ? Buffer.concat(chunks) : keepBytes ? new Uint8Array(0) : null;
      await onEntry({ name: entry.header.name, size, sha256: hash.digest('hex'), bytes });
    }
  } catch (error) {
    extract.destroy();
    source.destroy();
    if (error instanceof BackupError) throw error;
    throw damaged(error);
  }
  await feeding;
}

/**
 * Reads the whole archive once and checks it: a Scrawl archive of a format this Scrawl reads, every entry listed in the
 * manifest with its size and SHA-256 and in the same order, nothing unlisted, no name outside the format. Resolves with
 * the manifest; rejects with a {@link BackupError} naming the first problem. Writes nothing.
 */
export async function verifyArchive(path: string): Promise<Manifest> {
  let header: ArchiveHeader | null = null;
  let manifest: Manifest | null = null;
  const seen: ManifestEntry[] = [];
  await forEachEntry(path, false, ({ name, size, sha256, bytes }) => {
    if (header === null) {
      if (name !== HEADER_ENTRY) throw new BackupError(`${path} is not a Scrawl backup (its first entry is "${name}", not ${HEADER_ENTRY})`);
      header = readHeader(bytes!);
      return;
    }
    if (manifest !== null) throw new BackupError(`${path} has entries after its manifest ("${name}"): it is damaged`);
    if (name === MANIFEST_ENTRY) {
      manifest = readJson<Manifest>(bytes!, MANIFEST_ENTRY);
      return;
    }
    if (parseEntry(name, new Uint8Array(0)) === null) throw new BackupError(`${path} holds an entry this Scrawl does not know: "${name}"`);
    seen.push({ name, size, sha256 });
  });
  if (header === null) throw new BackupError(`${path} is empty: not a Scrawl backup`);
  if (manifest === null) {
    throw new BackupError(`${path} is incomplete: it ends after ${seen.length} entries without its manifest (truncated, or the backup was interrupted)`);
  }
  const listed = (manifest as Manifest).entries;
  if (!Array.isArray(listed)) throw new BackupError(`${path}: the manifest lists no entries: it is damaged`);
  for (let i = 0; i < Math.max(listed.length, seen.length); i++) {
    const want = listed[i];
    const got = seen[i];
    if (!want) throw new BackupError(`${path}: entry "${got.name}" is not in the manifest: the archive is damaged`);
    if (!got) throw new BackupError(`${path}: entry "${want.name}" listed in the manifest is missing: the archive is damaged`);
    if (want.name !== got.name) throw new BackupError(`${path}: entry ${i + 1} is "${got.name}", the manifest says "${want.name}": the archive is damaged`);
    if (want.size !== got.size || want.sha256 !== got.sha256) {
      throw new BackupError(`${path}: checksum mismatch in "${got.name}" (${got.size} bytes, expected ${want.size}): the archive is damaged`);
    }
  }
  return manifest;
}

function readHeader(bytes: Uint8Array): ArchiveHeader {
  const header = readJson<ArchiveHeader>(bytes, HEADER_ENTRY);
  if (!Number.isInteger(header.format) || header.format < 1) throw new BackupError(`${HEADER_ENTRY} has no valid format number: not a Scrawl backup`);
  if (header.format > FORMAT_VERSION) {
    throw new BackupError(
      `this archive has format ${header.format}, written by Scrawl ${header.scrawlVersion}; this Scrawl reads formats up to ` +
        `${FORMAT_VERSION}: restore it with Scrawl ${header.scrawlVersion} or later`,
    );
  }
  return header;
}

function readJson<T>(bytes: Uint8Array, name: string): T {
  try {
    const value = decodeJson<T>(bytes);
    if (value && typeof value === 'object') return value;
  } catch {
    // Reported below.
  }
  throw new BackupError(`${name} is not valid JSON: the archive is damaged`);
}

/** A tar or gzip error, as a message for the person restoring. */
function damaged(error: unknown): BackupError {
  if (error instanceof BackupError) return error;
  const message = (error as Error).message ?? String(error);
  if ((error as { code?: string }).code === 'ENOENT') return new BackupError(`no such file: ${(error as { path?: string }).path ?? ''}`);
  if (/unexpected end/i.test(message)) return new BackupError(`the archive is truncated (${message})`, { cause: error });
  if (/invalid tar header/i.test(message)) return new BackupError('the archive is damaged or not a Scrawl backup (not a valid tar file)', { cause: error });
  return new BackupError(`the archive cannot be read: ${message}`, { cause: error });
}

async function isGzip(path: string): Promise<boolean> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (error) {
    throw new BackupError(`cannot open ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await file.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await file.close();
  }
}
