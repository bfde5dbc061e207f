/**
 * The big board written once into each product through that product's own client, each call returning only when
 * the server provably holds every record:
 * - Scrawl: the Y.Doc of board-doc.ts sent by y-websocket's WebsocketProvider on `/yjs/:room`; y-websocket has no
 *   acknowledgement, so a second, fresh provider must read every record and label back before this returns;
 * - tldraw sync: tldraw-writer.ts in a child process (TLSyncClient and a tldraw store), which waits for the anchor's
 *   `/rooms/:room/count` to report every record.
 * Both clients disconnect afterwards, so a page load finds nobody else in the room.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { withTimeout } from '../stats.ts';
import { writeBoard } from './board-doc.ts';

/** What writing one board cost. */
export interface Written {
  /** Records the server holds (document, page, shapes, bindings). */
  records: number;
  /** Start of the write -> the server holds everything, ms. */
  writeMs: number;
  /** The board as its client sent it: the Yjs update, or tldraw's JSON push (chunked). */
  bytes: number;
}

/** Connects a WebsocketProvider and resolves once it has synced. */
function provider(port: number, room: string, doc: Y.Doc): Promise<WebsocketProvider> {
  const p = new WebsocketProvider(`ws://127.0.0.1:${port}/yjs`, room, doc, { disableBc: true });
  return withTimeout(new Promise((resolve) => p.once('sync', () => resolve(p))), 60_000, `y-websocket sync of ${room}`);
}

/** Writes the board of `shapes` shapes to the Scrawl server on `port`, room `room`. */
export async function writeScrawlBoard(port: number, room: string, shapes: number): Promise<Written> {
  const began = performance.now();
  const doc = new Y.Doc();
  const { records, labels } = writeBoard(doc, shapes);
  const bytes = Y.encodeStateAsUpdate(doc).byteLength;
  const writer = await provider(port, room, doc);
  const check = new Y.Doc();
  const reader = await provider(port, room, check);
  const deadline = performance.now() + 60_000;
  const complete = () => check.getMap('records').size >= records && check.getMap('texts').size >= labels;
  while (!complete() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const readBack = check.getMap('records').size;
  const writeMs = performance.now() - began;
  reader.destroy();
  writer.destroy();
  if (!complete()) throw new Error(`only ${readBack} of ${records} records (${check.getMap('texts').size} of ${labels} labels) read back from Scrawl`);
  return { records: readBack, writeMs, bytes };
}

const tldrawWriter = join(dirname(fileURLToPath(import.meta.url)), 'tldraw-writer.ts');

/** Writes the board of `shapes` shapes to the tldraw sync anchor on `port`, room `room` (tldraw-writer.ts). */
export function writeTldrawBoard(port: number, room: string, shapes: number): Promise<Written> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tldrawWriter, String(port), room, String(shapes)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (data: Buffer) => (out += data.toString()));
    child.stderr.on('data', (data: Buffer) => (err += data.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`tldraw-writer.ts exited with ${code ?? signal}: ${err.trim().split('\n').slice(-5).join(' | ')}`));
      const result = JSON.parse(line) as { records: number; writeMs: number; bytesSent: number };
      resolve({ records: result.records, writeMs: result.writeMs, bytes: result.bytesSent });
    });
  });
}
