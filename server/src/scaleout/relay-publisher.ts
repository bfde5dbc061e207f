/**
 * The relay's outgoing document traffic: a room's updates and awareness changes of one event-loop turn collected and
 * published in one Redis pipeline, and the single messages of the state-vector exchange, with their counters.
 * Heartbeats, goodbyes and close messages do not go through here: they are published directly by
 * `RedisRelay` (redis-relay.ts) and are not counted as document traffic.
 */
import type { Document } from '@hocuspocus/server';
import type { Redis } from 'ioredis';
import { encodeAwarenessUpdate } from 'y-protocols/awareness';
import type { Logger } from '../log.ts';
import { encodeRelayMessage, RelayKind, type RelayChannels } from './relay-wire.ts';

/**
 * The counters a {@link RelayPublisher} keeps, named as in the relay's `RelayStats`: the relay hands over its own
 * stats object, so one object holds every counter.
 */
export interface PublishCounters {
  publishedMessages: number;
  publishedBytes: number;
  failedPublishes: number;
}

/** What {@link RelayPublisher} needs from the relay. */
export interface RelayPublisherOptions {
  /** The relay's publishing connection (offline queue disabled: a publish while Redis is away fails at once). */
  pub: Redis;
  /** This instance's id, written as the sender of every message. */
  instanceId: string;
  channels: RelayChannels;
  log: Logger;
  /** Incremented in place. */
  counters: PublishCounters;
}

/** A room's publishes of the current event-loop turn, sent by `flush()` in the next. */
interface PendingPublish {
  document: Document;
  updates: Uint8Array[];
  awarenessClients: Set<number>;
}

/** Publishes a relay's document traffic; see the module comment. */
export class RelayPublisher {
  private readonly pub: Redis;
  private readonly instanceId: string;
  private readonly channels: RelayChannels;
  private readonly log: Logger;
  private readonly counters: PublishCounters;
  private readonly pending = new Map<string, PendingPublish>();
  private closed = false;

  constructor(options: RelayPublisherOptions) {
    this.pub = options.pub;
    this.instanceId = options.instanceId;
    this.channels = options.channels;
    this.log = options.log;
    this.counters = options.counters;
  }

  /** Queues a client's update to `room` for this turn's pipeline. */
  queueUpdate(room: string, document: Document, update: Uint8Array): void {
    this.pendingFor(room, document).updates.push(update);
  }

  /**
   * Queues the awareness states of `clientIds` in `room` for this turn's pipeline; they are encoded when it goes, so
   * a client changed twice in one turn costs one state, its last. Removed clients are encoded as removals.
   */
  queueAwareness(room: string, document: Document, clientIds: Iterable<number>): void {
    const pending = this.pendingFor(room, document);
    for (const clientId of clientIds) pending.awarenessClients.add(clientId);
  }

  /** Publishes one message to `channel` now (the state-vector exchange), outside any room's pipeline. */
  publish(channel: string, kind: RelayKind, room: string, payload: Uint8Array): void {
    this.send(channel, room, [encodeRelayMessage(kind, this.instanceId, room, payload)]);
  }

  /**
   * Sends every room's pending publishes now, and from then on publishes only while the connection is still ready
   * (the relay is closing: nothing is counted as failed for a connection it is about to quit).
   */
  close(): void {
    this.closed = true;
    for (const room of [...this.pending.keys()]) this.flush(room);
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
    const messages = pending.updates.map((update) => encodeRelayMessage(RelayKind.update, this.instanceId, room, update));
    if (pending.awarenessClients.size > 0) {
      const awareness = pending.document.awareness;
      const update = encodeAwarenessUpdate(awareness, [...pending.awarenessClients]);
      messages.push(encodeRelayMessage(RelayKind.awareness, this.instanceId, room, update));
    }
    this.send(this.channels.room(room), room, messages);
  }

  /** Publishes `messages` to `channel` in order; several go in one pipeline. */
  private send(channel: string, room: string, messages: Buffer[]): void {
    if (messages.length === 0 || (this.closed && this.pub.status !== 'ready')) return;
    for (const message of messages) {
      this.counters.publishedMessages += 1;
      this.counters.publishedBytes += message.byteLength;
    }
    // The resync after Redis comes back sends what failed messages carried.
    const failed = (count: number, error: unknown) => {
      this.counters.failedPublishes += count;
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
}
