import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Extension, Hocuspocus, connectedPayload } from '@hocuspocus/server';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { encodeAwarenessUpdate } from 'y-protocols/awareness';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode, ProtocolError } from '../close-codes.ts';
import type { Logger } from '../log.ts';
import { roomIdFromPath } from '../rooms.ts';
import { ClientSocket } from './client-socket.ts';
import type { Endpoint } from './endpoint.ts';
import { AddressLimiter, type Limits } from './limits.ts';
import { JoinGate } from './join-gate.ts';
import { TurnBudget } from './turn-budget.ts';
import { FramePacer } from './frame-pacer.ts';
import { DirectMessages, type ClientUpdateObserver } from './direct-messages.ts';
import { UpdateRelay } from './update-relay.ts';
import type { ScrawlMetrics } from '../metrics.ts';
import { type Person, upgradePeople } from '../people/person.ts';
import { MessageType, encodeAuthFrame, encodeDocumentPrefix, readDocumentName, validateClientMessage } from './frames.ts';

/** Options of {@link SocketServer}. */
export interface SocketServerOptions {
  /** The Hocuspocus instance that owns the documents; both endpoints feed it (a getter: it is built after this). */
  hocuspocus: () => Hocuspocus;
  log: Logger;
  /** Largest accepted message; `ws` closes the socket with 1009 above it. */
  maxMessageBytes: number;
  /** Ping period; a socket silent for a whole period after a ping is dropped. */
  heartbeatMs: number;
  /** Abuse limits. */
  limits: Limits;
  /** Where counts go; null for none. */
  metrics: ScrawlMetrics | null;
  /** Origins allowed to open a WebSocket (browsers send one); null allows any. */
  allowedOrigins: string[] | null;
  /** Take the client address from X-Forwarded-For (behind a reverse proxy) instead of the TCP peer. */
  trustProxy: boolean;
  /**
   * Scrawl's own work on every client update, in Hocuspocus's hook order, for the direct path (see
   * direct-messages.ts); null sends every message through Hocuspocus's pipeline (an extension listens to per-message
   * hooks).
   */
  updateObservers: readonly ClientUpdateObserver[] | null;
}

/** What every Hocuspocus hook sees as `context` for a connection. */
export interface ConnectionContext {
  /** The endpoint the client connected to. */
  endpoint: Endpoint;
  /** The client's socket, so a hook can close it with a catalogued code. */
  socket: ClientSocket;
  /** Sign-in mode: who made the upgrade (their session cookie), read from {@link upgradePeople}; absent otherwise. */
  person?: Person;
  /** Sign-in mode: the store key of that session; signing out closes the connections made with it. */
  sessionKey?: string;
}

// What a client may send on each endpoint. BroadcastStateless (6) is server-internal, SyncStatus/Ping are server-only.
const SYNC_CLIENT_TYPES = [
  MessageType.sync,
  MessageType.awareness,
  MessageType.auth,
  MessageType.queryAwareness,
  MessageType.syncReply,
  MessageType.stateless,
  MessageType.close,
] as const;
const YJS_CLIENT_TYPES = [MessageType.sync, MessageType.awareness, MessageType.queryAwareness] as const;

const YJS_PATH = /^\/yjs\/([^/]+)$/;

/**
 * Admission (see JoinGate): clients joining at once; how long one may hold its place; how long one that has sent
 * nothing may. Four in flight keep event-loop turns short in a reconnect storm without making it last longer.
 */
const JOIN_GATE = { maxJoining: 4, slotMs: 250, quietMs: 50 };

/** Milliseconds of message handling per event-loop turn before the rest waits for the next turn (see TurnBudget). */
const MESSAGE_BUDGET_MS = 10;

/**
 * The WebSocket side of the server: accepts upgrades on `/sync` and `/yjs/:room`, checks every incoming frame, and
 * hands well-formed ones to Hocuspocus's own connection handling, so one document per room serves both protocols with
 * the same hooks, limits and store rule. Also runs the heartbeat and the graceful close.
 */
export class SocketServer {
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<ClientSocket>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly hocuspocus: () => Hocuspocus;
  private readonly log: Logger;
  private readonly pingFrame = new Uint8Array([MessageType.ping]);
  private readonly limits: Limits;
  private readonly metrics: ScrawlMetrics | null;
  private readonly allowedOrigins: string[] | null;
  private readonly trustProxy: boolean;
  private readonly upgradeLimiter: AddressLimiter;
  private readonly joinGate = new JoinGate<ClientSocket>(JOIN_GATE);
  /** Message handling per event-loop turn (see TurnBudget). */
  private readonly turnBudget = new TurnBudget(MESSAGE_BUDGET_MS);
  /** Frames past the turn's budget, handled in later turns in each socket's order. */
  private readonly pacer = new FramePacer<ClientSocket>(this.turnBudget, (socket, data, isBinary) => socket.handleFrame(data, isBinary));
  /** Updates handled without Hocuspocus's per-message pipeline; null when an extension needs that pipeline. */
  private readonly direct: DirectMessages | null;
  /**
   * Marks a socket established once Hocuspocus has connected one of its documents (ends its auth deadline and frees
   * its place at the join gate), and paces message handling.
   */
  readonly extension: Extension = {
    connected: async ({ context }: connectedPayload) => {
      const { socket } = context as ConnectionContext;
      socket.established = true;
      this.joinGate.release(socket);
    },
    // Hocuspocus chains hooks with then(): a hook may return nothing, which spares a promise per message when the
    // turn has budget left (the typing asks for a promise).
    beforeHandleMessage: (() => this.turnBudget.pace()) as Extension['beforeHandleMessage'],
  };

  constructor(options: SocketServerOptions) {
    this.hocuspocus = options.hocuspocus;
    this.log = options.log.child({ module: 'sockets' });
    this.limits = options.limits;
    this.metrics = options.metrics;
    this.allowedOrigins = options.allowedOrigins;
    this.trustProxy = options.trustProxy;
    this.direct = options.updateObservers ? new DirectMessages(options.updateObservers, new UpdateRelay(options.hocuspocus)) : null;
    this.upgradeLimiter = new AddressLimiter(options.limits.upgradesPerSecondPerAddress, options.limits.upgradeBurstPerAddress);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxMessageBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Upgrades waiting for a place at the join gate. */
  get joinsWaiting(): number {
    return this.joinGate.waitingCount;
  }

  /** Number of open client sockets, by endpoint. */
  counts(): Record<Endpoint, number> {
    const counts = { sync: 0, yjs: 0 };
    for (const socket of this.sockets) counts[socket.endpoint] += 1;
    return counts;
  }

  /**
   * Handles an HTTP upgrade. Returns false when the path is not a WebSocket endpoint (the caller answers 404). A bad
   * room id is refused with HTTP 400 before the upgrade, so nothing is created.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = URL.parse(request.url ?? '/', 'http://localhost');
    if (!url) {
      this.refuse(socket, 400, 'Bad Request', 'unreadable URL');
      return true;
    }
    if (url.pathname !== '/sync' && !url.pathname.startsWith('/yjs/')) return false;
    if (!isOriginAllowed(request, this.allowedOrigins)) {
      this.refuse(socket, 403, 'Forbidden', 'origin not allowed');
      return true;
    }
    if (!this.upgradeLimiter.allow(clientAddress(request, this.trustProxy))) {
      this.refuse(socket, 429, 'Too Many Requests', 'too many connection attempts; retry later');
      return true;
    }
    if (url.pathname === '/sync') {
      this.joinGate.enter(() => this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request, url, 'sync', null)));
      return true;
    }
    const match = YJS_PATH.exec(url.pathname);
    if (!match) return false;
    const room = roomIdFromPath(match[1]);
    if (room === null) {
      this.refuse(socket, 400, 'Bad Request', 'room ids match ^[A-Za-z0-9_-]{1,64}$');
      return true;
    }
    this.joinGate.enter(() => this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, request, url, 'yjs', room)));
    return true;
  }

  private refuse(socket: Duplex, status: number, statusText: string, body: string): void {
    this.metrics?.refusedUpgrades.inc({ status: String(status) });
    refuseUpgrade(socket, status, statusText, body);
  }

  /** Closes every client socket with `code` (1001 on shutdown). */
  closeAll(code: number, reason: string): void {
    for (const socket of this.sockets) socket.close(code, reason);
  }

  /** Stops the heartbeat and terminates what is left. */
  destroy(): void {
    clearInterval(this.heartbeat);
    for (const socket of this.sockets) socket.terminate();
  }

  private accept(ws: WebSocket, request: IncomingMessage, url: URL, endpoint: Endpoint, room: string | null): void {
    const prefix = room === null ? null : encodeDocumentPrefix(room);
    const socket = new ClientSocket(ws, endpoint, prefix, this.log, this.limits, this.metrics);
    const signedIn = upgradePeople.get(request);
    const context: ConnectionContext = signedIn ? { endpoint, socket, ...signedIn } : { endpoint, socket };
    const client = this.hocuspocus().handleConnection(socket, toHocuspocusRequest(request), context);
    this.sockets.add(socket);
    // A y-websocket client is heard from at once: the server sends its Auth frame for it (below).
    this.joinGate.hold(socket, endpoint === 'yjs');

    ws.on('pong', () => {
      socket.alive = true;
    });
    ws.on('error', (error) => socket.log.debug({ err: error }, 'socket error'));
    ws.on('close', (code, reason) => {
      this.sockets.delete(socket);
      // Frames received before the end still count, in order, before Hocuspocus hears of the end.
      this.pacer.flush(socket);
      this.joinGate.release(socket);
      socket.endTold = true;
      client.handleClose({ code, reason: reason.toString() });
    });
    const traffic = this.metrics?.traffic[endpoint];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      socket.alive = true;
      if (!socket.established) this.joinGate.heard(socket);
      if (traffic) {
        traffic.messagesIn += 1;
        traffic.bytesIn += data.byteLength;
      }
      const now = performance.now();
      if (!socket.messageBudget.take(1, now) || !socket.byteBudget.take(data.byteLength, now)) {
        const error = new ProtocolError(CloseCode.rateLimited, 'rate limit exceeded');
        socket.log.info({ code: error.code, reason: error.reason }, 'closing connection');
        socket.close(error.code, error.reason);
        return;
      }
      // Past this turn's budget, or behind frames that are: handled in a later turn, in order (see FramePacer).
      if (!this.pacer.offer(socket, data, isBinary)) socket.handleFrame(data, isBinary);
    });
    socket.handleFrame = (data: Buffer, isBinary: boolean) => {
      // A frame read after the server closed the socket (it refused an earlier one, or took access away) is not
      // handled: the close stands for everything after it.
      if (socket.closedByServer) return;
      try {
        if (!isBinary) throw new ProtocolError(CloseCode.badRequest, 'text frames are not part of the protocol');
        const frame = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        if (endpoint === 'sync') {
          // The provider's answer to our app-level ping: liveness only, never a Hocuspocus message.
          if (frame.byteLength === 1 && frame[0] === MessageType.pong) return;
          const decoder = decoding.createDecoder(frame);
          const name = readDocumentName(decoder);
          const bodyStart = decoder.pos;
          validateClientMessage(decoder, SYNC_CLIENT_TYPES);
          if (!this.handleDirectly(client, name, frame.subarray(bodyStart), true)) client.handleMessage(frame);
        } else {
          const type = validateClientMessage(decoding.createDecoder(frame), YJS_CLIENT_TYPES);
          if (type === MessageType.queryAwareness) this.answerQueryAwareness(socket, room!);
          else if (!this.handleDirectly(client, room!, frame, false)) client.handleMessage(concat(prefix!, frame));
        }
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        socket.log.info({ code: error.code, reason: error.reason }, 'closing connection');
        socket.close(error.code, error.reason);
      }
    };

    // A y-websocket client sends no Auth frame: send it on its behalf, with the token from the query string.
    if (endpoint === 'yjs') client.handleMessage(encodeAuthFrame(room!, url.searchParams.get('token') ?? ''));
  }

  /**
   * Offers a validated message to the direct path; false when Hocuspocus must handle it. A message the direct path
   * could not apply closes its connection, as Hocuspocus closes a connection whose message throws.
   */
  private handleDirectly(client: unknown, documentKey: string, body: Uint8Array, acknowledge: boolean): boolean {
    if (!this.direct) return false;
    try {
      return this.direct.handle(client, documentKey, body, acknowledge);
    } catch (error) {
      this.log.error({ err: error, room: documentKey }, 'a validated message could not be applied');
      throw new ProtocolError(CloseCode.serverError, 'the message could not be applied');
    }
  }

  /** y-websocket's query-awareness: Hocuspocus ignores it on sockets, so the adapter answers from the document. */
  private answerQueryAwareness(socket: ClientSocket, room: string): void {
    const document = this.hocuspocus().documents.get(room);
    if (!document || document.awareness.getStates().size === 0) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MessageType.awareness);
    encoding.writeVarUint8Array(
      encoder,
      encodeAwarenessUpdate(document.awareness, [...document.awareness.getStates().keys()]),
    );
    socket.transmit(encoding.toUint8Array(encoder));
  }

  /** One timer for every socket: drop the silent, ping the rest (ws ping, and Hocuspocus's own ping on /sync). */
  private beat(): void {
    const now = performance.now();
    this.upgradeLimiter.prune();
    for (const socket of this.sockets) {
      if (!socket.established && now - socket.openedAt > this.limits.authTimeoutMs) {
        socket.close(CloseCode.unauthenticated, 'no document opened in time');
        continue;
      }
      // Above the unsent-bytes bound at two heartbeats in a row: not a large sync in flight but a client not reading.
      const overBound = socket.ws.bufferedAmount > socket.bufferBound;
      if (overBound && socket.overBufferBound) {
        socket.cutOff();
        continue;
      }
      socket.overBufferBound = overBound;
      if (!socket.alive) {
        socket.log.debug('dropping a silent peer');
        socket.terminate();
        continue;
      }
      socket.alive = false;
      socket.ws.ping();
      // HocuspocusProvider reconnects after 30 s without a message; its ping answer also proves it is alive.
      if (socket.endpoint === 'sync') socket.transmit(this.pingFrame);
    }
  }
}

function concat(prefix: Uint8Array, frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.byteLength + frame.byteLength);
  out.set(prefix, 0);
  out.set(frame, prefix.byteLength);
  return out;
}

// Shared by every connection; see toHocuspocusRequest.
const NO_HEADERS = new Headers();

/**
 * What Hocuspocus keeps of the upgrade request for the connection's lifetime. It reads only `url` (for query
 * parameters) and `headers` (handed to hooks). A fetch Request with the upgrade's headers costs ~2.5 KB per idle
 * connection; Scrawl's hooks need neither headers nor more than the path and query (origin and tokens are checked at
 * the upgrade and in the Auth frame), so a path-only URL and one shared empty Headers serve.
 */
function toHocuspocusRequest(request: IncomingMessage): Request {
  return { url: request.url ?? '/', headers: NO_HEADERS } as unknown as Request;
}

/**
 * True when the request may proceed under the Origin allow-list: no list, no Origin header (not a browser; tokens
 * are what protect against those), or an Origin on the list.
 */
export function isOriginAllowed(request: IncomingMessage, allowedOrigins: string[] | null): boolean {
  const origin = request.headers.origin;
  return allowedOrigins === null || origin === undefined || allowedOrigins.includes(origin);
}

/** The client's address: the TCP peer, or behind a trusted proxy the first X-Forwarded-For entry. */
export function clientAddress(request: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? request.headers['x-forwarded-for'] : undefined;
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first || request.socket.remoteAddress || 'unknown';
}

/** Answers an upgrade request with a plain HTTP error and closes the TCP socket. */
export function refuseUpgrade(socket: Duplex, status: number, statusText: string, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
