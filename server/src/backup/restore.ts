/**
 * Restoring an archive: check all of it first (every checksum, against the manifest at its end), refuse a target that
 * holds data unless merging, then read it a second time and write. Nothing is written before the whole archive has
 * been checked, so a damaged, truncated or foreign file leaves the target untouched.
 */
import { BackupError, HEADER_ENTRY, MANIFEST_ENTRY, type Manifest, parseEntry } from './archive-format.ts';
import { forEachEntry, verifyArchive } from './archive-reader.ts';
import { hasNoAssets, writeAsset } from './asset-files.ts';
import type { RestoreTarget } from './restore-target.ts';

/** Options of {@link restoreArchive}. */
export interface RestoreOptions {
  /** The archive file. */
  archive: string;
  /** The store to fill. */
  target: RestoreTarget;
  /** DATA_DIR: assets go to `<dataDir>/assets/...`. */
  dataDir: string;
  /** Merge into a target that holds data instead of refusing it (see RestoreTarget). */
  merge: boolean;
  /**
   * The manifest of a check made just before (the CLI checks the archive before it opens the target, since opening
   * creates files and tables); unset: checked here. Either way each entry is compared with it again as it is written.
   */
  verified?: Manifest;
}

/** Restores `archive` into `target` and the assets into `dataDir`; resolves with the archive's manifest. */
export async function restoreArchive(options: RestoreOptions): Promise<Manifest> {
  const { archive, target, dataDir, merge } = options;
  const manifest = options.verified ?? (await verifyArchive(archive));
  if (!merge) {
    const content = (await target.firstContent()) ?? ((await hasNoAssets(dataDir)) ? null : `asset files in ${dataDir}/assets`);
    if (content !== null) {
      throw new BackupError(
        `${target.description} is not empty (it holds ${content}): restore into an empty DATA_DIR or database, ` +
          'or pass --merge to merge the archive into what is there (docs/backups.md)',
      );
    }
  }
  let index = 0;
  try {
    await forEachEntry(archive, true, async (entry) => {
      if (entry.name === HEADER_ENTRY || entry.name === MANIFEST_ENTRY) return;
      // The file was checked a moment ago; a change since (it is being overwritten) must not be half restored.
      const expected = manifest.entries[index++];
      if (!expected || expected.name !== entry.name || expected.sha256 !== entry.sha256) {
        throw new BackupError(`${archive} changed while it was being restored (at "${entry.name}")`);
      }
      const record = parseEntry(entry.name, entry.bytes!)!;
      if (record.kind === 'asset') await writeAsset(dataDir, record.room, record.id, record.bytes);
      else await target.write(record);
    });
    await target.finish();
  } catch (error) {
    await target.abort();
    throw error;
  }
  return manifest;
}

/** A one-line summary of an archive's contents. */
export function describeManifest(manifest: Manifest): string {
  const c = manifest.counts;
  return (
    `${c.rooms} rooms (${c.snapshots} snapshots, ${c.logEntries} log entries), ${c.versions} versions, ${c.assets} assets, ` +
    `${c.catalogEntries} catalog entries, ${c.thumbnails} thumbnails, ${c.tombstones} tombstones, ` +
    // Absent from the manifests of archives made before they were carried.
    `${c.accessRecords ?? 0} access records, ${c.profiles ?? 0} profiles; ` +
    `${(manifest.bytes / 1024 / 1024).toFixed(1)} MiB; taken ${manifest.createdAt} from ${manifest.store} by Scrawl ${manifest.scrawlVersion}`
  );
}
