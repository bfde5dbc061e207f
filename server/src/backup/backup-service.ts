import type { Writable } from 'node:stream';
import type { Logger } from '../log.ts';
import type { ScrawlMetrics } from '../metrics.ts';
import type { DocStore } from '../persistence/doc-store.ts';
import { BackupError, type Manifest } from './archive-format.ts';
import { type BackupFileResult, backupToFile, writeBackup } from './backup.ts';

/** Thrown when a backup is asked for while this server is taking one. */
export class BackupBusyError extends BackupError {}

/** Options of {@link BackupService}. */
export interface BackupServiceOptions {
  store: DocStore;
  /** DATA_DIR, whose `assets/` go into every archive; null: no assets. */
  dataDir: string | null;
  metrics: ScrawlMetrics;
  log: Logger;
}

/**
 * Backups taken by a running server, for the admin endpoint and the schedule: one at a time in this process (each
 * holds a consistent read of the store open and competes with the relay for the disk, so a second would only slow
 * both), each timed, logged and counted in the metrics. A backup running when the server stops is cancelled.
 */
export class BackupService {
  private readonly options: BackupServiceOptions;
  private busy = false;
  /** The running backup's output, destroyed by cancel(). */
  private current: Writable | null = null;

  constructor(options: BackupServiceOptions) {
    this.options = options;
  }

  /** True while a backup runs. */
  get running(): boolean {
    return this.busy;
  }

  /** Streams a whole archive into `output` (an HTTP response); rejects with BackupBusyError while another runs. */
  stream(output: Writable, reason: string): Promise<Manifest> {
    this.claim(output);
    return this.measure(reason, () => writeBackup(this.options.store, this.options.dataDir, output), (manifest) => manifest);
  }

  /** Writes an archive to `path` (temporary name, fsync, verify, rename; see backupToFile). */
  toFile(path: string, reason: string): Promise<BackupFileResult> {
    this.claim(null);
    return this.measure(
      reason,
      () =>
        backupToFile(path, (output) => {
          this.current = output;
          return writeBackup(this.options.store, this.options.dataDir, output);
        }),
      (result) => result.manifest,
    );
  }

  /** Stops the running backup, if any (its archive is left incomplete, hence never renamed into place). */
  cancel(): void {
    this.current?.destroy(new BackupError('the server is stopping'));
  }

  private claim(output: Writable | null): void {
    if (this.busy) throw new BackupBusyError('a backup is already running on this server; try again when it has finished');
    this.busy = true;
    this.current = output;
  }

  private async measure<T>(reason: string, backup: () => Promise<T>, manifestOf: (result: T) => Manifest): Promise<T> {
    const { metrics, log } = this.options;
    const started = performance.now();
    try {
      const result = await backup();
      const manifest = manifestOf(result);
      const seconds = (performance.now() - started) / 1000;
      metrics.backupLastSuccess.set(Date.now() / 1000);
      metrics.backupLastDuration.set(seconds);
      metrics.backupLastSize.set(manifest.bytes);
      log.info({ reason, seconds: Number(seconds.toFixed(2)), bytes: manifest.bytes, counts: manifest.counts }, 'backup taken');
      return result;
    } catch (error) {
      metrics.backupFailures.inc();
      log.error({ err: error, reason }, `backup failed: ${(error as Error).message}`);
      throw error;
    } finally {
      this.busy = false;
      this.current = null;
    }
  }
}
