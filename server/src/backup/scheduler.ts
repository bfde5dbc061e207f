import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import type { Logger } from '../log.ts';
import type { DocStore } from '../persistence/doc-store.ts';
import { PostgresStore } from '../persistence/postgres-store.ts';
import type { BackupService } from './backup-service.ts';

/** Options of {@link BackupScheduler}. */
export interface BackupScheduleOptions {
  /** BACKUP_DIR: where archives are written (created when missing). */
  dir: string;
  /** BACKUP_INTERVAL in milliseconds. */
  intervalMs: number;
  /** BACKUP_KEEP: how many archives to keep; older ones are deleted after each backup. */
  keep: number;
  /** Wait at least this long after start before a first backup is due, default 60 s (the server warms up first). */
  firstDelayMs?: number;
  service: BackupService;
  store: DocStore;
  log: Logger;
}

/** Archive names: the time in the name sorts them, and tells a person which is which. */
const ARCHIVE_NAME = /^scrawl-backup-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.tar$/;
/** A temporary untouched this long belongs to a backup that was killed, not to one in progress (which writes on). */
const STALE_TEMPORARY_MS = 60 * 60 * 1000;
/** The advisory lock every instance takes around a scheduled backup (the store's DDL locks are 0x5c4a_1001/2). */
const BACKUP_LOCK_KEY = 0x5c4a_1003;

/**
 * BACKUP_DIR / BACKUP_INTERVAL / BACKUP_KEEP: a backup into BACKUP_DIR whenever the newest archive there is an interval
 * old (so a restart neither skips one nor takes an extra), then the oldest beyond BACKUP_KEEP deleted. With
 * PostgreSQL (several instances) a session advisory lock makes sure no two instances back up at once, and an instance
 * that gets it finds a fresh archive from another instance in a shared BACKUP_DIR and skips its turn. A failed backup
 * is logged as an error and counted (scrawl_backup_failures_total) and tried again at the next interval.
 */
export class BackupScheduler {
  private readonly options: BackupScheduleOptions;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(options: BackupScheduleOptions) {
    this.options = options;
  }

  /** Plans the first backup. */
  async start(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true });
    const newest = await this.newestArchiveTime();
    const due = newest === null ? 0 : newest + this.options.intervalMs - Date.now();
    this.plan(Math.max(this.options.firstDelayMs ?? 60_000, due));
  }

  /** Stops planning; a backup in progress is cancelled and awaited. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.running) {
      this.options.service.cancel();
      await this.running.catch(() => {});
    }
  }

  /**
   * One scheduled round now: the lock, a backup unless another instance just made one, pruning. Resolves with the
   * archive's path, or null when skipped. Rejects when the backup failed (already logged and counted).
   */
  async runOnce(): Promise<string | null> {
    const lock = await this.lock();
    if (!lock) {
      this.options.log.info('scheduled backup skipped: another instance is taking one');
      return null;
    }
    try {
      const newest = await this.newestArchiveTime();
      // Slack for timers that fire a little early and clocks a little apart.
      if (newest !== null && Date.now() - newest < this.options.intervalMs * 0.9) return null;
      const name = `scrawl-backup-${new Date().toISOString().replace(/[:.]/g, '-')}.tar`;
      const { path } = await this.options.service.toFile(join(this.options.dir, name), 'schedule');
      await this.prune();
      return path;
    } finally {
      await lock.release();
    }
  }

  private plan(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch(() => {
          // Logged and counted by the backup service; the next interval tries again.
        })
        .finally(() => {
          this.running = null;
          this.plan(this.options.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  /** Deletes archives beyond the newest `keep`, and temporaries of backups that were killed. */
  private async prune(): Promise<void> {
    const names = await readdir(this.options.dir);
    const archives = names.filter((name) => ARCHIVE_NAME.test(name)).sort();
    for (const name of archives.slice(0, Math.max(0, archives.length - this.options.keep))) {
      await rm(join(this.options.dir, name), { force: true });
      this.options.log.info({ archive: name }, 'old backup deleted (BACKUP_KEEP)');
    }
    for (const name of names.filter((n) => n.startsWith('.scrawl-backup-') && n.endsWith('.tmp'))) {
      const info = await stat(join(this.options.dir, name)).catch(() => null);
      if (info && Date.now() - info.mtimeMs > STALE_TEMPORARY_MS) await rm(join(this.options.dir, name), { force: true });
    }
  }

  /** The time of the newest archive in the directory (from its name), or null. */
  private async newestArchiveTime(): Promise<number | null> {
    const names = (await readdir(this.options.dir).catch(() => [] as string[])).filter((name) => ARCHIVE_NAME.test(name)).sort();
    const newest = names.at(-1);
    if (!newest) return null;
    const [, date, hh, mm, ss, ms] = /^scrawl-backup-(.{10})T(\d\d)-(\d\d)-(\d\d)-(\d{3})Z/.exec(newest)!;
    return Date.parse(`${date}T${hh}:${mm}:${ss}.${ms}Z`);
  }

  /** Takes the cross-instance lock (PostgreSQL), or null when another instance holds it; a no-op lock otherwise. */
  private async lock(): Promise<{ release(): Promise<void> } | null> {
    const { store } = this.options;
    if (!(store instanceof PostgresStore)) return { release: async () => {} };
    const client: pg.PoolClient = await store.sharedDatabase.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [
        BACKUP_LOCK_KEY,
        store.sharedDatabase.schema,
      ]);
      if (!rows[0].locked) {
        client.release();
        return null;
      }
    } catch (error) {
      client.release(true);
      throw error;
    }
    return {
      release: async () => {
        const ok = await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [BACKUP_LOCK_KEY, store.sharedDatabase.schema]).then(
          () => true,
          () => false,
        );
        client.release(ok ? undefined : true);
      },
    };
  }
}
