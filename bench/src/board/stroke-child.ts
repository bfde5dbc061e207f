/**
 * Child process of the stroke scenario: runs the web app's own `measureStrokeCost(moves)` (a real tldraw store bound
 * to a Y.Doc through the app's binding, web/src/board/strokeCost.ts) and prints one JSON line per stroke length.
 *
 * A child, started with NODE_ENV=test as web's unit tests are, because tldraw's store schedules its effects with
 * requestAnimationFrame unless NODE_ENV is "test", and Node has no requestAnimationFrame. Setting NODE_ENV in the
 * bench process itself would leak into every server it starts. The module is imported by a computed URL so that
 * `tsc -p bench` does not type-check the web app (which needs the DOM library) as part of the bench.
 *
 * Usage: NODE_ENV=test node bench/src/board/stroke-child.ts 60 300 [keys:200]
 * A `keys:N` argument runs `measureKeystrokeCost(N)` (web/src/board/keystrokeCost.ts) instead: N keys typed into a
 * sticky note's label, one line `{"keystrokes": N, "keystrokeBytes": [...], ...}`.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../servers.ts';

interface StrokeCost {
  moves: number;
  updateBytes: number[];
  medianBytes: number;
  maxBytes: number;
  createBytes: number;
}

const moduleUrl = pathToFileURL(join(repoRoot, 'web', 'src', 'board', 'strokeCost.ts')).href;
const { measureStrokeCost } = (await import(moduleUrl)) as { measureStrokeCost(moves: number): StrokeCost };
const keystrokeUrl = pathToFileURL(join(repoRoot, 'web', 'src', 'board', 'keystrokeCost.ts')).href;
const { measureKeystrokeCost } = (await import(keystrokeUrl)) as { measureKeystrokeCost(keys: number): unknown };

for (const arg of process.argv.slice(2)) {
  const cost = arg.startsWith('keys:') ? measureKeystrokeCost(Number(arg.slice(5))) : measureStrokeCost(Number(arg));
  console.log(JSON.stringify(cost));
}
