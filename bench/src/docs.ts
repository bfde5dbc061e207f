/** The documents and updates the scenarios send. */
import * as Y from 'yjs';

/**
 * Writes the send time into the document (a Y.Map entry holding performance.now()) in one transaction; the
 * writer's 'update' handler sends the resulting update at once. Writers and readers live in this one process, so
 * they share performance.now()'s clock and no clock sync is needed.
 *
 * The same key is overwritten each time, like a shape being dragged: each update is a few dozen bytes and the
 * document stays small, so the figures measure relaying, not document growth.
 */
export function stamp(doc: Y.Doc, key: string): void {
  doc.getMap('stamps').set(key, performance.now());
}

/**
 * Send times carried by an update, without applying it to a document (readers keep none). A server may merge
 * several updates into one message (Hocuspocus batches within a tick), so an update can carry more than one stamp.
 */
export function readStamps(update: Uint8Array): number[] {
  const stamps: number[] = [];
  for (const struct of Y.decodeUpdate(update).structs) {
    if (struct instanceof Y.Item && struct.content instanceof Y.ContentAny) {
      for (const value of struct.content.arr) if (typeof value === 'number') stamps.push(value);
    }
  }
  return stamps;
}

export interface BigDoc {
  update: Uint8Array;
  stateVector: Uint8Array;
  entries: number;
}

/**
 * A whiteboard-like document of about `targetBytes`: one Y.Map entry per "shape", each a JSON record with a
 * ~170-character text prop. Deterministic (no Math.random) so every server gets byte-identical input.
 */
export function buildBigDoc(targetBytes: number): BigDoc {
  const doc = new Y.Doc();
  const shapes = doc.getMap('shapes');
  const filler = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore ';
  let entries = 0;
  // ~220 bytes per entry once encoded; add in chunks and re-measure so the result lands just above the target.
  while (Y.encodeStateAsUpdate(doc).length < targetBytes) {
    const chunk = Math.max(100, Math.ceil((targetBytes - Y.encodeStateAsUpdate(doc).length) / 230));
    doc.transact(() => {
      for (let i = 0; i < chunk; i++, entries++) {
        shapes.set(`shape:${entries.toString(36).padStart(6, '0')}`, {
          type: 'text',
          x: (entries * 37) % 4000,
          y: (entries * 91) % 3000,
          props: { text: `${entries} ${filler}${filler}`.slice(0, 170) },
        });
      }
    });
  }
  return { update: Y.encodeStateAsUpdate(doc), stateVector: Y.encodeStateVector(doc), entries };
}

/** True when `update` holds everything `expected` describes (equal state vectors). */
export function hasFullState(update: Uint8Array, expectedStateVector: Uint8Array): boolean {
  return sameStateVector(Y.encodeStateVectorFromUpdate(update), expectedStateVector);
}

/** State vectors compared as maps (their encodings may list clients in different orders). */
export function sameStateVector(a: Uint8Array, b: Uint8Array): boolean {
  const left = Y.decodeStateVector(a);
  const right = Y.decodeStateVector(b);
  if (left.size !== right.size) return false;
  for (const [client, clock] of right) if (left.get(client) !== clock) return false;
  return true;
}

/**
 * Receipts (arrival time, message) kept while a recording window is open, decoded only when a subclass is asked for
 * its samples. Decoding inside the receive handler would put the bench's own CPU on the critical path: the readers
 * share one event loop, so the 50th reader's receipt time would include 49 decodes. Messages sent before the window
 * opened (warm-up) are dropped at decode time, by comparing their send time with {@link windowStart}.
 */
export abstract class ReceiptRecorder<Message> {
  protected windowStart = Number.POSITIVE_INFINITY;
  private recording = false;
  protected readonly receivedAt: number[] = [];
  protected readonly received: Message[] = [];

  /** Keeps a reader's message received at `at` (performance.now()) while recording. */
  add(message: Message, at: number): void {
    if (!this.recording) return;
    this.receivedAt.push(at);
    this.received.push(message);
  }

  /** Opens a new recording window now; what was sent before this moment will not count. */
  start(): void {
    this.windowStart = performance.now();
    this.recording = true;
    this.receivedAt.length = 0;
    this.received.length = 0;
  }

  stop(): void {
    this.recording = false;
  }

  /** One latency (ms) per stamped message sent within the window and received while recording. */
  abstract samples(): number[];
}

/** Latency of stamped Yjs updates (see {@link ReceiptRecorder}): each update carries its send stamps. */
export class StampLatency extends ReceiptRecorder<Uint8Array> {
  /** One latency (ms) per stamp sent within the window and received while recording. */
  samples(): number[] {
    const out: number[] = [];
    let previous: Uint8Array | undefined;
    let stamps: number[] = [];
    for (let i = 0; i < this.received.length; i++) {
      const update = this.received[i];
      // Consecutive receipts are often the same update reaching different readers: decode it once.
      if (previous === undefined || !Buffer.from(update.buffer, update.byteOffset, update.byteLength).equals(previous)) {
        stamps = readStamps(update);
      }
      previous = update;
      for (const sentAt of stamps) if (sentAt >= this.windowStart) out.push(this.receivedAt[i] - sentAt);
    }
    return out;
  }
}
