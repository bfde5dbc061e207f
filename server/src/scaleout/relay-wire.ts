/**
 * The relay's wire format: what one instance publishes to Redis and every other instance reads. A relay message is
 * `[kind varuint][sender instance id varstring][room varstring][payload varuint8array]` (lib0 encoding), published
 * on one of three kinds of channel. Instances of one deployment must agree on all of it, so it lives in one place;
 * what each kind makes an instance do is `RedisRelay`'s business (redis-relay.ts).
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

/** Kinds of relay message. The numbers are on the wire: never renumber one, only add. */
export const RelayKind = {
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
  /** Sign-in mode: a session ended (sign-out): close its connections here too (presence channel; payload: key, NUL, reason). */
  closeSession: 8,
} as const;
/** One of the {@link RelayKind} numbers. */
export type RelayKind = (typeof RelayKind)[keyof typeof RelayKind];

/**
 * A relay message as read from the wire. `kind` is a plain number: a message from a newer (or foreign) sender may
 * carry a kind this version does not know, which the receiver logs and ignores rather than failing to decode.
 */
export interface RelayMessage {
  kind: number;
  /** The instance id of the sender; a relay ignores its own messages, which Redis delivers back to it. */
  sender: string;
  /** The room addressed; empty for heartbeats and goodbyes. */
  room: string;
  payload: Uint8Array;
}

/** The payload of kinds that carry none (heartbeat, goodbye). Shared: it is never written to. */
export const EMPTY_PAYLOAD = new Uint8Array(0);

/** One relay message, ready to publish (ioredis takes a Buffer as binary). */
export function encodeRelayMessage(kind: RelayKind, sender: string, room: string, payload: Uint8Array): Buffer {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, kind);
  encoding.writeVarString(encoder, sender);
  encoding.writeVarString(encoder, room);
  encoding.writeVarUint8Array(encoder, payload);
  return Buffer.from(encoding.toUint8Array(encoder));
}

/**
 * Reads a relay message; undefined when `data` is not one (truncated, or not ours: anything may publish on a
 * channel). Bytes after the payload are ignored.
 */
export function decodeRelayMessage(data: Uint8Array): RelayMessage | undefined {
  try {
    const decoder = decoding.createDecoder(data);
    const kind = decoding.readVarUint(decoder);
    const sender = decoding.readVarString(decoder);
    const room = decoding.readVarString(decoder);
    const payload = decoding.readVarUint8Array(decoder);
    return { kind, sender, room, payload };
  } catch {
    return undefined;
  }
}

/** The payload of a {@link RelayKind.closeRoom} message: the close reason as UTF-8. */
export function encodeCloseRoom(reason: string): Uint8Array {
  return new TextEncoder().encode(reason);
}

/** The reason carried by a {@link RelayKind.closeRoom} message. */
export function decodeCloseRoom(payload: Uint8Array): string {
  return new TextDecoder().decode(payload);
}

/**
 * The payload of a {@link RelayKind.closePerson} or {@link RelayKind.closeSession} message: whose connections (an
 * email, or a session's store key; neither holds a NUL) and the reason, NUL-separated.
 */
export function encodeCloseOf(whose: string, reason: string): Uint8Array {
  return new TextEncoder().encode(`${whose}\0${reason}`);
}

/** Whose connections and the reason, as {@link encodeCloseOf} wrote them; a missing reason reads as empty. */
export function decodeCloseOf(payload: Uint8Array): { whose: string; reason: string } {
  const [whose, reason] = new TextDecoder().decode(payload).split('\0');
  return { whose, reason: reason ?? '' };
}

/** The channel names of one deployment, see {@link relayChannels}. */
export interface RelayChannels {
  /** A room's updates and awareness, subscribed to by every instance that has the room loaded. */
  room(room: string): string;
  /** An instance's own channel, where the answers of a state-vector exchange come. */
  inbox(instanceId: string): string;
  /** Heartbeats, goodbyes and close messages, heard by every instance. */
  readonly presence: string;
}

/**
 * The channels of a deployment using `prefix`. Presence goes on the channel named by the prefix itself, beside rather
 * than under the `prefix:` room and inbox channels: a `PSUBSCRIBE prefix:*` (scaleout.test.ts counts what one change
 * costs that way) then sees the relay's document traffic without the heartbeat ticking through it.
 */
export function relayChannels(prefix: string): RelayChannels {
  return Object.freeze({
    room: (room: string) => `${prefix}:room:${room}`,
    inbox: (instanceId: string) => `${prefix}:inbox:${instanceId}`,
    presence: prefix,
  });
}
