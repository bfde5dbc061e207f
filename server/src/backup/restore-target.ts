import type { BackupRecord } from './archive-format.ts';

/**
 * Where a restore writes the store's records (assets are files, written by the restore itself). Records arrive in
 * archive order, each room's log entries in append order. Two modes:
 *
 * - into an empty target: every record is written as it was stored (a snapshot stays a snapshot, log entries keep
 *   their order, catalog records are copied as they are);
 * - merging (`--merge`) into a target that has data: snapshots and log entries are appended to the rooms' logs as
 *   updates (applying a Yjs update twice or in another order changes nothing, so a room holding both its own history
 *   and the archive's loads as the union of both), versions are added unless present, a catalog entry replaces the
 *   target's only when it is newer, thumbnails and tombstones are added where missing.
 */
export interface RestoreTarget {
  /** For messages: `LevelDB at ./data`, `PostgreSQL database "x" (schema public)`. */
  readonly description: string;
  /** One thing the target holds already, described (`room abc`), or null when it holds nothing. */
  firstContent(): Promise<string | null>;
  /** Writes one record (buffered; durable after `finish`). */
  write(record: BackupRecord): Promise<void>;
  /** Writes what is buffered and makes it durable (PostgreSQL: commits the one transaction). */
  finish(): Promise<void>;
  /** Gives up after a failure (PostgreSQL: rolls back, leaving the database as it was). */
  abort(): Promise<void>;
}
