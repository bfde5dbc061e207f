/**
 * A cheap tldraw sync client for the relay-cost scenario: one `ws` socket speaking tldraw sync's JSON protocol
 * directly, the counterpart of clients.ts's RawClient. No store, no TLSyncClient, no JSON parsing on receipt: with
 * 200 clients in the one bench process, a real client per socket would make the bench, not the server, the limit.
 *
 * The messages reproduce what tldraw's own TLSyncClient sends (captured from crowd/tldraw-client.ts against the
 * anchor, @tldraw/sync-core 5.4.2):
 * - `connect` with a fresh connectRequestId, the default schema serialized, protocol version 8, lastServerClock -1;
 *   the server answers `connect` (wipe_all) with the room's records;
 * - `push` with an increasing clientClock and a record diff: a new draw shape is a `put` of the whole record; each
 *   further point re-encodes the segment's base64 path, which tldraw's diff sends as `append` when the old path is a
 *   prefix of the new one and as `put` otherwise (base64 padding breaks the prefix every other point);
 * - presence as `push` with `presence`: a `put` of the whole instance_presence record first, then `patch`es of
 *   `cursor` and `lastActivityTimestamp`;
 * - `ping` every 5 s, answered by `pong`.
 * The server wraps every `patch` (others' changes) and `push_result` (the answer to our own push) in a `data` message,
 * several per message when they arrive within its ~16.7 ms per-session batching window.
 */
import WebSocket from 'ws';
import * as syncCore from '@tldraw/sync-core';
import { b64Vecs, createTLSchema, defaultShapeSchemas } from '@tldraw/tlschema';
import { getIndexAbove, type IndexKey } from '@tldraw/utils';
import { ReceiptRecorder } from './docs.ts';

/**
 * The protocol version TLSyncClient sends. Exported at runtime but marked internal, so left out of the package's
 * declarations; read from the package rather than written down, so an upgrade cannot leave the bench behind.
 */
const PROTOCOL_VERSION = (syncCore as unknown as { getTlsyncProtocolVersion(): number }).getTlsyncProtocolVersion();
/**
 * tldraw's `defaultShapeUtils` order, which is the order of the shape sequences in the schema a tldraw store sends.
 * Only the order differs from `defaultShapeSchemas` (the server reads the sequences by name); kept so the connect
 * message is byte-for-byte what TLSyncClient sends. Shapes missing from this list keep their place after it.
 */
const SHAPE_ORDER = ['group', 'text', 'bookmark', 'draw', 'geo', 'note', 'line', 'frame', 'arrow', 'highlight', 'embed', 'image', 'video'];
/** The default schema's serialized form: what `createTLStore` with tldraw's default shapes and bindings sends. */
const SCHEMA = createTLSchema({
  shapes: Object.fromEntries(Object.entries(defaultShapeSchemas)
    .sort(([a], [b]) => (SHAPE_ORDER.indexOf(a) + 1 || 99) - (SHAPE_ORDER.indexOf(b) + 1 || 99))),
}).serialize();
/** TLSyncClient pings every 5 s; the server drops sessions it has not heard from within its client timeout. */
const PING_INTERVAL_MS = 5_000;
/** Points per stroke before the writer lifts the pen and starts a new shape: 2 s at 30 points/s. */
export const STROKE_POINTS = 60;

const PATCH = Buffer.from('{"type":"patch"');
const PUSH_RESULT = Buffer.from('{"type":"push_result"');
const CONNECT = Buffer.from('{"type":"connect"');

/** Occurrences of `needle` in `haystack` (memchr-speed Buffer.indexOf, no decoding). */
function count(haystack: Buffer, needle: Buffer): number {
  let n = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length)) n++;
  return n;
}

/** Options of {@link TldrawRawClient}. */
export interface TldrawRawClientOptions {
  /** `ws://host:port/connect/:room` (servers.ts's tldraw Target); the session id is added here. */
  url: string;
  sessionId: string;
  /** Every received data message with its receipt time (performance.now()); readers feed latency from it. */
  onData?: (message: Buffer, at: number) => void;
}

/** One tldraw sync session on a bare socket. */
export class TldrawRawClient {
  readonly ws: WebSocket;
  /**
   * Updates received: each `patch` and each `push_result` inside a `data` message counts once, however many share a
   * socket message. This is the Yjs clients' "delivered" (one writer update reaching one client, the echo to the
   * writer included, which for tldraw sync is its push_result).
   */
  delivered = 0;
  /** Socket messages that carried updates: delivered / dataFrames is the server's batching factor. */
  dataFrames = 0;
  closeCode: number | undefined;
  closeReason = '';
  error: Error | undefined;
  /** Resolves when the server's `connect` answer (the room's records) has arrived. */
  readonly synced: Promise<void>;
  private clientClock = 0;
  private isSynced = false;
  private ping: NodeJS.Timeout | undefined;
  private readonly opts: TldrawRawClientOptions;
  private resolveSynced!: () => void;
  private rejectSynced!: (error: Error) => void;

  constructor(opts: TldrawRawClientOptions) {
    this.opts = opts;
    this.synced = new Promise((resolve, reject) => {
      this.resolveSynced = resolve;
      this.rejectSynced = reject;
    });
    this.synced.catch(() => {}); // the reason stays in error/closeCode when nobody awaits it
    const url = new URL(opts.url);
    url.searchParams.set('sessionId', opts.sessionId);
    // No permessage-deflate, as for RawClient: the anchor does not offer it and the bench must not measure zlib.
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.ws.on('open', () => {
      this.send({
        type: 'connect',
        connectRequestId: `${opts.sessionId}-connect`,
        schema: SCHEMA,
        protocolVersion: PROTOCOL_VERSION,
        lastServerClock: -1,
      });
      this.ping = setInterval(() => this.send({ type: 'ping' }), PING_INTERVAL_MS);
    });
    this.ws.on('message', (data: Buffer) => this.handleMessage(data));
    this.ws.on('error', (error: Error) => {
      this.error = error;
      this.rejectSynced(error);
    });
    this.ws.on('close', (code: number, reason: Buffer) => {
      clearInterval(this.ping);
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.rejectSynced(new Error(`closed with ${code} ${this.closeReason}`));
    });
  }

  private handleMessage(data: Buffer): void {
    const at = performance.now();
    if (!this.isSynced) {
      if (data.subarray(0, CONNECT.length).equals(CONNECT)) {
        this.isSynced = true;
        this.resolveSynced();
      } else if (data.includes('"incompatibility_error"')) {
        this.error = new Error(`tldraw sync refused the connect: ${data.toString().slice(0, 200)}`);
        this.rejectSynced(this.error);
        this.ws.terminate();
      }
      return;
    }
    // Patches and push results only ever arrive inside `data` messages; pong and custom carry no update.
    const updates = count(data, PATCH) + count(data, PUSH_RESULT);
    if (updates === 0) return;
    this.delivered += updates;
    this.dataFrames++;
    this.opts.onData?.(data, at);
  }

  private send(message: unknown): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  /** Sends a `push` with the next client clock: a document diff, a presence op, or both. */
  push(body: { diff?: Record<string, unknown>; presence?: unknown[] }): void {
    this.send({ type: 'push', clientClock: this.clientClock++, ...body });
  }

  close(): void {
    clearInterval(this.ping);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }
}

/** Send times by `${shapeId}#${path length}`: what a writer stamped, looked up by readers' receipts afterwards. */
export type SendTimes = Map<string, number>;

/**
 * A writer drawing freehand strokes the way tldraw's draw tool changes records: the pen going down puts a `draw`
 * shape with one point, each update adds one point (the whole path re-encoded, the diff sent as tldraw computes
 * it), and the STROKE_POINTS-th point also sets `isComplete`; the next update starts a new shape. The Yjs writers'
 * update is one small value overwritten (docs.ts's stamp); this one is a few dozen bytes of diff as well, but the
 * server validates and stores the whole shape record on every patch, which is tldraw sync's own cost.
 */
export class TldrawStrokeWriter {
  readonly client: TldrawRawClient;
  private readonly name: string;
  private readonly sendTimes: SendTimes;
  private stroke = 0;
  private points: Array<{ x: number; y: number }> = [];
  private path = '';
  private index: IndexKey = getIndexAbove(null);
  private presenceSent = false;

  /** `name` must be unique in the run: it names the writer's shapes, and send times are keyed by shape id. */
  constructor(client: TldrawRawClient, name: string, sendTimes: SendTimes) {
    this.client = client;
    this.name = name;
    this.sendTimes = sendTimes;
  }

  /** One stroke point, sent at once as its own push. */
  update(): void {
    const id = `shape:${this.name}-${this.stroke}`;
    const i = this.points.length;
    // A scribble: steady progress along x, a wave in y.
    this.points.push({ x: i * 3, y: Math.round(20 * Math.sin(i / 5)) });
    const path = b64Vecs.encodePoints(this.points, 2);
    let op: unknown[];
    if (i === 0) {
      this.index = getIndexAbove(this.index);
      op = ['put', {
        x: 40 + ((this.stroke * 97) % 1200), y: 40 + ((this.stroke * 53) % 700), rotation: 0, isLocked: false,
        opacity: 1, meta: {}, id, type: 'draw', parentId: 'page:page', index: this.index,
        props: {
          segments: [{ type: 'free', path, dim: 2 }], color: 'black', fill: 'none', dash: 'draw', size: 'm',
          isComplete: false, isClosed: false, isPen: false, scale: 1, scaleX: 1, scaleY: 1,
        },
        typeName: 'shape',
      }];
    } else {
      // tldraw's diffValue: a string that extends the previous one is sent as the appended tail and its offset.
      const pathOp = path.startsWith(this.path) ? ['append', path.slice(this.path.length), this.path.length] : ['put', path];
      const props: Record<string, unknown> = { segments: ['patch', { 0: ['patch', { path: pathOp }] }] };
      if (i === STROKE_POINTS - 1) props.isComplete = ['put', true];
      op = ['patch', { props: ['patch', props] }];
    }
    this.path = path;
    this.sendTimes.set(`${id}#${path.length}`, performance.now());
    this.client.push({ diff: { [id]: op } });
    if (i === STROKE_POINTS - 1) {
      this.stroke++;
      this.points = [];
      this.path = '';
    }
  }

  /** Moves this writer's cursor: its instance_presence record in full the first time, then a patch. */
  cursor(x: number, y: number): void {
    const cursor = { x, y, rotation: 0, type: 'default' };
    const now = Date.now();
    if (this.presenceSent) {
      this.client.push({ presence: ['patch', { lastActivityTimestamp: ['put', now], cursor: ['put', cursor] }] });
      return;
    }
    this.presenceSent = true;
    this.client.push({
      presence: ['put', {
        lastActivityTimestamp: now, followingUserId: null, color: '#e03131', camera: { x: 0, y: 0, z: 1 }, cursor,
        screenBounds: { x: 0, y: 0, w: 1080, h: 720 }, selectedShapeIds: [], brush: null, scribbles: [],
        chatMessage: '', meta: {}, id: `instance_presence:${this.name}`, userId: `user:${this.name}`,
        userName: `writer ${this.name}`, currentPageId: 'page:page', typeName: 'instance_presence',
      }],
    });
  }
}

/**
 * A stroke point in a received message: the shape id, then (within that shape's op) its path as a whole string in a
 * new record, as a `put`, or as an `append` at an offset. The path's resulting length identifies the point.
 */
const POINT = /"(shape:[^"]+)":\["(?:put|patch)",.*?"path":(?:"([^"]*)"|\["put","([^"]*)"\]|\["append","([^"]*)",(\d+)\])/g;

/**
 * Latency of stroke points from writer to reader, with StampLatency's interface: the stroke points in each received
 * message are found when asked, off the receive path ({@link ReceiptRecorder}).
 */
export class TldrawLatency extends ReceiptRecorder<Buffer> {
  private readonly sendTimes: SendTimes;

  constructor(sendTimes: SendTimes) {
    super();
    this.sendTimes = sendTimes;
  }

  /** One latency (ms) per stroke point sent within the window and received while recording. */
  samples(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.received.length; i++) {
      for (const match of this.received[i].toString().matchAll(POINT)) {
        const whole = match[2] ?? match[3];
        const length = whole !== undefined ? whole.length : Number(match[5]) + match[4].length;
        const sentAt = this.sendTimes.get(`${match[1]}#${length}`);
        if (sentAt !== undefined && sentAt >= this.windowStart) out.push(this.receivedAt[i] - sentAt);
      }
    }
    return out;
  }
}
