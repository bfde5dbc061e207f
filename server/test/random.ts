/**
 * A seeded pseudo-random generator (mulberry32) for randomized tests: the seed comes from SEED or the clock, and the
 * test prints it so a failure can be replayed exactly and pinned as a named regression test.
 */
export function seededRandom(seedInput = process.env.SEED): { seed: number; next: () => number } {
  const seed = seedInput ? Number(seedInput) : Date.now() % 2 ** 31;
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next };
}
