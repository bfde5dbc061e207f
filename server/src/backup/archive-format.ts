/**
 * The backup archive's layout (docs/backups.md): a plain tar file whose entries are the stored records themselves,
 * one per entry, under names that say what they are. The first entry (`scrawl-backup.json`) says which format and
 * Scrawl wrote it, so a newer archive is refused before anything else is read; the last (`manifest.json`) lists every
 * other entry with its size and SHA-256, and the counts. The manifest goes last because the archive is streamed: the
 * checksums are known only once every entry has been written. A restore therefore reads the archive twice, first to
 * check every entry against the manifest, then to write.
 */
import { readFileSync } from 'node:fs';
import { normalizeEmail } from '../people/person.ts';
import { isValidRoomId } from '../rooms.ts';

/**
 * The archive format this Scrawl writes and the newest it reads. Bumped when a change would mislead an older reader.
 * Adding entry kinds (the `people/` entries) does not: an older reader refuses an entry name it does not know, before
 * writing anything, and an archive without them is still read by either.
 */
export const FORMAT_VERSION = 1;

/** Name of the first entry. */
export const HEADER_ENTRY = 'scrawl-backup.json';
/** Name of the last entry. */
export const MANIFEST_ENTRY = 'manifest.json';

/** Scrawl's version (server/package.json), written into every archive. */
export const SCRAWL_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();

/** The first entry: enough to decide whether this Scrawl can read the rest. */
export interface ArchiveHeader {
  format: number;
  scrawlVersion: string;
  /** ISO 8601 time the backup's consistent read began. */
  createdAt: string;
  /** The store it was taken from: `leveldb` or `postgres`. */
  store: string;
}

/** What an archive holds, counted by kind. */
export interface ArchiveCounts {
  /** Rooms with a snapshot, log entries or versions. */
  rooms: number;
  snapshots: number;
  logEntries: number;
  versions: number;
  assets: number;
  catalogEntries: number;
  thumbnails: number;
  tombstones: number;
  /** Boards' access records (sign-in mode). Absent from the manifests of archives made before they were carried. */
  accessRecords?: number;
  /** Profiles of people who signed in. Absent like `accessRecords`. */
  profiles?: number;
}

/** One entry as the manifest lists it. */
export interface ManifestEntry {
  name: string;
  size: number;
  /** Hex SHA-256 of the entry's bytes. */
  sha256: string;
}

/** The last entry. */
export interface Manifest extends ArchiveHeader {
  counts: ArchiveCounts;
  /** Total bytes of the listed entries. */
  bytes: number;
  /** Every entry but the header and the manifest, in archive order. */
  entries: ManifestEntry[];
}

/** An empty count. */
export function zeroCounts(): ArchiveCounts {
  return { rooms: 0, snapshots: 0, logEntries: 0, versions: 0, assets: 0, catalogEntries: 0, thumbnails: 0, tombstones: 0, accessRecords: 0, profiles: 0 };
}

/**
 * One record of a backup, in the store-neutral form of the archive. Room documents are the stored Yjs bytes
 * (snapshot, then log entries in append order), never a document rebuilt from JSON: a rebuilt one would have a new
 * history, and clients holding an offline copy would duplicate its content.
 */
export type BackupRecord =
  | { kind: 'snapshot'; room: string; bytes: Uint8Array }
  /** `index` counts the room's log entries from 0 in append order. */
  | { kind: 'log'; room: string; index: number; bytes: Uint8Array }
  /** A VersionInfo as JSON. */
  | { kind: 'version-info'; room: string; id: string; bytes: Uint8Array }
  | { kind: 'version-state'; room: string; id: string; bytes: Uint8Array }
  | { kind: 'asset'; room: string; id: string; bytes: Uint8Array }
  /** A BoardEntry as JSON. */
  | { kind: 'catalog-entry'; id: string; bytes: Uint8Array }
  | { kind: 'thumbnail'; id: string; bytes: Uint8Array }
  /** `{"deletedAt": ISO time}` as JSON. */
  | { kind: 'tombstone'; id: string; bytes: Uint8Array }
  /** A board's access record (people/access-record.ts, a BoardAccess as JSON); `id` is the board's room. */
  | { kind: 'access'; id: string; bytes: Uint8Array }
  /**
   * The name and picture of someone who signed in (a Profile as JSON); `id` is their email as the stores key it.
   * Sign-in sessions are never archived: a restored server must not resume them, so everyone signs in again.
   */
  | { kind: 'profile'; id: string; bytes: Uint8Array };

/** The kinds of {@link BackupRecord}. */
export type RecordKind = BackupRecord['kind'];

const LOG_DIGITS = 12;
const VERSION_ID = /^[0-9a-z]{9}-[0-9a-f]{8}$/;
const ASSET_ID = /^[0-9a-f]{64}\.[a-z0-9]{2,4}$/;

/** The entry name of a record. */
export function entryName(record: BackupRecord): string {
  switch (record.kind) {
    case 'snapshot':
      return `rooms/${record.room}/snapshot`;
    case 'log':
      return `rooms/${record.room}/log/${String(record.index).padStart(LOG_DIGITS, '0')}`;
    case 'version-info':
      return `rooms/${record.room}/versions/${record.id}.json`;
    case 'version-state':
      return `rooms/${record.room}/versions/${record.id}.state`;
    case 'asset':
      return `assets/${record.room}/${record.id}`;
    case 'catalog-entry':
      return `catalog/entries/${record.id}.json`;
    case 'thumbnail':
      return `catalog/thumbnails/${record.id}`;
    case 'tombstone':
      return `catalog/tombstones/${record.id}.json`;
    case 'access':
      return `people/access/${record.id}.json`;
    case 'profile':
      return `people/profiles/${record.id}.json`;
  }
}

/**
 * The record an entry name and its bytes stand for, or null for a name this format does not have (a restore refuses
 * such an archive: ids are checked as the server checks them, so no name can reach outside the target).
 */
export function parseEntry(name: string, bytes: Uint8Array): BackupRecord | null {
  const parts = name.split('/');
  if (parts[0] === 'rooms' && isValidRoomId(parts[1])) {
    const room = parts[1];
    if (parts.length === 3 && parts[2] === 'snapshot') return { kind: 'snapshot', room, bytes };
    if (parts.length === 4 && parts[2] === 'log' && /^\d{12}$/.test(parts[3])) return { kind: 'log', room, index: Number(parts[3]), bytes };
    if (parts.length === 4 && parts[2] === 'versions') {
      const match = /^(.+)\.(json|state)$/.exec(parts[3]);
      if (match && VERSION_ID.test(match[1])) {
        return { kind: match[2] === 'json' ? 'version-info' : 'version-state', room, id: match[1], bytes };
      }
    }
    return null;
  }
  if (parts.length === 3 && parts[0] === 'assets' && isValidRoomId(parts[1]) && ASSET_ID.test(parts[2])) {
    return { kind: 'asset', room: parts[1], id: parts[2], bytes };
  }
  if (parts.length === 3 && parts[0] === 'catalog') {
    const id = parts[2].replace(/\.json$/, '');
    if (!isValidRoomId(id)) return null;
    if (parts[1] === 'entries' && parts[2].endsWith('.json')) return { kind: 'catalog-entry', id, bytes };
    if (parts[1] === 'tombstones' && parts[2].endsWith('.json')) return { kind: 'tombstone', id, bytes };
    if (parts[1] === 'thumbnails' && parts[2] === id) return { kind: 'thumbnail', id, bytes };
  }
  if (parts.length === 3 && parts[0] === 'people' && parts[2].endsWith('.json')) {
    const id = parts[2].slice(0, -'.json'.length);
    if (parts[1] === 'access' && isValidRoomId(id)) return { kind: 'access', id, bytes };
    // Only an email in the canonical form the stores key profiles by (no slash, so no path either).
    if (parts[1] === 'profiles' && normalizeEmail(id) === id) return { kind: 'profile', id, bytes };
  }
  return null;
}

/** True for an asset file name (`<sha256>.<ext>`), as FileAssetStore names them. */
export function isAssetId(name: string): boolean {
  return ASSET_ID.test(name);
}

/** Adds a record to the counts (rooms are counted by the caller, which sees them change). */
export function countRecord(counts: ArchiveCounts, kind: RecordKind): void {
  const field: Record<RecordKind, keyof ArchiveCounts | null> = {
    snapshot: 'snapshots',
    log: 'logEntries',
    'version-info': 'versions',
    'version-state': null,
    asset: 'assets',
    'catalog-entry': 'catalogEntries',
    thumbnail: 'thumbnails',
    tombstone: 'tombstones',
    access: 'accessRecords',
    profile: 'profiles',
  };
  const key = field[kind];
  if (key) counts[key] = (counts[key] ?? 0) + 1;
}

/** A backup or restore that cannot go on; the message says why and what to do. Never a bug in Scrawl. */
export class BackupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackupError';
  }
}

/** JSON as bytes. */
export const encodeJson = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
/** Bytes as JSON. */
export const decodeJson = <T>(bytes: Uint8Array): T => JSON.parse(new TextDecoder().decode(bytes)) as T;
