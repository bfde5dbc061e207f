/**
 * Final convergence: once the crowd has stopped and every stroke has arrived everywhere, every client's store must
 * hold the same shapes. Each store's shape records are reduced to a digest (records sorted by id, keys sorted, so a
 * record decoded from Yjs and the one its writer built compare equal), and the bench compares the digests.
 */
import { createHash } from 'node:crypto';
import type { TLDrawShape, TLRecord, TLStore } from '@tldraw/tlschema';
import { pointCount } from './latency.ts';

/** JSON with object keys in sorted order: the same record serializes the same way whatever order built it. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${stableJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A store's shapes: how many, and a SHA-1 over all of them. */
export interface ShapeDigest {
  shapes: number;
  sha1: string;
}

/** Digest of every shape record in `store`. */
export function shapeDigest(store: TLStore): ShapeDigest {
  const shapes = store
    .allRecords()
    .filter((record: TLRecord) => record.typeName === 'shape')
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const hash = createHash('sha1');
  for (const shape of shapes) hash.update(stableJson(shape)).update('\n');
  return { shapes: shapes.length, sha1: hash.digest('hex') };
}

/**
 * Strokes of `expected` (shape id -> final point count) that `store` does not hold finished yet: missing, short of
 * points, or not marked complete. Zero for every client means the run has settled.
 */
export function unsettledStrokes(store: TLStore, expected: ReadonlyMap<string, number>): number {
  let unsettled = 0;
  for (const [id, points] of expected) {
    const shape = store.get(id as TLDrawShape['id']) as TLDrawShape | undefined;
    if (shape === undefined || !shape.props.isComplete || pointCount(shape) !== points) unsettled++;
  }
  return unsettled;
}
