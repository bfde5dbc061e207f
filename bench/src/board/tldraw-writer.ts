/**
 * Child process of the board scenario: writes the big board (board-records.ts) into a tldraw sync room through
 * tldraw's own client, as a tldraw app would: a tldraw store with the default shapes and bindings (`createTLStore`
 * from tldraw) kept in sync by `TLSyncClient` (@tldraw/sync-core) over a `ws` socket (tldraw-socket.ts). Once the
 * client has loaded the room, the records are put into the store as a user's edit, the client pushes them, and the
 * child polls the anchor's `GET /rooms/:room/count` until the room holds every record. Prints one JSON line
 * `{"records": N, "writeMs": ..., "bytesSent": ...}` and exits.
 *
 * A child because tldraw's client paces its pushes with requestAnimationFrame, which Node lacks: the stand-in
 * below (a 16 ms timer) would otherwise be installed in the bench process and every server it starts.
 *
 * Usage: node bench/src/board/tldraw-writer.ts <port> <room> <shapes>
 */
import { TLSyncClient } from '@tldraw/sync-core';
import { atom, createTLStore, defaultBindingUtils, defaultShapeUtils, type TLRecord, type TLStore } from 'tldraw';
import { boardRecords } from './board-records.ts';
import { WsTLSocket } from './tldraw-socket.ts';

const [port, room, shapes] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4])];
if (!Number.isInteger(port) || !room || !Number.isInteger(shapes)) {
  console.error('usage: tldraw-writer.ts <port> <room> <shapes>');
  process.exit(2);
}

// One frame every 16 ms, as a browser's would be; the handle is the timer itself.
const frames = globalThis as { requestAnimationFrame?: (callback: (now: number) => void) => unknown; cancelAnimationFrame?: (handle: unknown) => void };
frames.requestAnimationFrame ??= (callback) => setTimeout(() => callback(performance.now()), 16);
frames.cancelAnimationFrame ??= (handle) => clearTimeout(handle as NodeJS.Timeout);

const began = performance.now();
const { records } = boardRecords(shapes);
const store: TLStore = createTLStore({ shapeUtils: defaultShapeUtils, bindingUtils: defaultBindingUtils });
const socket = new WsTLSocket(`ws://127.0.0.1:${port}/connect/${encodeURIComponent(room)}?sessionId=writer-${process.pid}`);

const loaded = new Promise<void>((resolve, reject) => {
  const client = new TLSyncClient<TLRecord, TLStore>({
    store,
    socket,
    presence: atom('bench.writer.presence', null),
    onLoad: () => resolve(),
    onSyncError: (reason) => reject(new Error(`tldraw sync refused the writer: ${reason}`)),
  });
  process.once('exit', () => client.close());
});
await withDeadline(loaded, 30_000, 'tldraw sync client load');

// The room starts with tldraw's default document and page; the board's own are the same ids, so they update them.
store.put(records);

/** Records the anchor's room holds (document records only: no presence). */
async function roomCount(): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/rooms/${encodeURIComponent(room)}/count`);
  return ((await response.json()) as { records: number }).records;
}

const deadline = performance.now() + 120_000;
let held = 0;
while ((held = await roomCount()) < records.length) {
  if (performance.now() > deadline) throw new Error(`the tldraw sync room holds ${held} of ${records.length} records after 120 s`);
  if (socket.connectionStatus !== 'online') throw new Error(`the writer's socket went ${socket.connectionStatus} with ${held} of ${records.length} records in the room`);
  await new Promise((resolve) => setTimeout(resolve, 50));
}
console.log(JSON.stringify({ records: held, writeMs: performance.now() - began, bytesSent: socket.bytesSent }));
// tldraw's client keeps ping and health-check intervals: leave explicitly once the room holds the board.
process.exit(0);

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms).unref())]);
}
