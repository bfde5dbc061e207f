/**
 * The crowd's seeded drawing plan: when each of the clients draws, for how long, and where its pen goes.
 *
 * Every number comes from a small PRNG seeded by (run seed, client, stroke), so the same seed gives both products the
 * same strokes at the same moments, and any client can recompute any other client's plan (readers use that to know
 * how many points every stroke will end with, for convergence) without a message between threads.
 */

/** Pointer moves per second while the pen is down: a 60 Hz display, one move per frame. */
export const MOVES_PER_S = 60;
/** A stroke lasts 1-2 s (drawn uniformly in that range). */
export const STROKE_MS = [1_000, 2_000] as const;
/** The pen rests 1-3 s between strokes. */
export const PAUSE_MS = [1_000, 3_000] as const;
/** Most points a planned stroke can have: its first point plus one per move. */
export const MAX_POINTS_PER_STROKE = 1 + Math.ceil((STROKE_MS[1] * MOVES_PER_S) / 1000);

/** One planned stroke, in ms from the common start. */
export interface StrokePlan {
  startMs: number;
  /** Pointer moves after the first point: the finished shape has moves + 1 points. */
  moves: number;
  /** Where the pen goes down, in page coordinates. */
  originX: number;
  originY: number;
}

/** mulberry32: tiny, fast and good enough to spread strokes; not for anything that needs real randomness. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A seed for one (run, client, stroke) triple, so each stream is independent of how many others were drawn. */
export function mix(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x01000193);
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995);
  }
  return (h ^ (h >>> 15)) >>> 0;
}

const between = (random: () => number, [low, high]: readonly [number, number]) => low + random() * (high - low);

/**
 * The strokes of one client that start and finish within `durationMs`. The first one starts after a random pause,
 * so fifty clients do not put their pens down on the same frame.
 */
export function planStrokes(seed: number, client: number, durationMs: number): StrokePlan[] {
  const random = prng(mix(seed, client));
  const plans: StrokePlan[] = [];
  let at = between(random, [0, PAUSE_MS[1]]);
  for (;;) {
    const lengthMs = between(random, STROKE_MS);
    const moves = Math.round((lengthMs * MOVES_PER_S) / 1000);
    if (at + (moves * 1000) / MOVES_PER_S > durationMs) return plans;
    // Each client draws in its own region of a 10 x 5 grid of 400 px cells, as people spread over a board.
    const originX = (client % 10) * 400 + between(random, [50, 250]);
    const originY = Math.floor(client / 10) * 400 + between(random, [50, 250]);
    plans.push({ startMs: at, moves, originX, originY });
    at += (moves * 1000) / MOVES_PER_S + between(random, PAUSE_MS);
  }
}

/**
 * The pen's path for one stroke, relative to its origin: a hand-like wander (heading drifts a little each move,
 * steps of 2-6 px), one point per call. The first call gives the origin itself (0, 0).
 */
export function penPath(seed: number, client: number, stroke: number): () => { x: number; y: number } {
  const random = prng(mix(seed, client, stroke + 1));
  let x = 0;
  let y = 0;
  let heading = random() * 2 * Math.PI;
  let first = true;
  return () => {
    if (first) {
      first = false;
      return { x, y };
    }
    heading += (random() - 0.5) * 0.6;
    const step = 2 + random() * 4;
    x += Math.cos(heading) * step;
    y += Math.sin(heading) * step;
    // tldraw's draw tool stores points rounded to 2 decimals (Vec.toFixed).
    return { x: Math.round(x * 100) / 100, y: Math.round(y * 100) / 100 };
  };
}
