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
 * pipeline; merging them would lose overwritten values on the receiving side, see relay-publisher.ts); the
 * state-vector exchange runs only when a document is loaded and after a Redis reconnect, to fill what pub/sub missed
 * meanwhile.
 *
 * Updates applied from Redis carry {@link REDIS_ORIGIN}: they are broadcast to this instance's clients but neither
 * re-published (onChange skips them) nor stored again (the store appends only client updates; the instance that
 * received the update from its client already appended it to the shared store).
 *
 * This module is the Hocuspocus extension and the Redis connections; the parts it wires together are
 * relay-wire.ts (the message format and channel names), relay-origin.ts (recognising changes from Redis),
 * relay-publisher.ts (outgoing document traffic), instance-presence.ts (heartbeats of the other instances, and
 * removing a dead instance's clients' cursors) and relay-closes.ts (closing connections on every instance).
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
import { applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { afterLoad, finishLoad } from '../persistence/deferred-load.ts';
import type { RoomCloser } from '../sync/close-room.ts';
import { silentLogger, type Logger } from '../log.ts';
import { isValidRoomId } from '../rooms.ts';
import { InstancePresence } from './instance-presence.ts';
import { REDIS_ORIGIN, isFromRedis, type RelayedAwarenessOrigin } from './relay-origin.ts';
import { RelayCloses } from './relay-closes.ts';
import { RelayPublisher } from './relay-publisher.ts';
import {
  EMPTY_PAYLOAD, RelayKind, decodeRelayMessage, encodeRelayMessage, relayChannels, type RelayChannels,
} from './relay-wire.ts';

/** See relay-origin.ts; re-exported so that importers of the relay (server/src/index.ts) keep their import path. */
export { REDIS_ORIGIN };

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
 * Hocuspocus extension relaying updates and awareness between instances through Redis. Call `open()` before serving
 * and `close()` after the server stopped. Both endpoints are covered because both feed the same Hocuspocus documents.
 */
export class RedisRelay implements Extension, RoomCloser {
  /** Before persistence (50): a relay hook never refuses anything, so the order only matters for latency. */
  priority = 900;
  /** This instance's id on the wire. */
  readonly instanceId: string;
  private readonly channels: RelayChannels;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly log: Logger;
  private readonly target: string;
  private readonly connectTimeoutMs: number;
  private readonly heartbeatMs: number;
  /** Shared with the publisher, which counts the published and failed messages in it. */
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
  private readonly publisher: RelayPublisher;
  private readonly presence: InstancePresence;
  private readonly closes: RelayCloses;
  private heartbeat: NodeJS.Timeout | undefined;
  private instance: Hocuspocus | null = null;
  private opened = false;
  private closed = false;

  constructor(options: RedisRelayOptions) {
    this.channels = relayChannels(options.prefix ?? 'scrawl');
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
    this.publisher = new RelayPublisher({
      pub: this.pub,
      instanceId: this.instanceId,
      channels: this.channels,
      log: this.log,
      counters: this.stats,
    });
    this.presence = new InstancePresence(this.documents, this.log);
    this.closes = new RelayCloses(this.documents, (kind, room, payload) => this.pub.publish(this.channels.presence, this.encode(kind, room, payload)), this.log);
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
      await this.sub.subscribe(this.channels.inbox(this.instanceId), this.channels.presence);
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
    this.publisher.close();
    // The removals of our clients' states went out as they left (just flushed); the goodbye also covers any that did
    // not, without the others waiting for our heartbeats to stop. Sent before QUIT on the same connection, so in order.
    if (this.pub.status === 'ready') this.pub.publish(this.channels.presence, this.encode(RelayKind.goodbye, '', EMPTY_PAYLOAD)).catch(() => {});
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
  }

  /** Closes the room's connections on this instance and, through the presence channel, on every other one. */
  closeRoomEverywhere(room: string, reason: string): void {
    this.closes.closeRoomEverywhere(room, reason);
  }

  /** Closes one person's connections to the room on this instance and on every other one. */
  closePersonEverywhere(room: string, email: string, reason: string): void {
    this.closes.closePersonEverywhere(room, email, reason);
  }

  /** Closes one session's connections on this instance and on every other one. */
  closeSessionEverywhere(sessionKey: string, reason: string): void {
    this.closes.closeSessionEverywhere(sessionKey, reason);
  }

  /** A copy of the relay's counters. */
  getStats(): RelayStats {
    return { ...this.stats, remoteClients: this.presence.remoteClientCount() };
  }

  /** Hocuspocus hook: keeps the Hocuspocus instance (nothing reads it yet; the unload hook gets it in its payload). */
  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    this.instance = instance;
  }

  /** Hocuspocus hook: subscribes to the room's channel and starts a state-vector exchange once its content is in. */
  async afterLoadDocument({ documentName, document }: afterLoadDocumentPayload): Promise<void> {
    this.documents.set(documentName, document);
    this.presence.trackRoom(documentName);
    // Not awaited when Redis is away: the document serves this instance's clients now, and the subscription (queued by
    // ioredis) plus the resync on reconnect bring the others' changes later.
    const subscribed = this.sub.subscribe(this.channels.room(documentName)).catch((error: unknown) => {
      this.log.warn({ room: documentName, err: (error as Error).message }, 'cannot subscribe; will resync on reconnect');
    });
    if (this.sub.status === 'ready') await subscribed;
    // The store was read before the subscription started: updates relayed in between, and updates of an instance
    // that died after storing but before relaying, are exchanged now as state-vector diffs, once the document holds
    // its stored state (a room loaded from a snapshot may answer its first joiners before applying it).
    afterLoad(document, () => {
      if (this.documents.get(documentName) !== document) return;
      this.publisher.publish(this.channels.room(documentName), RelayKind.syncRequest, documentName, Y.encodeStateVector(document));
    });
  }

  /** Hocuspocus hook: forgets the room and leaves its channel, unless it was loaded again meanwhile. */
  async afterUnloadDocument({ documentName, instance }: afterUnloadDocumentPayload): Promise<void> {
    // A fast reconnect may have loaded the room again already; its subscription must stay.
    if (instance.documents.has(documentName) || instance.loadingDocuments.has(documentName)) return;
    this.documents.delete(documentName);
    this.presence.forgetRoom(documentName);
    this.sub.unsubscribe(this.channels.room(documentName)).catch(() => {
      // Redis is away; the subscription died with the connection and is not restored for an unloaded room.
    });
  }

  /** Hocuspocus hook: queues a client's update for publishing; updates from Redis are not published again. */
  async onChange({ documentName, document, update, transactionOrigin }: onChangePayload): Promise<void> {
    if (isFromRedis(transactionOrigin)) return;
    this.publisher.queueUpdate(documentName, document, update);
  }

  /** Hocuspocus hook: keeps the presence books, and queues this instance's awareness changes for publishing. */
  async onAwarenessUpdate({
    documentName,
    document,
    added,
    updated,
    removed,
    transactionOrigin,
  }: onAwarenessUpdatePayload): Promise<void> {
    this.presence.attribute(documentName, document, [...added, ...updated], removed, transactionOrigin);
    if (isFromRedis(transactionOrigin)) return;
    // Removals too, even when the leaving client was the last one here: the others must drop its cursor now.
    this.publisher.queueAwareness(documentName, document, [...added, ...updated, ...removed]);
  }

  /** Hocuspocus hook: the server is going away, so is the relay. */
  async onDestroy(): Promise<void> {
    await this.close();
  }

  /** Every `heartbeatMs`: tells the others we are alive, and counts a beat of the others' silence. */
  private beat(): void {
    // A heartbeat that cannot go out is not retried: the next one follows within a period.
    if (this.pub.status === 'ready') this.pub.publish(this.channels.presence, this.encode(RelayKind.heartbeat, '', EMPTY_PAYLOAD)).catch(() => {});
    // While our subscriber is down we hear nobody, which says nothing about them: their cursors stay as they are.
    if (this.sub.status !== 'ready') return;
    this.presence.countBeat();
  }

  /** A message from this instance (heartbeat, goodbye, close messages: the ones published outside the publisher). */
  private encode(kind: RelayKind, room: string, payload: Uint8Array): Buffer {
    return encodeRelayMessage(kind, this.instanceId, room, payload);
  }

  private receive(_channel: Buffer, data: Buffer): void {
    const message = decodeRelayMessage(data);
    if (!message) {
      this.log.warn({ bytes: data.byteLength }, 'unreadable relay message ignored');
      return;
    }
    const { kind, sender, room, payload } = message;
    // Redis delivers our own publishes back to us.
    if (sender === this.instanceId) return;
    if (kind === RelayKind.goodbye) return this.presence.instanceGone(sender, 'goodbye');
    // Any message is a sign of life; a heartbeat is only that.
    this.presence.heardFrom(sender);
    if (kind === RelayKind.heartbeat || this.closes.receive(kind, room, payload)) return;
    // Every other kind names a room: the same rule as a client's frame (a room id, nothing else), so a message from
    // something other than a Scrawl instance on the channel can never address a document by another name.
    if (!isValidRoomId(room)) {
      this.log.warn({ kind, bytes: data.byteLength }, 'relay message for an invalid room id ignored');
      return;
    }
    const document = this.documents.get(room);
    if (!document) return;
    this.stats.receivedMessages += 1;
    this.stats.receivedBytes += data.byteLength;
    try {
      // Everything but awareness reads or changes the content, which a room just loaded may not hold yet.
      if (kind !== RelayKind.awareness) finishLoad(document);
      switch (kind) {
        case RelayKind.update:
          Y.applyUpdate(document, payload, REDIS_ORIGIN);
          break;
        case RelayKind.awareness:
          applyAwarenessUpdate(document.awareness, payload, { source: 'redis', instanceId: sender } satisfies RelayedAwarenessOrigin);
          break;
        case RelayKind.syncRequest: {
          const inbox = this.channels.inbox(sender);
          this.publisher.publish(inbox, RelayKind.update, room, Y.encodeStateAsUpdate(document, payload));
          this.publisher.publish(inbox, RelayKind.syncAnswer, room, Y.encodeStateVector(document));
          // Only our own clients' states: every instance with the room answers for its own, so each state arrives from
          // the instance its client is on, and goes when that instance goes.
          const clients = this.presence.ownClients(room, document.awareness);
          if (clients.length > 0) this.publisher.publish(inbox, RelayKind.awareness, room, encodeAwarenessUpdate(document.awareness, clients));
          break;
        }
        case RelayKind.syncAnswer:
          this.publisher.publish(this.channels.inbox(sender), RelayKind.update, room, Y.encodeStateAsUpdate(document, payload));
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
      const rooms = [...this.documents.keys()].map((r) => this.channels.room(r));
      await this.sub.subscribe(this.channels.inbox(this.instanceId), this.channels.presence, ...rooms).catch(() => {
        // Lost the connection again; the next 'ready' tries once more.
      });
      this.presence.forgiveSilence();
    }
    if (this.pub.status !== 'ready' || this.sub.status !== 'ready') return;
    this.stats.resyncs += 1;
    this.log.info({ rooms: this.documents.size }, 'redis reconnected: resyncing rooms');
    for (const [room, document] of this.documents) {
      finishLoad(document);
      this.publisher.publish(this.channels.room(room), RelayKind.syncRequest, room, Y.encodeStateVector(document));
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
