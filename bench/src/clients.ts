/**
 * Lightweight raw clients for both wire protocols: a `ws` socket, hand-written framing, and (only for writers) a
 * Y.Doc. No provider objects: a provider's own bookkeeping (awareness timers, reconnect logic, a Y.Doc per reader)
 * would cost the single bench process more than the servers we measure, and on a 2-core machine that would show up
 * as server latency. Readers keep no document at all; they only decode what they need from each frame.
 *
 * Framing, checked against @hocuspocus/provider/src and @hocuspocus/server/src (4.7.0) and @y/websocket-server:
 * - y-websocket:  [varUint type][payload]; type 0 sync ([varUint step][varUint8Array]), 1 awareness
 *   ([varUint8Array update]), 3 query-awareness.
 * - Hocuspocus:   [varString documentName][varUint type][payload]; the same 0 and 1, plus 2 auth
 *   ([varUint 0 token][varString token] from a client; [varUint 2 authenticated][varString scope] or
 *   [varUint 1 denied][varString reason] from the server), 8 SyncStatus ([varUint 1 saved | 0 refused]),
 *   7 close, 4 sync reply (decoded like 0). Connection-level Ping is the single byte [9]; it must be answered [10].
 */
import WebSocket from 'ws';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import type { Protocol } from './servers.ts';

const MSG_SYNC = 0;
const MSG_AWARENESS = 1;
const MSG_AUTH = 2;
const MSG_QUERY_AWARENESS = 3;
const MSG_SYNC_REPLY = 4;
const MSG_CLOSE = 7;
const MSG_SYNC_STATUS = 8;
const MSG_PING = 9;
const MSG_PONG = 10;
const SYNC_STEP1 = 0;
const SYNC_STEP2 = 1;
const SYNC_UPDATE = 2;
const AUTH_TOKEN = 0;
const AUTH_DENIED = 1;

/** Yjs encoding of an empty update (no structs, empty delete set): a reader's answer to the server's SyncStep1. */
const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc());
/** State vector of an empty document: "send me everything". */
const EMPTY_STATE_VECTOR = Y.encodeStateVector(new Y.Doc());

export interface ClientOptions {
  protocol: Protocol;
  url: string;
  room: string;
  /** Writers keep a document so that their answer to the server's SyncStep1 is honest; readers leave it out. */
  doc?: Y.Doc;
  /** A document update relayed by the server (sync type 2). `at` is performance.now() on receipt. */
  onUpdate?: (update: Uint8Array, at: number) => void;
  /** An awareness update relayed by the server. */
  onAwareness?: (update: Uint8Array, at: number) => void;
  /** The server's SyncStep2 (its state for us). */
  onSyncStep2?: (update: Uint8Array, at: number) => void;
}

export class RawClient {
  readonly opts: ClientOptions;
  readonly ws: WebSocket;
  /** performance.now() when the socket was created, when it opened and when the server's SyncStep2 arrived. */
  readonly createdAt = performance.now();
  openedAt = -1;
  syncedAt = -1;
  /** Relayed updates and awareness messages received (what "delivered messages" counts). */
  delivered = 0;
  /** SyncStatus frames: saved (1) and refused (0). Only Hocuspocus-framed servers send them. */
  acks = 0;
  refusals = 0;
  pings = 0;
  closeCode: number | undefined;
  closeReason = '';
  error: Error | undefined;
  readonly synced: Promise<void>;
  /** Called synchronously on every SyncStatus, before anything else runs (the durability scenario kills from here). */
  onAck: ((client: RawClient) => void) | undefined;
  private resolveSynced!: () => void;
  private rejectSynced!: (error: Error) => void;
  private readonly prefix: Uint8Array;

  constructor(opts: ClientOptions) {
    this.opts = opts;
    this.synced = new Promise((resolve, reject) => {
      this.resolveSynced = resolve;
      this.rejectSynced = reject;
    });
    // Swallow the rejection if nobody awaits `synced`; the reason stays in `error`/`closeCode`.
    this.synced.catch(() => {});
    const prefix = encoding.createEncoder();
    if (opts.protocol === 'hp') encoding.writeVarString(prefix, opts.room);
    this.prefix = encoding.toUint8Array(prefix);
    // No permessage-deflate: compression would make the bench measure zlib. No server here enables it by default.
    this.ws = new WebSocket(opts.url, { perMessageDeflate: false });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('open', () => this.handleOpen());
    this.ws.on('message', (data: Buffer) => this.handleMessage(data));
    this.ws.on('error', (error: Error) => {
      this.error = error;
      this.rejectSynced(error);
    });
    this.ws.on('close', (code: number, reason: Buffer) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.rejectSynced(new Error(`closed with ${code} ${this.closeReason}`));
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** A frame with this client's prefix (the document name on Hocuspocus, nothing on y-websocket). */
  private frame(write: (encoder: encoding.Encoder) => void): Uint8Array {
    const encoder = encoding.createEncoder();
    encoding.writeUint8Array(encoder, this.prefix);
    write(encoder);
    return encoding.toUint8Array(encoder);
  }

  private handleOpen(): void {
    this.openedAt = performance.now();
    if (this.opts.protocol === 'hp') {
      // Auth first: Hocuspocus queues everything else until a document is authenticated.
      this.send(this.frame((e) => {
        encoding.writeVarUint(e, MSG_AUTH);
        encoding.writeVarUint(e, AUTH_TOKEN);
        encoding.writeVarString(e, 'x');
      }));
    }
    const stateVector = this.opts.doc ? Y.encodeStateVector(this.opts.doc) : EMPTY_STATE_VECTOR;
    this.send(this.frame((e) => {
      encoding.writeVarUint(e, MSG_SYNC);
      encoding.writeVarUint(e, SYNC_STEP1);
      encoding.writeVarUint8Array(e, stateVector);
    }));
  }

  private handleMessage(data: Buffer): void {
    const at = performance.now();
    if (data.length === 1 && data[0] === MSG_PING) {
      this.pings++;
      this.send(Uint8Array.of(MSG_PONG));
      return;
    }
    try {
      const decoder = decoding.createDecoder(data);
      if (this.opts.protocol === 'hp') decoding.readVarString(decoder);
      const type = decoding.readVarUint(decoder);
      switch (type) {
        case MSG_SYNC:
        case MSG_SYNC_REPLY:
          this.handleSync(decoder, at);
          break;
        case MSG_AWARENESS:
          this.delivered++;
          this.opts.onAwareness?.(decoding.readVarUint8Array(decoder), at);
          break;
        case MSG_SYNC_STATUS:
          if (decoding.readVarUint(decoder) === 1) this.acks++;
          else this.refusals++;
          this.onAck?.(this);
          break;
        case MSG_AUTH:
          if (decoding.readVarUint(decoder) === AUTH_DENIED) {
            this.fail(new Error(`permission denied: ${decoding.readVarString(decoder)}`));
          }
          break;
        case MSG_QUERY_AWARENESS:
        case MSG_CLOSE:
          break;
        default:
          break; // unknown types are ignored, as the real providers do
      }
    } catch (error) {
      this.fail(new Error(`undecodable frame of ${data.length} bytes: ${(error as Error).message}`));
    }
  }

  private handleSync(decoder: decoding.Decoder, at: number): void {
    const step = decoding.readVarUint(decoder);
    const payload = decoding.readVarUint8Array(decoder);
    if (step === SYNC_STEP1) {
      // The server asks for what we have that it lacks: readers have nothing.
      const update = this.opts.doc ? Y.encodeStateAsUpdate(this.opts.doc, payload) : EMPTY_UPDATE;
      this.send(this.frame((e) => {
        encoding.writeVarUint(e, MSG_SYNC);
        encoding.writeVarUint(e, SYNC_STEP2);
        encoding.writeVarUint8Array(e, update);
      }));
    } else if (step === SYNC_STEP2) {
      this.opts.onSyncStep2?.(payload, at);
      if (this.syncedAt < 0) {
        this.syncedAt = at;
        this.resolveSynced();
      }
    } else if (step === SYNC_UPDATE) {
      this.delivered++;
      this.opts.onUpdate?.(payload, at);
    }
  }

  private fail(error: Error): void {
    this.error = error;
    this.rejectSynced(error);
    this.ws.terminate();
  }

  send(frame: Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  /** Sends a Yjs update as a sync "update" message (what providers send for local edits). */
  sendUpdate(update: Uint8Array): void {
    this.send(this.frame((e) => {
      encoding.writeVarUint(e, MSG_SYNC);
      encoding.writeVarUint(e, SYNC_UPDATE);
      encoding.writeVarUint8Array(e, update);
    }));
  }

  /** Sends an awareness update (already encoded as y-protocols' awareness update). */
  sendAwareness(update: Uint8Array): void {
    this.send(this.frame((e) => {
      encoding.writeVarUint(e, MSG_AWARENESS);
      encoding.writeVarUint8Array(e, update);
    }));
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/**
 * Encodes one client's awareness state exactly as y-protocols' encodeAwarenessUpdate does
 * ([varUint count][varUint clientID][varUint clock][varString JSON]), without an Awareness object per writer.
 */
export function encodeAwareness(clientId: number, clock: number, state: unknown): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 1);
  encoding.writeVarUint(encoder, clientId);
  encoding.writeVarUint(encoder, clock);
  encoding.writeVarString(encoder, JSON.stringify(state));
  return encoding.toUint8Array(encoder);
}

/** Opens `count` clients with at most `concurrency` handshakes in flight, and waits until all are synced. */
export async function connectMany(
  count: number,
  make: (i: number) => RawClient,
  concurrency = 100,
): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  for (let start = 0; start < count; start += concurrency) {
    const batch: RawClient[] = [];
    for (let i = start; i < Math.min(count, start + concurrency); i++) batch.push(make(i));
    clients.push(...batch);
    await Promise.all(batch.map((c) => c.synced));
  }
  return clients;
}

/** Anything the bench holds one socket for: raw Yjs clients and raw tldraw sync clients alike. */
export interface SocketClient {
  readonly ws: WebSocket;
  close(): void;
}

/** Closes clients and waits (briefly) for their sockets to close, so the next scenario starts clean. */
export async function closeAll(clients: readonly SocketClient[]): Promise<void> {
  await Promise.all(clients.map((c) => new Promise<void>((resolve) => {
    if (c.ws.readyState === WebSocket.CLOSED) return resolve();
    const timer = setTimeout(() => {
      c.ws.terminate();
      resolve();
    }, 2_000);
    c.ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    c.close();
  })));
}
