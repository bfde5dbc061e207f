/**
 * Taking a backup: the store's records in one consistent read, then the asset files, into an archive (archive-writer),
 * either onto a stream (the admin endpoint) or into a file that appears at its final path only once complete.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { DocStore } from '../persistence/doc-store.ts';
import { LevelDbStore } from '../persistence/leveldb-store.ts';
import { PostgresStore } from '../persistence/postgres-store.ts';
import { BackupError, type BackupRecord, FORMAT_VERSION, type Manifest, SCRAWL_VERSION } from './archive-format.ts';
import { verifyArchive } from './archive-reader.ts';
import { openSyncedFile } from './synced-file.ts';
import { ArchiveWriter } from './archive-writer.ts';
import { assetRecords } from './asset-files.ts';
import { levelDbRecords } from './leveldb-source.ts';
import { postgresRecords } from './postgres-source.ts';

/** The longest stretch a backup works without letting the event loop serve others (the relay's budget is 10 ms). */
const TURN_BUDGET_MS = 4;

/** The records of an open store, read consistently; a store kind without a backup reader is refused. */
export function storeRecords(store: DocStore): AsyncIterable<BackupRecord> {
  if (store instanceof LevelDbStore) return levelDbRecords(store);
  if (store instanceof PostgresStore) return postgresRecords(store.sharedDatabase);
  throw new BackupError(`the ${store.kind} store cannot be backed up (only LevelDB and PostgreSQL can)`);
}

/**
 * Writes a whole backup of `store` (open) and of the assets under `dataDir` (null: none) to `output`, ending it.
 * Resolves with the manifest once `output` has finished; on failure `output` is destroyed, so a reader of the stream
 * sees it break off without a manifest instead of ending cleanly.
 */
export async function writeBackup(store: DocStore, dataDir: string | null, output: Writable): Promise<Manifest> {
  const records = storeRecords(store);
  const writer = new ArchiveWriter(output, { format: FORMAT_VERSION, scrawlVersion: SCRAWL_VERSION, createdAt: new Date().toISOString(), store: store.kind });
  // Records the store has read ahead, and an output that keeps up, resolve in microtasks: without a pause the loop
  // would hold the event loop for as long as they last, and the relay's messages and acknowledgements would wait.
  let turnStarted = performance.now();
  const add = async (record: BackupRecord) => {
    await writer.add(record);
    if (performance.now() - turnStarted > TURN_BUDGET_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      turnStarted = performance.now();
    }
  };
  try {
    await writer.start();
    for await (const record of records) await add(record);
    if (dataDir !== null) for await (const asset of assetRecords(dataDir)) await add(asset);
    return await writer.finish();
  } catch (error) {
    writer.abort(error as Error);
    throw error;
  }
}

/** What {@link backupToFile} made. */
export interface BackupFileResult {
  path: string;
  manifest: Manifest;
  /** The archive's size on disk. */
  fileBytes: number;
}

/**
 * Makes the archive at `path` through `produce`, which writes a whole archive into the stream it is given (and ends
 * it). Written to a temporary name beside `path`, flushed to disk (fsync), read back and verified, and only then
 * renamed to `path`, and the directory fsynced: a process killed midway, a full disk or a broken source leaves no file
 * at `path` (at most a `.<name>.*.tmp` temporary), and a file at `path` is a complete, checked archive. A name ending
 * in `.gz` is gzip-compressed.
 */
export async function backupToFile(path: string, produce: (output: Writable) => Promise<unknown>): Promise<BackupFileResult> {
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.${process.pid}-${randomBytes(3).toString('hex')}.tmp`);
  let file: Writable | undefined;
  try {
    // Flushed to disk as it is written and once more before the stream reports it closed.
    const output = await openSyncedFile(temporary);
    file = output;
    if (path.endsWith('.gz')) {
      const gzip = createGzip({ level: 1 });
      const writing = pipeline(gzip, output);
      await Promise.all([produce(gzip), writing]);
    } else {
      await Promise.all([produce(output), new Promise<void>((resolve, reject) => output.once('close', () => resolve()).once('error', reject))]);
    }
    const manifest = await verifyArchive(temporary);
    await rename(temporary, path);
    await syncDirectory(directory);
    return { path, manifest, fileBytes: (await stat(path)).size };
  } catch (error) {
    file?.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
}

/** fsync of a directory: makes a rename in it durable. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
