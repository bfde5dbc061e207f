/**
 * A large LevelDB store for the backup scenario, written through the store's own API as a running server leaves it:
 * per room a snapshot (an append, then `compactTo`, the server's live compaction), a log of later updates not yet
 * compacted, some saved versions, a catalog entry (some with a thumbnail) and, for some rooms, uploaded asset files.
 *
 * Documents follow docs/document-schema.md: `records` holds a Y.Map per record with `props` nested; draw shapes keep
 * their segments as a Y.Array of Y.Maps whose `path` is a Y.Text of base64 (tldraw's point encoding), which is where
 * real boards keep most of their bytes. Path bytes come from a seeded generator, so they compress about as little as
 * real Float16 deltas do and every run writes the same store. Room sizes cycle through 64 KiB .. 4 MiB (a few big
 * boards hold much of the total, as on a real server).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as Y from 'yjs';
import type { VersionInfo } from '../../../server/src/persistence/doc-store.ts';
import type { LevelDbStore } from '../../../server/src/persistence/leveldb-store.ts';
import { createLevelDbCatalog } from '../../../server/src/workspace/leveldb-catalog.ts';

/** Snapshot sizes rooms cycle through (KiB): mean ~640 KiB. */
const ROOM_KIB = [64, 128, 256, 96, 512, 192, 1024, 160, 320, 2048, 128, 4096, 256, 384, 96, 768];
/** Every room gets this many log entries after its snapshot, cycling (the server compacts at 500). */
const LOG_ENTRIES = [12, 40, 3, 90, 25, 160, 8, 60];
/** Every VERSION_EVERY-th room has two saved versions (an automatic one and a labelled one). */
const VERSION_EVERY = 4;
/** Every ASSET_EVERY-th room has uploaded images, ASSET_KIB each. */
const ASSET_EVERY = 10;
const ASSET_KIB = [48, 180, 700];
/** Every THUMBNAIL_EVERY-th room has a thumbnail (~20 KB webp). */
const THUMBNAIL_EVERY = 2;
/** Rooms written at once: their appends meet in the store's group commits, as many clients' would. */
const PARALLEL_ROOMS = 8;

/** What {@link generateStore} wrote. */
export interface GeneratedStore {
  rooms: number;
  /** Stored Yjs bytes: snapshots, log entries and version states. */
  yjsBytes: number;
  snapshotBytes: number;
  logEntries: number;
  logBytes: number;
  versions: number;
  versionBytes: number;
  assets: number;
  assetBytes: number;
  thumbnails: number;
  catalogEntries: number;
  /** Wall time of the generation, ms. */
  ms: number;
}

/** xorshift32: a tiny seeded generator (fills path bytes; Math.random would make every run's store different). */
function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function randomBytes(next: () => number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i += 4) bytes.writeUInt32LE(next(), Math.min(i, length - 4));
  return bytes;
}

/** One draw shape as the web app stores it (docs/document-schema.md), with `segments` paths of ~`pathBytes`. */
function drawShape(next: () => number, index: number, pathBytes: number): Y.Map<unknown> {
  const shape = new Y.Map<unknown>();
  for (const [key, value] of Object.entries({
    id: `shape:d${index}`, typeName: 'shape', type: 'draw', parentId: 'page:page', index: `a${index + 1}`,
    x: next() % 4000, y: next() % 3000, rotation: 0, isLocked: false, opacity: 1, meta: {},
  })) shape.set(key, value);
  const props = new Y.Map<unknown>();
  shape.set('props', props);
  for (const [key, value] of Object.entries({ color: 'black', fill: 'none', dash: 'draw', size: 'm', isComplete: true, isClosed: false, isPen: false, scale: 1 })) {
    props.set(key, value);
  }
  const segments = new Y.Array<Y.Map<unknown>>();
  props.set('segments', segments);
  const segment = new Y.Map<unknown>();
  segments.push([segment]);
  segment.set('type', 'free');
  // A stroke's base64 path: 12 bytes of first point, then 6-byte Float16 deltas (random here: they barely compress).
  segment.set('path', new Y.Text(randomBytes(next, Math.ceil((pathBytes * 3) / 4)).toString('base64')));
  return shape;
}

/** The update that is the whole state of a document of about `targetBytes`, drawn by a first user. */
function documentState(seed: number, targetBytes: number): Uint8Array {
  const next = seeded(seed);
  const doc = new Y.Doc();
  doc.clientID = (seed * 7919 + 1) >>> 0;
  const records = doc.getMap<Y.Map<unknown>>('records');
  doc.transact(() => {
    doc.getMap('meta').set('formatVersion', 1);
    doc.getMap('meta').set('title', `Backup bench board ${seed}`);
    const page = new Y.Map<unknown>();
    records.set('page:page', page);
    for (const [key, value] of Object.entries({ id: 'page:page', typeName: 'page', name: 'Page 1', index: 'a1', meta: {} })) page.set(key, value);
  });
  // Shapes of ~1.2 KB (a stroke of ~130 points) in transactions of 50, as a session of drawing would store them.
  let shapes = 0;
  let estimate = 200;
  while (estimate < targetBytes) {
    doc.transact(() => {
      for (let i = 0; i < 50 && estimate < targetBytes; i++, shapes++) {
        const pathBytes = 600 + (next() % 1200);
        records.set(`shape:d${shapes}`, drawShape(next, shapes, pathBytes));
        estimate += pathBytes + 260;
      }
    });
  }
  const state = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return state;
}

/**
 * Snapshots are drawn from SNAPSHOT_VARIANTS documents per size, built once: building each room's own would take most
 * of the scenario's time on a shared 2-core machine. Neither LevelDB (which compresses within 4 KiB blocks) nor the
 * backup (which reads, hashes and writes every record) gains anything from equal bytes in different rooms.
 */
const SNAPSHOT_VARIANTS = 4;
const states = new Map<number, Uint8Array>();
function snapshotOf(i: number): Uint8Array {
  const sizeClass = i % ROOM_KIB.length;
  const key = sizeClass * SNAPSHOT_VARIANTS + (Math.floor(i / ROOM_KIB.length) % SNAPSHOT_VARIANTS);
  let state = states.get(key);
  if (!state) states.set(key, (state = documentState(key + 1, ROOM_KIB[sizeClass] * 1024)));
  return state;
}

/**
 * A later edit of the room by a second user (its own document, so no room's whole state is held): a new stroke
 * (~1 KB) every fourth edit, otherwise a small change of the board's meta (tens of bytes).
 */
function edit(doc: Y.Doc, next: () => number, n: number): Uint8Array {
  const before = Y.encodeStateVector(doc);
  if (n % 4 === 3) doc.getMap<Y.Map<unknown>>('records').set(`shape:e${n}`, drawShape(next, 100_000 + n, 500 + (next() % 900)));
  else doc.getMap('meta').set('lastEdit', next());
  return Y.encodeStateAsUpdate(doc, before);
}

/** The room id of room `i`. */
export const roomId = (i: number) => `backup-bench-${i.toString().padStart(5, '0')}`;

/**
 * Writes rooms into `store` (open) until their stored Yjs bytes reach `targetBytes`, and asset files under
 * `dataDir/assets` (FileAssetStore's layout). `onProgress` hears the running total now and then.
 */
export async function generateStore(store: LevelDbStore, dataDir: string, targetBytes: number, onProgress?: (done: GeneratedStore) => void): Promise<GeneratedStore> {
  const started = performance.now();
  const out: GeneratedStore = {
    rooms: 0, yjsBytes: 0, snapshotBytes: 0, logEntries: 0, logBytes: 0, versions: 0, versionBytes: 0,
    assets: 0, assetBytes: 0, thumbnails: 0, catalogEntries: 0, ms: 0,
  };
  const catalog = createLevelDbCatalog(store);
  await catalog.open();
  let reported = 0;
  const writeRoom = async (i: number) => {
    const room = roomId(i);
    const next = seeded(i + 12345);
    const state = snapshotOf(i);
    const doc = new Y.Doc();
    doc.clientID = (i * 104729 + 7) >>> 0;
    // As the server leaves a room: the first client's state appended, then compacted into the snapshot.
    await store.append(room, state);
    await store.compactTo(room, state);
    out.snapshotBytes += state.byteLength;
    out.yjsBytes += state.byteLength;
    if (i % VERSION_EVERY === 0) {
      // An automatic version of the state before later edits, and a labelled one of the current state (below).
      const time = Date.UTC(2026, 10, 1) + i * 60_000;
      const auto: VersionInfo = { id: `${time.toString(36).padStart(9, '0')}-${(i * 2).toString(16).padStart(8, '0')}`, label: '', createdAt: new Date(time).toISOString(), bytes: state.byteLength, auto: true };
      await store.saveVersion(room, auto, state);
      out.versions += 1;
      out.versionBytes += state.byteLength;
      out.yjsBytes += state.byteLength;
    }
    const entries = LOG_ENTRIES[i % LOG_ENTRIES.length];
    const appends: Promise<void>[] = [];
    for (let n = 0; n < entries; n++) {
      const update = edit(doc, next, n);
      appends.push(store.append(room, update));
      out.logEntries += 1;
      out.logBytes += update.byteLength;
      out.yjsBytes += update.byteLength;
    }
    await Promise.all(appends);
    if (i % VERSION_EVERY === 0) {
      const current = Y.mergeUpdates([state, Y.encodeStateAsUpdate(doc)]);
      const time = Date.UTC(2026, 10, 2) + i * 60_000;
      const labelled: VersionInfo = { id: `${time.toString(36).padStart(9, '0')}-${(i * 2 + 1).toString(16).padStart(8, '0')}`, label: `Before review ${i}`, createdAt: new Date(time).toISOString(), bytes: current.byteLength, auto: false };
      await store.saveVersion(room, labelled, current);
      out.versions += 1;
      out.versionBytes += current.byteLength;
      out.yjsBytes += current.byteLength;
    }
    const assets: string[] = [];
    if (i % ASSET_EVERY === 0) {
      const dir = join(dataDir, 'assets', room);
      mkdirSync(dir, { recursive: true });
      for (const kib of ASSET_KIB) {
        const bytes = randomBytes(next, kib * 1024);
        const id = `${createHash('sha256').update(bytes).digest('hex')}.png`;
        writeFileSync(join(dir, id), bytes);
        assets.push(`${room}/${id}`);
        out.assets += 1;
        out.assetBytes += bytes.byteLength;
      }
    }
    const derived = {
      title: `Backup bench board ${i + 1}`, shapeCount: Math.round(state.byteLength / 1500) + doc.getMap('records').size, bytes: state.byteLength, excerpt: '',
      searchText: `backup bench board ${i + 1}`, assets, editors: ['bench'], updatedAt: new Date(Date.UTC(2026, 10, 3) + i * 1000).toISOString(),
    };
    await catalog.record(room, derived);
    out.catalogEntries += 1;
    if (i % THUMBNAIL_EVERY === 0) {
      await catalog.putThumbnail(room, { type: 'image/webp', bytes: randomBytes(next, 16 * 1024 + (next() % 8192)) });
      out.thumbnails += 1;
    }
    doc.destroy();
    out.rooms += 1;
  };
  for (let from = 0; out.yjsBytes < targetBytes; from += PARALLEL_ROOMS) {
    // Documents are built one after another (CPU), their writes overlap (the store's worker thread).
    const writes: Promise<void>[] = [];
    for (let i = from; i < from + PARALLEL_ROOMS && out.yjsBytes < targetBytes; i++) writes.push(writeRoom(i));
    await Promise.all(writes);
    if (onProgress && out.yjsBytes - reported > 128 * 1024 * 1024) {
      reported = out.yjsBytes;
      onProgress({ ...out, ms: performance.now() - started });
    }
  }
  await catalog.close();
  states.clear();
  out.ms = performance.now() - started;
  return out;
}
