/**
 * `node --expose-gc heap-child.ts <DATA_DIR>`: the heap an embedded catalog (IndexedCatalog: entries in a Map and a
 * MiniSearch index) takes for the boards in a LevelDB store, as the server holds it after a start. Run in its own
 * process so that nothing else the bench allocated (the corpus, clients) is on the heap being measured, and with
 * --expose-gc so that both readings are taken after a full collection. Prints one JSON line.
 */
import { LevelDbStore } from '../../../server/src/persistence/leveldb-store.ts';
import { createLevelDbCatalog } from '../../../server/src/workspace/leveldb-catalog.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

/** Heap used after collecting everything collectable (twice: the first pass can leave finalizable objects). */
function heapAfterGc(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

const store = new LevelDbStore({ directory: process.argv[2] });
await store.open();
const catalog = createLevelDbCatalog(store);
// Every entry's JSON, summed, for comparison with what the same entries take on the heap.
let jsonBytes = 0;
for await (const [, value] of store.sideTable('catalog').entries()) jsonBytes += value.byteLength;
const empty = heapAfterGc();
const t0 = performance.now();
await catalog.open();
const openMs = performance.now() - t0;
const full = heapAfterGc();
const boards = (await catalog.knownIds()).size;
console.log(JSON.stringify({ boards, emptyHeap: empty, fullHeap: full, jsonBytes, openMs }));
await store.close();
