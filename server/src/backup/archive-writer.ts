import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import {
  type ArchiveHeader,
  type BackupRecord,
  HEADER_ENTRY,
  MANIFEST_ENTRY,
  type Manifest,
  type ManifestEntry,
  countRecord,
  encodeJson,
  entryName,
  zeroCounts,
} from './archive-format.ts';

/**
 * Writes a backup archive as a tar stream (package `tar-stream`) into `output`: the header entry first, then one
 * entry per record as it is added, then the manifest. Each `add` resolves once its bytes were taken by `output`
 * (tar-stream waits for the consumer's drain), so a slow disk or client slows the reading of the store instead of
 * filling memory: at any moment one record and the streams' buffers are held, plus one manifest line per entry.
 */
export class ArchiveWriter {
  private readonly pack = tar.pack();
  private readonly header: ArchiveHeader;
  private readonly entries: ManifestEntry[] = [];
  private readonly counts = zeroCounts();
  private readonly rooms = new Set<string>();
  private readonly mtime: Date;
  private bytes = 0;
  /** Settles when `output` has everything, or rejects when it failed (a client went away, a disk filled up). */
  private readonly done: Promise<void>;
  /** Rejects with the output's failure; never resolves. */
  private readonly failed: Promise<never>;

  constructor(output: Writable, header: ArchiveHeader) {
    this.header = header;
    this.mtime = new Date(header.createdAt);
    this.done = pipeline(this.pack, output);
    this.failed = this.done.then(
      () => new Promise<never>(() => {}),
      (error: unknown) => {
        throw error;
      },
    );
    // Either add() or finish() reports the failure; this keeps it from being an unhandled rejection meanwhile.
    this.failed.catch(() => {});
  }

  /** The header entry; call once, before any record. */
  async start(): Promise<void> {
    await this.write(HEADER_ENTRY, encodeJson(this.header));
  }

  /** Adds one record; resolves once the output took it. */
  async add(record: BackupRecord): Promise<void> {
    const name = entryName(record);
    const sha256 = createHash('sha256').update(record.bytes).digest('hex');
    await this.write(name, record.bytes);
    this.entries.push({ name, size: record.bytes.byteLength, sha256 });
    this.bytes += record.bytes.byteLength;
    countRecord(this.counts, record.kind);
    if (record.kind === 'snapshot' || record.kind === 'log' || record.kind === 'version-info') this.rooms.add(record.room);
  }

  /** Writes the manifest, ends the tar stream and waits until `output` has finished. */
  async finish(): Promise<Manifest> {
    const manifest: Manifest = { ...this.header, counts: { ...this.counts, rooms: this.rooms.size }, bytes: this.bytes, entries: this.entries };
    await this.write(MANIFEST_ENTRY, encodeJson(manifest));
    this.pack.finalize();
    await this.done;
    return manifest;
  }

  /** Stops writing: the output is destroyed with `error` and the archive stays incomplete (no manifest). */
  abort(error: Error): void {
    this.pack.destroy(error);
  }

  private write(name: string, bytes: Uint8Array): Promise<void> {
    const written = new Promise<void>((resolve, reject) => {
      const sink = this.pack.entry({ name, size: bytes.byteLength, mtime: this.mtime }, bytes, (error) => (error ? reject(error) : resolve()));
      // A destroyed pack destroys its entry with the output's error, which the callback reports; an 'error' event
      // without a listener would end the process.
      sink.on('error', () => {});
    });
    // When the output failed first, the entry's own failure follows; it is the same story, already told.
    written.catch(() => {});
    return Promise.race([written, this.failed]);
  }
}
