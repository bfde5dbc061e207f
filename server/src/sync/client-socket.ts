import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Logger } from '../log.ts';
import { CloseCode } from '../close-codes.ts';
import * as decoding from 'lib0/decoding';
import { AckGate } from './ack-gate.ts';
import { sendBinary, tcpSocketOf, writeFrame } from './shared-frames.ts';
import { releaseWrites } from './write-coalescer.ts';
import { AuthType, MessageType } from './frames.ts';
import { TokenBucket, type Limits } from './limits.ts';
import type { ScrawlMetrics } from '../metrics.ts';
import type { Endpoint } from './endpoint.ts';

let nextConnectionId = 1;

/**
 * What Hocuspocus talks to for one client: its `WebSocketLike` (send, close, readyState) in front of the real `ws`
 * socket. On `/sync` frames pass through unchanged. On `/yjs/:room` it is the framing adapter: Hocuspocus frames lose
 * their document-name prefix, and what a y-websocket client cannot use (auth replies, sync status, stateless, pings)
 * is dropped, so the y-websocket client is served by Hocuspocus's own connection handling, hooks and limits.
 */
export class ClientSocket {
  /** Set by each received message or pong; the heartbeat drops a socket that stays silent for a whole period. */
  alive = true;
  /** The real socket. */
  readonly ws: WebSocket;
  /** The endpoint the client connected to. */
  readonly endpoint: Endpoint;
  /** For `/yjs`: the length of the room-name prefix Hocuspocus writes in front of every frame. */
  private readonly prefixLength: number;
  private readonly parentLog: Logger;
  private childLog: Logger | null = null;
  private readonly metrics: ScrawlMetrics | null;
  private readonly maxBufferedBytes: number;
  /** When the socket opened (performance.now()), for the authentication deadline. */
  readonly openedAt = performance.now();
  /** Set once a document connection is established (authenticated); until then the auth deadline applies. */
  established = false;
  /** Set when the socket layer tells Hocuspocus the socket has ended (see {@link readyState}). */
  endTold = false;
  /**
   * Set when the server closes the socket (a refused frame, access taken away, a limit): nothing the client sends
   * afterwards is handled, though `ws` still delivers frames until the close handshake is done.
   */
  closedByServer = false;
  /** Set by a heartbeat that found more than `maxBufferedBytes` unsent; a second such heartbeat cuts the client off. */
  overBufferBound = false;
  /** The largest single message sent so far (a first sync of a big board), which the hard cap allows on top. */
  private largestSend = 0;
  /** Handles one frame the client sent (set by the socket server; the frame pacer calls it for frames that waited). */
  handleFrame: (data: Buffer, isBinary: boolean) => void = () => {};
  /** This connection's message and byte budgets (close 4429 when spent). */
  readonly messageBudget: TokenBucket;
  readonly byteBudget: TokenBucket;
  /**
   * Acknowledgements wait here for the store (see AckGate). A failed write closes the socket with 1011 without
   * acknowledging: the client reconnects and its sync sends the update again.
   */
  readonly acks = new AckGate((error) => {
    this.log.error({ err: error }, 'store write failed; closing the connection unacknowledged');
    this.close(CloseCode.serverError, 'storage failed; reconnect');
  });

  constructor(ws: WebSocket, endpoint: Endpoint, prefix: Uint8Array | null, log: Logger, limits: Limits, metrics: ScrawlMetrics | null) {
    this.ws = ws;
    this.endpoint = endpoint;
    this.prefixLength = prefix?.byteLength ?? 0;
    this.parentLog = log;
    this.metrics = metrics;
    this.maxBufferedBytes = limits.maxBufferedBytes;
    this.messageBudget = new TokenBucket(limits.messagesPerSecond, limits.messageBurst, this.openedAt);
    this.byteBudget = new TokenBucket(limits.bytesPerSecond, limits.byteBurst, this.openedAt);
  }

  /**
   * This connection's logger (a pino child carrying a connection id and the endpoint), made on first use: most
   * connections never log, and an idle connection should cost as little memory as possible.
   */
  get log(): Logger {
    this.childLog ??= this.parentLog.child({ conn: (nextConnectionId++).toString(36), endpoint: this.endpoint });
    return this.childLog;
  }

  /**
   * The WebSocket ready state as Hocuspocus sees it: open until the socket layer has handled every frame the client
   * sent before its close (some may wait past their turn's budget, frame-pacer.ts, while `ws` already reads the close
   * frame) and told Hocuspocus of the end. Hocuspocus ends a document connection on any send to a closing socket, so
   * the acknowledgement of the first waiting frame would otherwise drop the rest: edits sent just before closing were
   * lost (server/test/close-drain.test.ts). Frames sent meanwhile are dropped by {@link transmit}. A close the server
   * starts is seen at once.
   */
  get readyState(): number {
    return this.endTold || this.closedByServer ? this.ws.readyState : this.ws.OPEN;
  }

  /**
   * Sends one Hocuspocus frame to the client, translated for its endpoint. `onSent`, if given, is called once the frame
   * has been handed to the kernel, or at once when the socket is no longer open; meant for sync and awareness frames
   * (other frames ignore it).
   */
  send(frame: Uint8Array, onSent?: () => void): void {
    if (this.endpoint === 'sync') {
      if (isSyncStatus(frame)) this.acks.whenStored(() => this.transmit(frame));
      else this.transmit(frame, onSent);
      return;
    }
    const type = frame[this.prefixLength];
    switch (type) {
      case MessageType.sync:
      case MessageType.awareness:
        // The same frame goes to every client of the room: the offset, not a subarray per client, lets them share
        // one framed buffer (see shared-frames.ts).
        this.transmit(frame, onSent, this.prefixLength);
        return;
      case MessageType.syncReply: {
        // Same payload as a sync message; y-websocket knows only type 0.
        const body = frame.slice(this.prefixLength);
        body[0] = MessageType.sync;
        this.transmit(body);
        return;
      }
      case MessageType.auth:
        if (frame[this.prefixLength + 1] === AuthType.permissionDenied) {
          this.close(CloseCode.forbidden, 'permission denied');
        }
        return;
      case MessageType.close:
        // Hocuspocus ended this document connection (e.g. the room failed to load): the client may retry.
        this.log.warn('hocuspocus closed the document connection');
        this.close(CloseCode.serverError, 'document connection closed by the server');
        return;
      default:
        // SyncStatus, stateless, ping and the rest mean nothing to a y-websocket client.
        return;
    }
  }

  /**
   * Sends raw bytes (already in this endpoint's framing) from `offset` on, counting them, and drops a client that
   * stopped reading. `onSent` as for {@link send}.
   */
  transmit(bytes: Uint8Array, onSent?: () => void, offset = 0): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      onSent?.();
      return;
    }
    sendBinary(this.ws, bytes, offset, onSent);
    this.sent(bytes.byteLength - offset);
  }

  /**
   * Writes a broadcast frame already built for this endpoint (shared-frames.ts `buildFrame`) carrying a
   * `messageBytes`-byte message, with the same counting and unsent-bytes bound as {@link transmit}. The socket must be
   * open (the caller checks {@link isOpen}).
   */
  relay(frame: Buffer, messageBytes: number): void {
    writeFrame(this.ws, frame);
    this.sent(messageBytes);
  }

  /** Stops reading from the client while its frames wait for a later turn (see frame-pacer.ts). */
  pause(): void {
    this.ws.pause();
  }

  /** Reads from the client again. */
  resume(): void {
    this.ws.resume();
  }

  /** True while frames can be written to the socket. */
  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Counts a message of `length` bytes just sent, and drops a client whose backlog grows without bound. */
  private sent(length: number): void {
    const traffic = this.metrics?.traffic[this.endpoint];
    if (traffic) {
      traffic.messagesOut += 1;
      traffic.bytesOut += length;
    }
    // Never buffer without limit for a client that does not read. A large first sync may sit above the bound for a
    // moment, so the bound itself is judged by the heartbeat (see SocketServer.beat); the hard cap here allows four
    // times the bound on top of the largest message sent, so a growing backlog is cut at once and a big sync is not.
    if (length > this.largestSend) this.largestSend = length;
    if (this.ws.bufferedAmount > this.maxBufferedBytes * 4 + this.largestSend) this.cutOff();
  }

  /** Drops a client that is not reading what it is sent; it can reconnect and resync when it is able to. */
  cutOff(): void {
    this.log.warn({ buffered: this.ws.bufferedAmount }, 'closing a client that stopped reading');
    this.close(CloseCode.tryAgainLater, 'not reading fast enough');
    this.terminate();
  }

  /** The unsent bytes bound (Limits.maxBufferedBytes). */
  get bufferBound(): number {
    return this.maxBufferedBytes;
  }

  /** Closes the client's socket with a code from the catalogue (or a standard one). */
  close(code?: number, reason?: string): void {
    this.closedByServer = true;
    if (this.ws.readyState === this.ws.CLOSING || this.ws.readyState === this.ws.CLOSED) return;
    this.metrics?.closes.inc({ code: String(code ?? 1000) });
    this.ws.close(code ?? 1000, reason);
    // A socket paused by the frame pacer must read again, or the peer's close frame would never be read.
    if (this.ws.isPaused) this.ws.resume();
  }

  /**
   * Hocuspocus's name for an immediate close is the same as ours. Frames this turn's writes hold back (see
   * write-coalescer.ts) go to the kernel first, as they would have without the hold.
   */
  terminate(): void {
    this.closedByServer = true;
    const socket = tcpSocketOf(this.ws) as Socket | null;
    if (socket) releaseWrites(socket);
    this.ws.terminate();
  }
}

/** Is this `/sync` frame a SyncStatus (the acknowledgement)? Skips the document name to read the type. */
function isSyncStatus(frame: Uint8Array): boolean {
  // Names shorter than 128 bytes (every valid room id) have a one-byte length: the common case, without a decoder.
  if (frame[0] < 128) return frame[1 + frame[0]] === MessageType.syncStatus;
  const decoder = decoding.createDecoder(frame);
  const nameLength = decoding.readVarUint(decoder);
  return frame[decoder.pos + nameLength] === MessageType.syncStatus;
}
