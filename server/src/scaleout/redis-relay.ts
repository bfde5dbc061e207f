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
 * re-published (onChange skips them) nor stored again (the store appends in `beforeSync`, which only client messages
 * reach; the instance that received the update from its client already appended it to the shared store).
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
import { applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { silentLogger, type Logger } from '../log.ts';

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
}

/** Thrown by `open()` when Redis cannot be reached; the message names it. */
export class RelayUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RelayUnavailableError';
  }
}

/** The transaction origin of everything applied from Redis (Hocuspocus's own `RedisTransactionOrigin` shape). */
export const REDIS_ORIGIN = Object.freeze({ source: 'redis' as const });

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
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

interface PendingPublish {
  document: Document;
  updates: Uint8Array[];
  awarenessClients: Set<number>;
}

const isFromRedis = (origin: unknown) =>
  origin === REDIS_ORIGIN || (typeof origin === 'object' && origin !== null && (origin as { source?: unknown }).source === 'redis');

/**
 * Hocuspocus extension relaying updates and awareness between instances through Redis. Call `open()` before serving
 * and `close()` after the server stopped. Both endpoints are covered because both feed the same Hocuspocus documents.
 */
export class RedisRelay implements Extension {
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
  private readonly stats: RelayStats = {
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
  private instance: Hocuspocus | null = null;
  private opened = false;
  private closed = false;

  constructor(options: RedisRelayOptions) {
    this.prefix = options.prefix ?? 'scrawl';
    this.instanceId = options.instanceId ?? randomUUID();
    this.log = (options.logger ?? silentLogger).child({ module: 'redis-relay' });
    this.target = describeRedis(options.url);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
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

  /** Connects to Redis and listens on this instance's inbox. Rejects with an error naming Redis when unreachable. */
  async open(): Promise<void> {
    const timeout = new Promise<never>((_, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([Promise.all([this.pub.connect(), this.sub.connect()]), timeout]);
      await this.sub.subscribe(this.inboxChannel(this.instanceId));
    } catch (error) {
      this.pub.disconnect();
      this.sub.disconnect();
      throw new RelayUnavailableError(`cannot connect to Redis at ${this.target} (REDIS_URL): ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.opened = true;
    this.log.info({ redis: this.target, instanceId: this.instanceId }, 'relay connected');
  }

  /** Sends what is pending and disconnects. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const room of [...this.pending.keys()]) this.flush(room);
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
  }

  /** A copy of the relay's counters. */
  getStats(): RelayStats {
    return { ...this.stats };
  }

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    this.instance = instance;
  }

  async afterLoadDocument({ documentName, document }: afterLoadDocumentPayload): Promise<void> {
    this.documents.set(documentName, document);
    // Not awaited when Redis is away: the document serves this instance's clients now, and the subscription (queued by
    // ioredis) plus the resync on reconnect bring the others' changes later.
    const subscribed = this.sub.subscribe(this.roomChannel(documentName)).catch((error: unknown) => {
      this.log.warn({ room: documentName, err: (error as Error).message }, 'cannot subscribe; will resync on reconnect');
    });
    if (this.sub.status === 'ready') await subscribed;
    // The store was read before the subscription started: updates relayed in between, and updates of an instance
    // that died after storing but before relaying, are exchanged now as state-vector diffs.
    this.publish(this.roomChannel(documentName), Kind.syncRequest, documentName, Y.encodeStateVector(document));
  }

  async afterUnloadDocument({ documentName, instance }: afterUnloadDocumentPayload): Promise<void> {
    // A fast reconnect may have loaded the room again already; its subscription must stay.
    if (instance.documents.has(documentName) || instance.loadingDocuments.has(documentName)) return;
    this.documents.delete(documentName);
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
    const document = this.documents.get(room);
    if (!document) return;
    this.stats.receivedMessages += 1;
    this.stats.receivedBytes += data.byteLength;
    try {
      switch (kind) {
        case Kind.update:
          Y.applyUpdate(document, payload, REDIS_ORIGIN);
          break;
        case Kind.awareness:
          applyAwarenessUpdate(document.awareness, payload, REDIS_ORIGIN);
          break;
        case Kind.syncRequest: {
          const inbox = this.inboxChannel(sender);
          this.publish(inbox, Kind.update, room, Y.encodeStateAsUpdate(document, payload));
          this.publish(inbox, Kind.syncAnswer, room, Y.encodeStateVector(document));
          const clients = [...document.awareness.getStates().keys()];
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
      await this.sub.subscribe(this.inboxChannel(this.instanceId), ...[...this.documents.keys()].map((r) => this.roomChannel(r))).catch(() => {
        // Lost the connection again; the next 'ready' tries once more.
      });
    }
    if (this.pub.status !== 'ready' || this.sub.status !== 'ready') return;
    this.stats.resyncs += 1;
    this.log.info({ rooms: this.documents.size }, 'redis reconnected: resyncing rooms');
    for (const [room, document] of this.documents) {
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
