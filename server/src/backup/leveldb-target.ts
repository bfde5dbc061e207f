import type { LevelDbStore, StoredRecord } from '../persistence/leveldb-store.ts';
import type { BoardEntry } from '../workspace/board-catalog.ts';
import { type BackupRecord, decodeJson, encodeJson } from './archive-format.ts';
import type { RestoreTarget } from './restore-target.ts';

/** Records per LevelDB batch, and bytes: large enough to amortise a write, small enough to hold in memory. */
const BATCH_RECORDS = 2_000;
const BATCH_BYTES = 16 * 1024 * 1024;
/** Merge appends in flight before waiting for them (they are group-committed by the store). */
const APPENDS_IN_FLIGHT = 1_000;

/**
 * Restores into a LevelDB store (open, and held by this process alone: a running server must be stopped first, as its
 * lock says). Into an empty database the records go in as batches under the store's own keys (`writeRecords`); the
 * catalog's side tables are read by the server at its next start. Not atomic: a restore that fails midway leaves part
 * of the archive written, so the target should be emptied before trying again (the CLI says so).
 */
export class LevelDbRestoreTarget implements RestoreTarget {
  readonly description: string;
  private readonly store: LevelDbStore;
  private readonly merge: boolean;
  private batch: StoredRecord[] = [];
  private batchBytes = 0;
  private appends: Promise<void>[] = [];

  constructor(store: LevelDbStore, directory: string, merge: boolean) {
    this.store = store;
    this.merge = merge;
    this.description = `the LevelDB store in ${directory}`;
  }

  async firstContent(): Promise<string | null> {
    for await (const record of this.store.readConsistent()) {
      return record.kind === 'side' ? `a record of its ${record.table} table` : `room ${record.room}`;
    }
    return null;
  }

  async write(record: BackupRecord): Promise<void> {
    switch (record.kind) {
      case 'snapshot':
      case 'log':
        if (this.merge) {
          this.appends.push(this.store.append(record.room, record.bytes));
          if (this.appends.length >= APPENDS_IN_FLIGHT) await this.settleAppends();
          return;
        }
        return record.kind === 'snapshot'
          ? this.put({ kind: 'snapshot', room: record.room, value: record.bytes })
          : this.put({ kind: 'log', room: record.room, seq: record.index, value: record.bytes });
      case 'version-info':
      case 'version-state':
        return this.put({ kind: record.kind, room: record.room, id: record.id, value: record.bytes });
      case 'catalog-entry':
        if (this.merge && !(await this.isNewer(record.id, decodeJson<BoardEntry>(record.bytes)))) return;
        return this.put({ kind: 'side', table: 'catalog', key: record.id, value: record.bytes });
      case 'thumbnail':
        return this.putMissing('thumbnails', record.id, record.bytes);
      case 'access':
        // The side tables of people/stores-for.ts; the access store builds its index of people from them at open.
        return this.putMissing('access', record.id, record.bytes);
      case 'profile':
        return this.putMissing('profiles', record.id, record.bytes);
      case 'tombstone':
        // The LevelDB catalog stores a tombstone as its bare time.
        return this.put({ kind: 'side', table: 'catalog-tombstones', key: record.id, value: encodeJson(decodeJson<{ deletedAt: string }>(record.bytes).deletedAt) });
      case 'asset':
        throw new Error('assets are files, written by the restore itself');
    }
  }

  async finish(): Promise<void> {
    await this.flush(true);
    await this.settleAppends();
  }

  async abort(): Promise<void> {
    this.batch = [];
    await this.settleAppends().catch(() => {});
  }

  private async put(record: StoredRecord): Promise<void> {
    this.batch.push(record);
    this.batchBytes += record.value.byteLength;
    if (this.batch.length >= BATCH_RECORDS || this.batchBytes >= BATCH_BYTES) await this.flush(false);
  }

  private async flush(sync: boolean): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    // Only the last batch is fsynced: until the restore reports success nothing of it is relied on.
    if (batch.length > 0 || sync) await this.store.writeRecords(batch, { sync });
  }

  private async settleAppends(): Promise<void> {
    const appends = this.appends;
    this.appends = [];
    await Promise.all(appends);
  }

  /** Writes a side-table record; when merging, only where the target has none under `key` (the target's wins). */
  private async putMissing(table: string, key: string, value: Uint8Array): Promise<void> {
    if (this.merge && (await this.store.sideTable(table).get(key)) !== undefined) return;
    return this.put({ kind: 'side', table, key, value });
  }

  /** When merging: true when the target has no entry for `id` or an older one. */
  private async isNewer(id: string, entry: BoardEntry): Promise<boolean> {
    await this.flush(false);
    const stored = await this.store.sideTable('catalog').get(id);
    return stored === undefined || decodeJson<BoardEntry>(stored).updatedAt < entry.updatedAt;
  }
}
