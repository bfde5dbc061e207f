/**
 * Stroke-point latency, writer to reader: the writer stamps each point as it puts it into its store; every reader
 * notices the point when it lands in its own store and takes the difference.
 *
 * The stamps live in a SharedArrayBuffer that every worker thread of the bench maps, indexed by (writer, stroke,
 * point), so nothing rides in the documents (a timestamp in the shape would change the bytes being measured). Times
 * are `performance.timeOrigin + performance.now()`: threads of one process each have their own `performance.now()`
 * origin, and this sum puts them on one clock.
 *
 * "Lands in the store" is read from the store's after-create/after-change side effects, which run as the record is
 * put, before tldraw's listeners hear of it on the next frame: the moment the remote change is in the reader's
 * store, whatever batching each product did on the way (Scrawl: one Yjs transaction per writer frame; tldraw sync:
 * at most 30 pushes and 30 rebases a second) is inside the figure.
 */
import type { TLDrawShape, TLRecord, TLStore } from '@tldraw/tlschema';
import { MAX_POINTS_PER_STROKE } from './schedule.ts';

/** Milliseconds on a clock every thread of this process shares. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The id of stroke `stroke` by client `client`: readers parse the writer out of it. */
export function strokeShapeId(client: number, stroke: number): TLDrawShape['id'] {
  return `shape:crowd-c${client}-s${stroke}` as TLDrawShape['id'];
}

const STROKE_ID = /^shape:crowd-c(\d+)-s(\d+)$/;

/**
 * Points in a draw shape's path, without decoding it: a 2-D path (mouse input, `dim: 2`) is base64 of one 8-byte
 * Float32 point then 4-byte Float16 deltas.
 */
export function pointCount(shape: TLDrawShape): number {
  let points = 0;
  for (const segment of shape.props.segments) {
    const path = segment.path;
    const padding = path.endsWith('==') ? 2 : path.endsWith('=') ? 1 : 0;
    const bytes = (path.length * 3) / 4 - padding;
    points += bytes === 0 ? 0 : (bytes - 4) / 4;
  }
  return points;
}

/** The writers' stamps: one Float64 per (client, stroke, point), in shared memory. */
export class SendTimes {
  readonly buffer: SharedArrayBuffer;
  private readonly times: Float64Array;
  private readonly strokesPerClient: number;

  /** Allocates the table (pass `buffer` to map one allocated by another thread). */
  constructor(clients: number, strokesPerClient: number, buffer?: SharedArrayBuffer) {
    this.strokesPerClient = strokesPerClient;
    this.buffer = buffer ?? new SharedArrayBuffer(clients * strokesPerClient * MAX_POINTS_PER_STROKE * 8);
    this.times = new Float64Array(this.buffer);
  }

  private index(client: number, stroke: number, point: number): number {
    return (client * this.strokesPerClient + stroke) * MAX_POINTS_PER_STROKE + point;
  }

  stamp(client: number, stroke: number, point: number, atMs: number): void {
    this.times[this.index(client, stroke, point)] = atMs;
  }

  get(client: number, stroke: number, point: number): number {
    return this.times[this.index(client, stroke, point)];
  }
}

/** A growable list of float samples (latencies in ms) that can be handed to another thread without copying. */
export class Samples {
  private data = new Float32Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  /** The samples, trimmed; transfer its buffer to post it. */
  take(): Float32Array {
    return this.data.slice(0, this.length);
  }
}

/** What one reader saw. */
export interface ArrivalWatch {
  /** Stroke points by others that reached this store (each counted once, whether or not its latency is recorded). */
  delivered: number;
  /** Points that arrived without a stamp (should stay 0: a stamp is written before the point is put). */
  unstamped: number;
  stop(): void;
}

/**
 * Watches `store` (client `reader`'s) for stroke points written by the other clients, and records each point's
 * latency into `samples` unless it was stamped before `recordFromMs` (the warm-up). A change that brings several
 * points at once (a batched push, a squashed update) delivers each of them at that moment.
 */
export function watchArrivals(store: TLStore, reader: number, sendTimes: SendTimes, samples: Samples, recordFromMs: number): ArrivalWatch {
  const seen = new Map<string, number>();
  const watch: ArrivalWatch = { delivered: 0, unstamped: 0, stop: () => {} };
  const onShape = (record: TLRecord) => {
    if (record.typeName !== 'shape' || record.type !== 'draw') return;
    const match = STROKE_ID.exec(record.id);
    if (!match) return;
    const writer = Number(match[1]);
    if (writer === reader) return;
    const points = pointCount(record as TLDrawShape);
    const before = seen.get(record.id) ?? 0;
    if (points <= before) return;
    seen.set(record.id, points);
    const now = epochNow();
    const stroke = Number(match[2]);
    for (let point = before; point < points; point++) {
      watch.delivered++;
      const sentAt = sendTimes.get(writer, stroke, point);
      if (sentAt === 0) watch.unstamped++;
      else if (sentAt >= recordFromMs) samples.push(now - sentAt);
    }
  };
  const stopCreate = store.sideEffects.registerAfterCreateHandler('shape', onShape);
  const stopChange = store.sideEffects.registerAfterChangeHandler('shape', (_before, after) => onShape(after));
  watch.stop = () => {
    stopCreate();
    stopChange();
  };
  return watch;
}
