/**
 * Presence of the other instances, and of their clients in this instance's rooms. A client's awareness removal is
 * relayed when it leaves, but an instance killed with `kill -9` (or a lost machine) sends nothing, and its clients'
 * cursors would stay on the others' screens until the y-protocols awareness timeout (30 s). So every instance
 * publishes a heartbeat every `heartbeatMs` (and a goodbye when it closes), each relay remembers here per room which
 * awareness states came from which instance, and when an instance falls silent for {@link SILENT_BEATS} beats (or says
 * goodbye) the states of its clients are removed, which broadcasts the removal to this instance's clients at once.
 * Every instance removes them on its own, so such a removal is not published again (it carries
 * {@link REDIS_ORIGIN}, which the relay's onAwarenessUpdate skips).
 *
 * This module keeps the books and removes the states; sending heartbeats and hearing messages is `RedisRelay`'s
 * (redis-relay.ts), which owns the Redis connections and tells this one what it heard.
 */
import type { Document } from '@hocuspocus/server';
import { removeAwarenessStates, type Awareness } from 'y-protocols/awareness';
import type { Logger } from '../log.ts';
import { REDIS_ORIGIN, relayedBy } from './relay-origin.ts';

/**
 * Heartbeat periods (of the receiving instance) without a word from an instance after which it is taken for dead.
 * Counted in beats rather than measured in time, so that a stall of our own event loop counts once (an interval does
 * not catch up), not as the others' silence.
 */
export const SILENT_BEATS = 3;

/** Which awareness states of this instance's rooms live on which other instance, and which instances are still heard. */
export class InstancePresence {
  /** The relay's loaded documents by room, read (never changed) to check a hook's document and to remove states. */
  private readonly documents: ReadonlyMap<string, Document>;
  private readonly log: Logger;
  /**
   * Per loaded room, the instance each awareness state received from Redis lives on (client id -> instance id), so
   * that a dead instance's clients can be removed. Created and dropped with the room's entry in `documents`.
   */
  private readonly remoteClients = new Map<string, Map<number, string>>();
  /** Other instances heard from, with the heartbeats of ours since they last said anything. */
  private readonly silentBeats = new Map<string, number>();

  constructor(documents: ReadonlyMap<string, Document>, log: Logger) {
    this.documents = documents;
    this.log = log;
  }

  /** Starts the books of a room just loaded (the relay has put its document in `documents`). */
  trackRoom(room: string): void {
    this.remoteClients.set(room, new Map());
  }

  /** Drops the books of a room unloaded: its states went with its document. */
  forgetRoom(room: string): void {
    this.remoteClients.delete(room);
  }

  /**
   * Keeps the books current after an awareness change in `room`: a state received from Redis belongs to the instance
   * that sent it; a state set here (by one of our connections) is ours, the client having moved instances; a removed
   * state is forgotten, whoever removed it.
   */
  attribute(room: string, document: Document, changed: number[], removed: number[], origin: unknown): void {
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

  /** The clients of `room` whose awareness states live on this instance (what a state-vector exchange answers for). */
  ownClients(room: string, awareness: Awareness): number[] {
    const remote = this.remoteClients.get(room);
    return [...awareness.getStates().keys()].filter((clientId) => !remote?.has(clientId));
  }

  /** Awareness states of other instances' clients held now, over all loaded rooms. */
  remoteClientCount(): number {
    let count = 0;
    for (const owners of this.remoteClients.values()) count += owners.size;
    return count;
  }

  /** `instanceId` said something (any message is a sign of life): its silence starts over. */
  heardFrom(instanceId: string): void {
    this.silentBeats.set(instanceId, 0);
  }

  /**
   * One heartbeat period of ours went by: every instance not heard from for {@link SILENT_BEATS} of them is gone. The
   * relay calls this only while its subscriber is connected: deaf, we hear nobody, which says nothing about them.
   */
  countBeat(): void {
    for (const [instanceId, beats] of this.silentBeats) {
      if (beats + 1 >= SILENT_BEATS) this.instanceGone(instanceId, 'silent');
      else this.silentBeats.set(instanceId, beats + 1);
    }
  }

  /**
   * After our subscriber reconnected: we were deaf, not they silent, so the others (reconnecting too, on their own
   * backoff) get their full allowance.
   */
  forgiveSilence(): void {
    for (const instanceId of this.silentBeats.keys()) this.silentBeats.set(instanceId, 0);
  }

  /** Removes the awareness states of `instanceId`'s clients from every loaded room, which tells our clients at once. */
  instanceGone(instanceId: string, reason: 'silent' | 'goodbye'): void {
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
}
