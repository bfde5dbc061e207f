import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { CloseCode, ProtocolError } from '../close-codes.ts';
import { isValidRoomId } from '../rooms.ts';

/**
 * Message types of the Hocuspocus protocol (a superset of y-websocket's 0..3). Frames on `/sync` are
 * `[varString document][varUint type][payload]`; frames on `/yjs/:room` are `[varUint type][payload]`.
 */
export const MessageType = {
  sync: 0,
  awareness: 1,
  auth: 2,
  queryAwareness: 3,
  syncReply: 4,
  stateless: 5,
  broadcastStateless: 6,
  close: 7,
  syncStatus: 8,
  ping: 9,
  pong: 10,
} as const;

/** Sub-types of a sync message (y-protocols). */
export const SyncType = { step1: 0, step2: 1, update: 2 } as const;

/** Sub-types of an auth message. */
export const AuthType = { token: 0, permissionDenied: 1, authenticated: 2 } as const;

const malformed = (what: string) => new ProtocolError(CloseCode.badRequest, `malformed message: ${what}`);

/**
 * Checks one y-websocket-shaped message body (type and payload, without a document name) from a client and throws a
 * {@link ProtocolError} (4400) unless it is well formed to the end: a decodable state vector or Yjs update, an
 * awareness update whose states are JSON, or a type the client may send. `allowed` lists the types accepted.
 * Validating here means Hocuspocus, the store and other clients only ever see well-formed input: y-protocols would
 * acknowledge an update it failed to apply, and a stored broken update would poison the room.
 */
export function validateClientMessage(decoder: decoding.Decoder, allowed: readonly number[]): number {
  let type: number;
  try {
    type = decoding.readVarUint(decoder);
  } catch {
    throw malformed('truncated message type');
  }
  if (!allowed.includes(type)) throw malformed(`message type ${type} is not accepted here`);
  try {
    switch (type) {
      case MessageType.sync: {
        const syncType = decoding.readVarUint(decoder);
        const payload = decoding.readVarUint8Array(decoder);
        if (syncType === SyncType.step1) Y.decodeStateVector(payload);
        else if (syncType === SyncType.step2 || syncType === SyncType.update) validateUpdate(payload);
        else throw malformed(`sync type ${syncType}`);
        break;
      }
      case MessageType.awareness:
        validateAwarenessUpdate(decoding.readVarUint8Array(decoder));
        break;
      case MessageType.auth: {
        const authType = decoding.readVarUint(decoder);
        if (authType !== AuthType.token) throw malformed(`auth type ${authType}`);
        decoding.readVarString(decoder);
        // Newer providers append their version.
        if (decoding.hasContent(decoder)) decoding.readVarString(decoder);
        break;
      }
      case MessageType.stateless:
        decoding.readVarString(decoder);
        break;
      default:
        break;
    }
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    throw malformed(`undecodable payload of type ${type}`);
  }
  if (decoding.hasContent(decoder)) throw malformed(`trailing bytes after a message of type ${type}`);
  return type;
}

/**
 * Throws unless `update` decodes as a Yjs update (v1) to its last byte, and no item refers to an item of its own
 * client that comes at or after it.
 */
function validateUpdate(update: Uint8Array): void {
  // decodeUpdate reads every struct and the delete set; anything it cannot read would also fail to apply.
  const { structs } = Y.decodeUpdate(update);
  // Yjs trusts an item's references to its own client's items to be earlier ones (a client can only refer to what it
  // already wrote) and looks them up without a check: a forward reference throws halfway through the apply, after the
  // update was stored (found by the hardening fuzz test).
  for (const struct of structs) {
    if (!(struct instanceof Y.Item)) continue;
    const { id, origin, rightOrigin, parent } = struct;
    for (const reference of [origin, rightOrigin, parent instanceof Y.ID ? parent : null]) {
      if (reference && reference.client === id.client && reference.clock >= id.clock) {
        throw malformed(`item ${id.client}:${id.clock} refers to ${reference.client}:${reference.clock}, not an earlier item of its client`);
      }
    }
  }
}

/** Throws unless `update` is an awareness update whose every state is JSON (or null, for a removal). */
function validateAwarenessUpdate(update: Uint8Array): void {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  // Each entry takes at least 3 bytes: an absurd count is refused before any loop.
  if (count > update.byteLength) throw malformed('awareness entry count exceeds the message');
  for (let i = 0; i < count; i++) {
    decoding.readVarUint(decoder); // client id
    decoding.readVarUint(decoder); // clock
    JSON.parse(decoding.readVarString(decoder));
  }
  if (decoding.hasContent(decoder)) throw malformed('trailing bytes in an awareness update');
}

/**
 * Reads the document name in front of a `/sync` frame and checks that the whole name is a valid room id (4400
 * otherwise). Every frame of a client is read through here, whatever its type (auth, sync, awareness, stateless, close)
 * and however many documents share the socket, so nothing behind it ever sees another name.
 *
 * Hocuspocus 4.7 reads a name `room\0session` as a session-aware provider's address of `room` (HocuspocusProvider's
 * `sessionAwareness` option): such a name was authorised, answered and stored as `room`, while INTERFACE.md allows
 * exactly the room-id pattern. Scrawl's clients do not use that option, so the whole name must match: one rule for
 * every place a name is read (the HTTP paths, the token's claim and the Redis relay check the same pattern).
 */
export function readDocumentName(decoder: decoding.Decoder): string {
  let name: string;
  try {
    name = decoding.readVarString(decoder);
  } catch {
    throw malformed('undecodable document name');
  }
  if (!isValidRoomId(name)) throw new ProtocolError(CloseCode.badRequest, 'bad room id');
  return name;
}

/** The bytes of `varString(name)`, the prefix of every `/sync` frame about that document. */
export function encodeDocumentPrefix(name: string): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, name);
  return encoding.toUint8Array(encoder);
}

/** A Hocuspocus Auth frame carrying `token`, as a provider sends it first for a document. */
export function encodeAuthFrame(name: string, token: string): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, name);
  encoding.writeVarUint(encoder, MessageType.auth);
  encoding.writeVarUint(encoder, AuthType.token);
  encoding.writeVarString(encoder, token);
  return encoding.toUint8Array(encoder);
}
