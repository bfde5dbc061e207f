/**
 * Scale-out: instances relay document updates and awareness through Redis pub/sub. Why our own extension rather than
 * @hocuspocus/extension-redis 4.7.0 (measured with three instances on this machine, see docs/scaling.md):
 * - awareness removals were lost whenever the leaving client was the last one of its instance (the extension drops a
 *   pending awareness publish once the document has no connections), so its cursor stayed on the others' screens
 *   until the 30 s awareness timeout;
 * - every awareness message was echoed back by each receiving instance (no origin check), N-1 extra publishes;
 * - every change cost 7 messages with 3 instances (a state vector, then per peer a state vector and two diffs back
 *   and forth, each diff carrying the document's whole delete set): O(document) work per keystroke on every instance;
 * - its Redis lock around onStoreDocument guards a store write we do not do there (the PostgreSQL store locks its own
 *   compaction) and fails compaction while Redis is down.
 * Here an update crosses as itself, once, in one message (a document's messages of one event-loop turn go out in one
 * pipeline; merging them would lose overwritten values on the receiving side, see flush()); the state-vector exchange
 * runs only when a document is loaded and after a Redis reconnect, to fill what pub/sub missed meanwhile.
 *
 * Updates applied from Redis carry {@link REDIS_ORIGIN}: they are broadcast to this instance's clients but neither
 * re-published (onChange skips them) nor stored again (the store appends only client updates; the instance that
 * received the update from its client already appended it to the shared store).
 *
 * Presence of a dead instance: a client's awareness removal is relayed when it leaves, but an instance killed with
 * `kill -9` (or a lost machine) sends nothing, and its clients' cursors would stay on the others' screens until the
 * y-protocols awareness timeout (30 s). So every instance publishes a heartbeat every `heartbeatMs` (and a goodbye
 * when it closes), each relay remembers per room which awareness states came from which instance, and when an
 * instance falls silent for {@link SILENT_BEATS} beats (or says goodbye) the states of its clients are removed here,
 * which broadcasts the removal to this instance's clients at once. Every instance removes them on its own, so such a
 * removal is not published again (it carries {@link REDIS_ORIGIN}, which onAwarenessUpdate skips).
 */
import { randomUUID } from 'node:crypto';
import type {
  Document,
  Extension,
  Hocuspocus,
  afterLoadDocumentPayload,
  afterUnloadDocumentPayload,
  onAwarenessUpdatePayload,
  onChangePayload,
  onConfigurePayload,
} from '@hocuspocus/server';
import { Redis } from 'ioredis';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { afterLoad, finishLoad } from '../persistence/deferred-load.ts';
import { closePersonConnections, closeRoomConnections, type RoomCloser } from '../sync/close-room.ts';
import { silentLogger, type Logger } from '../log.ts';
import { isValidRoomId } from '../rooms.ts';

/** Options of {@link RedisRelay}. */
export interface RedisRelayOptions {
  /** A `redis://` or `rediss://` URL (REDIS_URL). Its password never appears in errors or logs. */
  url: string;
  /**
   * Prefix of every channel, default `scrawl`. Deployments (or test runs) sharing one Redis stay apart by using
   * different prefixes; every instance of one deployment must use the same.
   */
  prefix?: string;
  /** This instance's id on the wire, default a random UUID. Messages carrying it are ignored when they come back. */
  instanceId?: string;
  /** Structured logger; silent by default. */
  logger?: Logger;
  /** How long `open()` waits for Redis before giving up, default 5000 ms. */
  connectTimeoutMs?: number;
  /**
   * How often this instance tells the others it is alive, default 1000 ms. An instance not heard from for three of
   * these periods is taken for dead and its clients' cursors are removed from this instance's rooms: 1-3 s after a
   * `kill -9` with the default, instead of the 30 s awareness timeout. Shorter clears them sooner but takes an
   * instance whose event loop stalls for more than two periods for dead (its clients' cursors reappear at their next
   * move); each heartbeat is one ~40-byte message to every instance. Use the same value on every instance: each
   * judges the others by its own period.
   */
  heartbeatMs?: number;
}

/** Counters for /metrics and the benchmarks. */
export interface RelayStats {
  /** Messages and bytes published (updates, awareness, sync exchange). */
  publishedMessages: number;
  publishedBytes: number;
  /** Messages from other instances applied here. */
  receivedMessages: number;
  receivedBytes: number;
  /** Publishes that failed (Redis unreachable); a resync after reconnecting fills the gap. */
  failedPublishes: number;
  /** State-vector exchanges started after a Redis reconnect. */
  resyncs: number;
  /** Awareness states of other instances' clients held now, over all loaded rooms (removed when their instance goes). */
  remoteClients: number;
}

/** Thrown by `open()` when Redis cannot be reached; the message names it. */
export class RelayUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RelayUnavailableError';
  }
}

/**
 * The transaction origin of document updates applied from Redis (Hocuspocus's own `RedisTransactionOrigin` shape),
 * and of the removals of a dead instance's clients. Awareness applied from Redis carries the same `source` plus the
 * sending `instanceId` (to know whose clients they are), so test `source === 'redis'` rather than identity.
 */
export const REDIS_ORIGIN = Object.freeze({ source: 'redis' as const });

/** The origin of awareness applied from Redis: {@link REDIS_ORIGIN}'s shape and the instance the states live on. */
interface RelayedAwarenessOrigin {
  source: 'redis';
  instanceId: string;
}

/**
 * Heartbeat periods (of the receiving instance) without a word from an instance after which it is taken for dead.
 * Counted in beats rather than measured in time, so that a stall of our own event loop counts once (an interval does
 * not catch up), not as the others' silence.
 */
const SILENT_BEATS = 3;

/** Kinds of relay message. */
const Kind = {
  /** A Yjs update: apply it. */
  update: 0,
  /** An awareness update (including removals): apply it. */
  awareness: 1,
  /** A state vector from an instance that (re)joined: answer with the diff, our state vector and our awareness. */
  syncRequest: 2,
  /** A state vector answering a sync request: answer with the diff only. */
  syncAnswer: 3,
  /** The sender is alive (on the presence channel, every `heartbeatMs`; no room, no payload). */
  heartbeat: 4,
  /** The sender is closing: remove its clients' awareness states now (on the presence channel). */
  goodbye: 5,
  /** A board went to the trash or was deleted: close the room's connections here too (presence channel; payload: reason). */
  closeRoom: 6,
  /**
   * Sign-in mode: a person's access to a board was revoked or lowered: close their connections to the room here too
   * (presence channel; payload: the email, a NUL, the reason).
   */
  closePerson: 7,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

interface PendingPublish {
  document: Document;
  updates: Uint8Array[];
  awarenessClients: Set<number>;
}

const isFromRedis = (origin: unknown) =>
  origin === REDIS_ORIGIN || (typeof origin === 'object' && origin !== null && (origin as { source?: unknown }).source === 'redis');

/** The instance a relayed awareness change came from; undefined for anything else. */
const relayedBy = (origin: unknown): string | undefined =>
  isFromRedis(origin) ? (origin as Partial<RelayedAwarenessOrigin>).instanceId : undefined;

const EMPTY = new Uint8Array(0);

/**
 * Hocuspocus extension relaying updates and awareness between instances through Redis. Call `open()` before serving
 * and `close()` after the server stopped. Both endpoints are covered because both feed the same Hocuspocus documents.
 */
export class RedisRelay implements Extension, RoomCloser {
  /** Before persistence (50): a relay hook never refuses anything, so the order only matters for latency. */
  priority = 900;
  /** This instance's id on the wire. */
  readonly instanceId: string;
  private readonly prefix: string;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly log: Logger;
  private readonly target: string;
  private readonly connectTimeoutMs: number;
  private readonly heartbeatMs: number;
  private readonly stats: Omit<RelayStats, 'remoteClients'> = {
    publishedMessages: 0,
    publishedBytes: 0,
    receivedMessages: 0,
    receivedBytes: 0,
    failedPublishes: 0,
    resyncs: 0,
  };
  /** Loaded documents by room, set before subscribing so no message for a loading document is dropped. */
  private readonly documents = new Map<string, Document>();
  private readonly pending = new Map<string, PendingPublish>();
  /**
   * Per loaded room, the instance each awareness state received from Redis lives on (client id -> instance id), so
   * that a dead instance's clients can be removed. Created and dropped with the room's entry in `documents`.
   */
  private readonly remoteClients = new Map<string, Map<number, string>>();
  /** Other instances heard from, with the heartbeats of ours since they last said anything. */
  private readonly silentBeats = new Map<string, number>();
  private heartbeat: NodeJS.Timeout | undefined;
  private instance: Hocuspocus | null = null;
  private opened = false;
  private closed = false;

  constructor(options: RedisRelayOptions) {
    this.prefix = options.prefix ?? 'scrawl';
    this.instanceId = options.instanceId ?? randomUUID();
    this.log = (options.logger ?? silentLogger).child({ module: 'redis-relay' });
    this.target = describeRedis(options.url);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.heartbeatMs = options.heartbeatMs ?? 1_000;
    // Publishes fail at once while Redis is away instead of queueing without bound; the resync after reconnecting
    // sends what they carried. Subscriptions are restored by ioredis itself (autoResubscribe).
    // Named so operators (and tests) can find an instance's connections in CLIENT LIST.
    const name = (role: string) => `scrawl-${role}-${this.instanceId}`;
    this.pub = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectionName: name('pub'),
    });
    this.sub = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: null, connectionName: name('sub') });
    for (const [name, client] of [['pub', this.pub], ['sub', this.sub]] as const) {
      client.on('error', (error: Error) => this.log.warn({ client: name, err: error.message }, 'redis connection error'));
      client.on('ready', () => {
        if (this.opened && !this.closed) void this.resyncAll(name);
      });
    }
    this.sub.on('messageBuffer', (channel: Buffer, data: Buffer) => this.receive(channel, data));
  }

  /**
   * Connects to Redis, listens on this instance's inbox and the presence channel, and starts the heartbeat. Rejects
   * with an error naming Redis when unreachable.
   */
  async open(): Promise<void> {
    const timeout = new Promise<never>((_, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([Promise.all([this.pub.connect(), this.sub.connect()]), timeout]);
      await this.sub.subscribe(this.inboxChannel(this.instanceId), this.presenceChannel());
    } catch (error) {
      this.pub.disconnect();
      this.sub.disconnect();
      throw new RelayUnavailableError(`cannot connect to Redis at ${this.target} (REDIS_URL): ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.opened = true;
    // Unref'd: the heartbeat alone never keeps a process alive.
    this.heartbeat = setInterval(() => this.beat(), this.heartbeatMs).unref();
    this.log.info({ redis: this.target, instanceId: this.instanceId }, 'relay connected');
  }

  /** Sends what is pending, says goodbye to the other instances and disconnects. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const room of [...this.pending.keys()]) this.flush(room);
    // The removals of our clients' states went out as they left (just flushed); the goodbye also covers any that did
    // not, without the others waiting for our heartbeats to stop. Sent before QUIT on the same connection, so in order.
    if (this.pub.status === 'ready') this.pub.publish(this.presenceChannel(), this.encode(Kind.goodbye, '', EMPTY)).catch(() => {});
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
  }

  /** Closes the room's connections on this instance and, through the presence channel, on every other one. */
  closeRoomEverywhere(room: string, reason: string): void {
    closeRoomConnections(this.documents.get(room), reason);
    const message = this.encode(Kind.closeRoom, room, new TextEncoder().encode(reason));
    this.pub.publish(this.presenceChannel(), message).catch((error: unknown) => {
      // The others still refuse the board's next connections (they read the shared catalog); only open ones stay.
      this.log.warn({ room, err: (error as Error).message }, 'cannot tell the other instances to close a room');
    });
  }

  /** Closes one person's connections to the room on this instance and, through the presence channel, on every other one. */
  closePersonEverywhere(room: string, email: string, reason: string): void {
    closePersonConnections(this.documents.get(room), email, reason);
    const message = this.encode(Kind.closePerson, room, new TextEncoder().encode(`${email}\0${reason}`));
    this.pub.publish(this.presenceChannel(), message).catch((error: unknown) => {
      // The others still refuse the person's next connection (they read the shared access records); open ones stay.
      this.log.warn({ room, err: (error as Error).message }, "cannot tell the other instances to close a person's connections");
    });
  }

  /** A copy of the relay's counters. */
  getStats(): RelayStats {
    let remoteClients = 0;
    for (const owners of this.remoteClients.values()) remoteClients += owners.size;
    return { ...this.stats, remoteClients };
  }

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    this.instance = instance;
  }

  async afterLoadDocument({ documentName, document }: afterLoadDocumentPayload): Promise<void> {
    this.documents.set(documentName, document);
    this.remoteClients.set(documentName, new Map());
    // Not awaited when Redis is away: the document serves this instance's clients now, and the subscription (queued by
    // ioredis) plus the resync on reconnect bring the others' changes later.
    const subscribed = this.sub.subscribe(this.roomChannel(documentName)).catch((error: unknown) => {
      this.log.warn({ room: documentName, err: (error as Error).message }, 'cannot subscribe; will resync on reconnect');
    });
    if (this.sub.status === 'ready') await subscribed;
    // The store was read before the subscription started: updates relayed in between, and updates of an instance
    // that died after storing but before relaying, are exchanged now as state-vector diffs, once the document holds
    // its stored state (a room loaded from a snapshot may answer its first joiners before applying it).
    afterLoad(document, () => {
      if (this.documents.get(documentName) !== document) return;
      this.publish(this.roomChannel(documentName), Kind.syncRequest, documentName, Y.encodeStateVector(document));
    });
  }

  async afterUnloadDocument({ documentName, instance }: afterUnloadDocumentPayload): Promise<void> {
    // A fast reconnect may have loaded the room again already; its subscription must stay.
    if (instance.documents.has(documentName) || instance.loadingDocuments.has(documentName)) return;
    this.documents.delete(documentName);
    this.remoteClients.delete(documentName);
    this.sub.unsubscribe(this.roomChannel(documentName)).catch(() => {
      // Redis is away; the subscription died with the connection and is not restored for an unloaded room.
    });
  }

  async onChange({ documentName, document, update, transactionOrigin }: onChangePayload): Promise<void> {
    if (isFromRedis(transactionOrigin)) return;
    this.pendingFor(documentName, document).updates.push(update);
  }

  async onAwarenessUpdate({
    documentName,
    document,
    added,
    updated,
    removed,
    transactionOrigin,
  }: onAwarenessUpdatePayload): Promise<void> {
    this.attribute(documentName, document, [...added, ...updated], removed, transactionOrigin);
    if (isFromRedis(transactionOrigin)) return;
    // Removals too, even when the leaving client was the last one here: the others must drop its cursor now.
    const pending = this.pendingFor(documentName, document);
    for (const clientId of [...added, ...updated, ...removed]) pending.awarenessClients.add(clientId);
  }

  async onDestroy(): Promise<void> {
    await this.close();
  }

  private roomChannel(room: string): string {
    return `${this.prefix}:room:${room}`;
  }

  private inboxChannel(instanceId: string): string {
    return `${this.prefix}:inbox:${instanceId}`;
  }

  /**
   * Heartbeats and goodbyes go on the channel named by the prefix itself, beside rather than under the `prefix:` room
   * and inbox channels: a `PSUBSCRIBE prefix:*` (scaleout.test.ts counts what one change costs that way) then sees
   * the relay's document traffic without the heartbeat ticking through it.
   */
  private presenceChannel(): string {
    return this.prefix;
  }

  /**
   * Keeps `remoteClients` current after an awareness change in `room`: a state received from Redis belongs to the
   * instance that sent it; a state set here (by one of our connections) is ours, the client having moved instances;
   * a removed state is forgotten, whoever removed it.
   */
  private attribute(room: string, document: Document, changed: number[], removed: number[], origin: unknown): void {
    // Hooks run after the change, a microtask or more later: a document unloaded meanwhile must leave nothing behind.
    const owners = this.documents.get(room) === document ? this.remoteClients.get(room) : undefined;
    if (!owners) return;
    const sender = relayedBy(origin);
    for (const clientId of changed) {
      if (sender === undefined) owners.delete(clientId);
      else owners.set(clientId, sender);
    }
    for (const clientId of removed) owners.delete(clientId);
  }

  /** Every `heartbeatMs`: tells the others we are alive, and takes those silent for {@link SILENT_BEATS} beats for dead. */
  private beat(): void {
    // A heartbeat that cannot go out is not retried: the next one follows within a period.
    if (this.pub.status === 'ready') this.pub.publish(this.presenceChannel(), this.encode(Kind.heartbeat, '', EMPTY)).catch(() => {});
    // While our subscriber is down we hear nobody, which says nothing about them: their cursors stay as they are.
    if (this.sub.status !== 'ready') return;
    for (const [instanceId, beats] of this.silentBeats) {
      if (beats + 1 >= SILENT_BEATS) this.instanceGone(instanceId, 'silent');
      else this.silentBeats.set(instanceId, beats + 1);
    }
  }

  /** Removes the awareness states of `instanceId`'s clients from every loaded room, which tells our clients at once. */
  private instanceGone(instanceId: string, reason: 'silent' | 'goodbye'): void {
    this.silentBeats.delete(instanceId);
    let removed = 0;
    for (const [room, owners] of this.remoteClients) {
      const clients = [...owners].filter(([, owner]) => owner === instanceId).map(([clientId]) => clientId);
      if (clients.length === 0) continue;
      for (const clientId of clients) owners.delete(clientId);
      // Broadcast to our clients like any awareness change. REDIS_ORIGIN: every instance removes them itself, so it is
      // not published (onAwarenessUpdate). It keeps their clocks (y-protocols bumps only an awareness's own client's),
      // so their next state, sent through whichever instance they reconnect to, is news everywhere.
      removeAwarenessStates(this.documents.get(room)!.awareness, clients, REDIS_ORIGIN);
      removed += clients.length;
    }
    this.log.info({ instance: instanceId, reason, removedClients: removed }, 'instance gone');
  }

  /** Collects a document's publishes of one event-loop turn, to send them in one pipeline. */
  private pendingFor(room: string, document: Document): PendingPublish {
    let pending = this.pending.get(room);
    if (pending && pending.document !== document) {
      // The room was unloaded and loaded again within one turn: send what the old document had first.
      this.flush(room);
      pending = undefined;
    }
    if (!pending) {
      pending = { document, updates: [], awarenessClients: new Set() };
      this.pending.set(room, pending);
      setImmediate(() => this.flush(room));
    }
    return pending;
  }

  private flush(room: string): void {
    const pending = this.pending.get(room);
    if (!pending) return;
    this.pending.delete(room);
    // Every update crosses as itself, never merged with the others of its turn: the receiving instance applies a
    // message as one transaction, and a value set by one update and overwritten by the next within that transaction
    // would be garbage-collected before its clients saw it (they would skip a dragged shape's intermediate positions,
    // which the writer's own instance relays one by one). One pipeline keeps it one write to Redis per turn.
    const messages = pending.updates.map((update) => this.encode(Kind.update, room, update));
    if (pending.awarenessClients.size > 0) {
      const awareness = pending.document.awareness;
      messages.push(this.encode(Kind.awareness, room, encodeAwarenessUpdate(awareness, [...pending.awarenessClients])));
    }
    this.send(this.roomChannel(room), room, messages);
  }

  private encode(kind: Kind, room: string, payload: Uint8Array): Buffer {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, kind);
    encoding.writeVarString(encoder, this.instanceId);
    encoding.writeVarString(encoder, room);
    encoding.writeVarUint8Array(encoder, payload);
    return Buffer.from(encoding.toUint8Array(encoder));
  }

  private publish(channel: string, kind: Kind, room: string, payload: Uint8Array): void {
    this.send(channel, room, [this.encode(kind, room, payload)]);
  }

  /** Publishes `messages` to `channel` in order; several go in one pipeline. */
  private send(channel: string, room: string, messages: Buffer[]): void {
    if (messages.length === 0 || (this.closed && this.pub.status !== 'ready')) return;
    for (const message of messages) {
      this.stats.publishedMessages += 1;
      this.stats.publishedBytes += message.byteLength;
    }
    // The resync after Redis comes back sends what failed messages carried.
    const failed = (count: number, error: unknown) => {
      this.stats.failedPublishes += count;
      this.log.debug({ room, err: (error as Error).message }, 'publish failed');
    };
    if (messages.length === 1) {
      this.pub.publish(channel, messages[0]).catch((error: unknown) => failed(1, error));
      return;
    }
    const pipeline = this.pub.pipeline();
    for (const message of messages) pipeline.publish(channel, message);
    pipeline
      .exec()
      .then((results) => {
        for (const [error] of results ?? []) if (error) failed(1, error);
      })
      .catch((error: unknown) => failed(messages.length, error));
  }

  private receive(_channel: Buffer, data: Buffer): void {
    let kind: number;
    let sender: string;
    let room: string;
    let payload: Uint8Array;
    try {
      const decoder = decoding.createDecoder(data);
      kind = decoding.readVarUint(decoder);
      sender = decoding.readVarString(decoder);
      room = decoding.readVarString(decoder);
      payload = decoding.readVarUint8Array(decoder);
    } catch {
      this.log.warn({ bytes: data.byteLength }, 'unreadable relay message ignored');
      return;
    }
    // Redis delivers our own publishes back to us.
    if (sender === this.instanceId) return;
    if (kind === Kind.goodbye) return this.instanceGone(sender, 'goodbye');
    // Any message is a sign of life; a heartbeat is only that.
    this.silentBeats.set(sender, 0);
    if (kind === Kind.heartbeat) return;
    // Every other kind names a room: the same rule as a client's frame (a room id, nothing else), so a message from
    // something other than a Scrawl instance on the channel can never address a document by another name.
    if (!isValidRoomId(room)) {
      this.log.warn({ kind, bytes: data.byteLength }, 'relay message for an invalid room id ignored');
      return;
    }
    if (kind === Kind.closeRoom) return closeRoomConnections(this.documents.get(room), new TextDecoder().decode(payload));
    if (kind === Kind.closePerson) {
      const [email, reason] = new TextDecoder().decode(payload).split('\0');
      return closePersonConnections(this.documents.get(room), email, reason ?? '');
    }
    const document = this.documents.get(room);
    if (!document) return;
    this.stats.receivedMessages += 1;
    this.stats.receivedBytes += data.byteLength;
    try {
      // Everything but awareness reads or changes the content, which a room just loaded may not hold yet.
      if (kind !== Kind.awareness) finishLoad(document);
      switch (kind) {
        case Kind.update:
          Y.applyUpdate(document, payload, REDIS_ORIGIN);
          break;
        case Kind.awareness:
          applyAwarenessUpdate(document.awareness, payload, { source: 'redis', instanceId: sender } satisfies RelayedAwarenessOrigin);
          break;
        case Kind.syncRequest: {
          const inbox = this.inboxChannel(sender);
          this.publish(inbox, Kind.update, room, Y.encodeStateAsUpdate(document, payload));
          this.publish(inbox, Kind.syncAnswer, room, Y.encodeStateVector(document));
          // Only our own clients' states: every instance with the room answers for its own, so each state arrives from
          // the instance its client is on, and goes when that instance goes.
          const remote = this.remoteClients.get(room);
          const clients = [...document.awareness.getStates().keys()].filter((clientId) => !remote?.has(clientId));
          if (clients.length > 0) this.publish(inbox, Kind.awareness, room, encodeAwarenessUpdate(document.awareness, clients));
          break;
        }
        case Kind.syncAnswer:
          this.publish(this.inboxChannel(sender), Kind.update, room, Y.encodeStateAsUpdate(document, payload));
          break;
        default:
          this.log.warn({ kind, room }, 'unknown relay message kind ignored');
      }
    } catch (error) {
      // One bad message must not stop the relay; every instance validated what its clients sent before relaying it.
      this.log.error({ room, kind, err: error }, 'relay message could not be applied');
    }
  }

  /** After a reconnect, exchange state vectors for every loaded room to fill what pub/sub dropped meanwhile. */
  private async resyncAll(client: 'pub' | 'sub'): Promise<void> {
    if (client === 'sub') {
      // Explicitly, before asking: the answers come to the inbox, which must be listened to again first.
      const rooms = [...this.documents.keys()].map((r) => this.roomChannel(r));
      await this.sub.subscribe(this.inboxChannel(this.instanceId), this.presenceChannel(), ...rooms).catch(() => {
        // Lost the connection again; the next 'ready' tries once more.
      });
      // We were deaf, not they silent: the others (reconnecting too, on their own backoff) get their full allowance.
      for (const instanceId of this.silentBeats.keys()) this.silentBeats.set(instanceId, 0);
    }
    if (this.pub.status !== 'ready' || this.sub.status !== 'ready') return;
    this.stats.resyncs += 1;
    this.log.info({ rooms: this.documents.size }, 'redis reconnected: resyncing rooms');
    for (const [room, document] of this.documents) {
      finishLoad(document);
      this.publish(this.roomChannel(room), Kind.syncRequest, room, Y.encodeStateVector(document));
    }
  }
}

/** `host:port` of a Redis URL, without credentials. */
function describeRedis(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '6379'}`;
  } catch {
    return '(unparseable REDIS_URL)';
  }
}
