/**
 * Scale-out fan-out fidelity: a client of instance B must receive every update a writer on instance A sends, one by
 * one and in order, as a client of A does, and promptly. Found by the xfanout benchmark: readers on B and C "missed"
 * updates that readers on A all got. Cause: the relay merged the updates of one event-loop turn into one message
 * (Y.mergeUpdates); B applied it as one transaction, in which a map value set by the first update and overwritten by
 * the next was inserted and deleted at once, so Yjs garbage-collected it before emitting the transaction's update and
 * B's clients never saw it. The final state was right; the intermediate states (a dragged shape's positions, a
 * stroke's progress) were skipped on every instance but the writer's. Needs TEST_DATABASE_URL and TEST_REDIS_URL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as decoding from 'lib0/decoding';
import type WebSocket from 'ws';
import * as Y from 'yjs';
import { openRawSocket, waitFor, yjsSyncFrame, type TestServer } from './harness.ts';
import { startRelayedServers, withScaleoutServices } from './scaleout-services.ts';


/** Send times carried by an update, read without applying it (as the benchmark's readers do). */
function readStamps(update: Uint8Array): number[] {
  const stamps: number[] = [];
  for (const struct of Y.decodeUpdate(update).structs) {
    if (struct instanceof Y.Item && struct.content instanceof Y.ContentAny) {
      for (const value of struct.content.arr) if (typeof value === 'number') stamps.push(value);
    }
  }
  return stamps;
}

/** A y-websocket client on the raw socket: records the stamps of every relayed update, with its receipt time. */
class StampReader {
  readonly stamps: { sentAt: number; at: number }[] = [];
  synced = false;
  readonly ws: WebSocket;
  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      const at = performance.now();
      const decoder = decoding.createDecoder(new Uint8Array(data));
      if (decoding.readVarUint(decoder) !== 0) return;
      const step = decoding.readVarUint(decoder);
      const payload = decoding.readVarUint8Array(decoder);
      if (step === 1) this.synced = true;
      else if (step === 2) for (const sentAt of readStamps(payload)) this.stamps.push({ sentAt, at });
    });
    ws.send(yjsSyncFrame(0, Y.encodeStateVector(new Y.Doc())));
  }
  static async open(server: TestServer, room: string): Promise<StampReader> {
    const reader = new StampReader(await openRawSocket(`${server.wsUrl}/yjs/${room}`));
    await waitFor(() => reader.synced, 5_000, () => 'reader never synced');
    return reader;
  }
}

/** A y-websocket writer on the raw socket: each stamp is one update message, sent at once. */
class StampWriter {
  readonly doc = new Y.Doc();
  readonly sent: number[] = [];
  readonly ws: WebSocket;
  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.doc.on('update', (update: Uint8Array) => ws.send(yjsSyncFrame(2, update)));
  }
  static async open(server: TestServer, room: string): Promise<StampWriter> {
    return new StampWriter(await openRawSocket(`${server.wsUrl}/yjs/${room}`));
  }
  /** Overwrites one map key with the send time, as a dragged shape overwrites its record. */
  stamp(): void {
    let now = performance.now();
    if (now <= (this.sent.at(-1) ?? -1)) now = this.sent.at(-1)! + 1e-6;
    this.sent.push(now);
    this.doc.getMap('stamps').set('w', now);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

withScaleoutServices('scale-out fan-out', 'sf', (services) => {
  const { run, schema: freshSchema, cleanups } = services;

  let servers: TestServer[] = [];
  const instances = async () => {
    if (servers.length === 0) ({ servers } = await startRelayedServers(services, 2, run, freshSchema()));
    return servers;
  };

  /** The stamps a reader got, in receipt order, against what was sent. */
  const assertEvery = (reader: StampReader, sent: number[], where: string) => {
    const got = reader.stamps.map((s) => s.sentAt);
    const missing = sent.filter((s) => !got.includes(s)).length;
    assert.equal(missing, 0, `${where}: ${missing} of ${sent.length} updates never arrived`);
    assert.deepEqual(got, sent, `${where}: updates arrived out of order or twice`);
  };

  test('scale-out fan-out: updates sent in one burst reach clients of another instance one by one, in order', async () => {
    const [a, b] = await instances();
    const room = 'burst';
    const onA = await StampReader.open(a, room);
    const onB = await StampReader.open(b, room);
    const writer = await StampWriter.open(a, room);
    cleanups.push(() => [onA, onB, writer].forEach((c) => c.ws.close()));
    await sleep(200);
    // Bursts of 8 overwrites of one key in one socket write: A handles them within one event-loop turn.
    for (let burst = 0; burst < 10; burst++) {
      for (let i = 0; i < 8; i++) writer.stamp();
      await sleep(30);
    }
    const last = writer.sent.at(-1);
    await waitFor(() => onA.stamps.at(-1)?.sentAt === last && onB.stamps.at(-1)?.sentAt === last, 5_000, () => 'last update never arrived');
    assertEvery(onA, writer.sent, 'reader on A');
    assertEvery(onB, writer.sent, 'reader on B');
  });

  test('scale-out fan-out: a reader of another instance joining mid-stream gets every later update, in order, promptly', async () => {
    const [a, b] = await instances();
    const room = 'stream';
    const writer = await StampWriter.open(a, room);
    const early = await StampReader.open(b, room);
    cleanups.push(() => [writer, early].forEach((c) => c.ws.close()));
    await sleep(200);
    // 60 updates/s for 1.5 s; a second reader on B joins after 0.5 s, while the writer is mid-stream.
    let late: StampReader | undefined;
    let joinedAfter = Infinity;
    const lateOpen = sleep(500).then(async () => {
      late = await StampReader.open(b, room);
      joinedAfter = performance.now();
      cleanups.push(() => late!.ws.close());
    });
    const start = performance.now();
    for (let i = 0; i < 90; i++) {
      const wait = start + (i * 1000) / 60 - performance.now();
      if (wait > 0.5) await sleep(wait);
      writer.stamp();
      // Now and then two updates in one turn, as a busy client or a busy server produces.
      if (i % 10 === 5) writer.stamp();
    }
    await lateOpen;
    const last = writer.sent.at(-1);
    await waitFor(() => early.stamps.at(-1)?.sentAt === last && late!.stamps.at(-1)?.sentAt === last, 5_000, () => 'last update never arrived');
    assertEvery(early, writer.sent, 'reader on B from the start');
    // The late reader's initial state covers what was sent before it joined; every update sent after must follow.
    const afterJoin = writer.sent.filter((s) => s > joinedAfter);
    assert.ok(afterJoin.length > 30);
    const first = late!.stamps[0]?.sentAt ?? afterJoin[0];
    assert.ok(first <= afterJoin[0], 'the first update after joining did not reach the late reader');
    assertEvery(late!, writer.sent.slice(writer.sent.indexOf(first)), 'reader on B joined mid-stream');
    // Light load: no update takes long to cross.
    const worst = Math.max(...early.stamps.map((s) => s.at - s.sentAt), ...late!.stamps.map((s) => s.at - s.sentAt));
    assert.ok(worst < 250, `slowest cross-instance delivery ${worst.toFixed(1)} ms`);
  });
});
