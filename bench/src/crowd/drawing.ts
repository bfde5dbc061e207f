/**
 * One person at the board, acting on a tldraw store the way tldraw's editor would: freehand strokes through the draw
 * tool's record changes, and a pointer whose position feeds the presence both products broadcast.
 *
 * The record changes follow tldraw's draw tool (tldraw/src/lib/shapes/draw/toolStates/Drawing.ts): the pen going down
 * creates a `draw` shape at the page point with one 2-D point (mouse input drops pressure: `dim: 2`); each pointer
 * move re-encodes the whole point list into the segment's base64 path and updates the shape; the pen going up sets
 * `isComplete`. The store is the product's own (Scrawl's headless store bound to a Y.Doc, or tldraw sync's store), so
 * everything after the store (binding, provider, TLSyncClient) is each product's real code.
 */
import {
  b64Vecs,
  TLINSTANCE_ID,
  TLPOINTER_ID,
  type TLDrawShape,
  type TLPageId,
  type TLPointer,
  type TLStore,
} from '@tldraw/tlschema';
import { getIndexAbove, type IndexKey } from '@tldraw/utils';
import { epochNow, SendTimes, strokeShapeId } from './latency.ts';
import { MOVES_PER_S, penPath, planStrokes, type StrokePlan } from './schedule.ts';

/** Options of {@link Artist}. */
export interface ArtistOptions {
  store: TLStore;
  /** This client's number (0-based): picks its strokes and names its shapes. */
  client: number;
  seed: number;
  durationMs: number;
  sendTimes: SendTimes;
}

/** Draws one client's planned strokes and moves its cursor; driven by the frame clock's input phase. */
export class Artist {
  readonly plans: StrokePlan[];
  /** Points put into the store (first points included), for bytes per point. */
  pointsWritten = 0;
  private readonly store: TLStore;
  private readonly client: number;
  private readonly seed: number;
  private readonly sendTimes: SendTimes;
  private stroke = 0;
  private points: Array<{ x: number; y: number }> = [];
  private nextPoint: (() => { x: number; y: number }) | undefined;
  private index: IndexKey = 'a1' as IndexKey;
  private cursor = { x: 0, y: 0 };

  constructor(options: ArtistOptions) {
    this.store = options.store;
    this.client = options.client;
    this.seed = options.seed;
    this.sendTimes = options.sendTimes;
    this.plans = planStrokes(options.seed, options.client, options.durationMs);
    const first = this.plans[0];
    this.cursor = first ? { x: first.originX, y: first.originY } : { x: 0, y: 0 };
  }

  /** Whether every planned stroke has been drawn and finished. */
  get done(): boolean {
    return this.stroke >= this.plans.length;
  }

  /**
   * One frame's input at `elapsedMs` since the start: puts the pen down, moves it, or lifts it, as the plan says.
   * All moves due by now go into one update (a browser coalesces the pointer events of a late frame the same way).
   */
  frame(elapsedMs: number): void {
    const plan = this.plans[this.stroke];
    if (plan === undefined || elapsedMs < plan.startMs) return;
    const id = strokeShapeId(this.client, this.stroke);
    const page = this.pageId();
    if (this.nextPoint === undefined) {
      this.nextPoint = penPath(this.seed, this.client, this.stroke);
      this.points = [this.nextPoint()];
      this.index = getIndexAbove(this.index);
      this.stamp(0);
      this.store.put([
        this.store.schema.types.shape.create({
          id,
          type: 'draw',
          parentId: page,
          index: this.index,
          x: plan.originX,
          y: plan.originY,
          props: {
            segments: [{ type: 'free', path: b64Vecs.encodePoints(this.points, 2), dim: 2 }],
            color: 'black',
            fill: 'none',
            dash: 'draw',
            size: 'm',
            isComplete: false,
            isClosed: false,
            isPen: false,
            scale: 1,
            scaleX: 1,
            scaleY: 1,
          },
        } as TLDrawShape),
      ]);
      return;
    }
    const due = Math.min(plan.moves, Math.floor(((elapsedMs - plan.startMs) * MOVES_PER_S) / 1000));
    const before = this.points.length;
    while (this.points.length - 1 < due) this.points.push(this.nextPoint());
    if (this.points.length > before) {
      for (let point = before; point < this.points.length; point++) this.stamp(point);
      const last = this.points[this.points.length - 1];
      this.cursor = { x: plan.originX + last.x, y: plan.originY + last.y };
      const shape = this.store.get(id) as TLDrawShape;
      const path = b64Vecs.encodePoints(this.points, 2);
      this.store.put([{ ...shape, props: { ...shape.props, segments: [{ ...shape.props.segments[0], path }] } }]);
    }
    if (this.points.length - 1 >= plan.moves) {
      const shape = this.store.get(id) as TLDrawShape;
      this.store.put([{ ...shape, props: { ...shape.props, isComplete: true } }]);
      this.stroke++;
      this.nextPoint = undefined;
    }
  }

  /** Moves the pointer record to where the pen is (or drifts it between strokes): tldraw derives presence from it. */
  moveCursor(): void {
    if (this.nextPoint === undefined) {
      this.cursor = { x: this.cursor.x + 3, y: this.cursor.y + 1 };
    }
    const pointer = this.store.get(TLPOINTER_ID) as TLPointer | undefined;
    if (pointer === undefined) return;
    this.store.put([{ ...pointer, x: this.cursor.x, y: this.cursor.y, lastActivityTimestamp: Date.now() }]);
  }

  private stamp(point: number): void {
    this.pointsWritten++;
    this.sendTimes.stamp(this.client, this.stroke, point, epochNow());
  }

  private pageId(): TLPageId {
    const instance = this.store.get(TLINSTANCE_ID);
    if (instance === undefined) throw new Error('the store has no instance record: call ensureStoreIsUsable() after loading');
    return instance.currentPageId;
  }
}

/** The number of points each stroke of `client` ends with, by shape id: what a settled reader must hold. */
export function finalPoints(seed: number, client: number, durationMs: number): Map<string, number> {
  return new Map(planStrokes(seed, client, durationMs).map((plan, stroke) => [strokeShapeId(client, stroke), plan.moves + 1]));
}
