/**
 * Closing connections on every instance, through the relay's presence channel: a board moved to the trash or deleted
 * (`closeRoom`), a person's access taken away (`closePerson`, sign-in mode), a session signed out (`closeSession`).
 * Each closes this instance's connections at once and tells the others, which close theirs when the message arrives
 * (RedisRelay hands them to {@link RelayCloses.receive}). A lost message leaves only open connections open: the
 * others still refuse the next ones, since they read the shared catalog, access records and sessions.
 */
import type { Document } from '@hocuspocus/server';
import type { Logger } from 'pino';
import { isValidRoomId } from '../rooms.ts';
import { closePersonConnections, closeRoomConnections, closeSessionConnections, type RoomCloser } from '../sync/close-room.ts';
import {
  RelayKind, decodeCloseOf, decodeCloseRoom, encodeCloseOf, encodeCloseRoom,
} from './relay-wire.ts';

/** Publishes one message of this instance on the presence channel. */
export type TellEveryInstance = (kind: RelayKind, room: string, payload: Uint8Array) => Promise<unknown>;

/** The close messages of one instance; see the module comment. */
export class RelayCloses implements RoomCloser {
  private readonly documents: Map<string, Document>;
  private readonly tell: TellEveryInstance;
  private readonly log: Logger;

  /** `documents`: this instance's loaded documents by room; `tell` publishes on the presence channel. */
  constructor(documents: Map<string, Document>, tell: TellEveryInstance, log: Logger) {
    this.documents = documents;
    this.tell = tell;
    this.log = log;
  }

  closeRoomEverywhere(room: string, reason: string): void {
    closeRoomConnections(this.documents.get(room), reason);
    this.publish(RelayKind.closeRoom, room, encodeCloseRoom(reason), 'cannot tell the other instances to close a room');
  }

  closePersonEverywhere(room: string, email: string, reason: string): void {
    closePersonConnections(this.documents.get(room), email, reason);
    this.publish(RelayKind.closePerson, room, encodeCloseOf(email, reason), "cannot tell the other instances to close a person's connections");
  }

  closeSessionEverywhere(sessionKey: string, reason: string): void {
    closeSessionConnections(this.documents.values(), sessionKey, reason);
    this.publish(RelayKind.closeSession, '', encodeCloseOf(sessionKey, reason), "cannot tell the other instances to close a session's connections");
  }

  /** Applies another instance's close message; false when `kind` is not one (the relay handles it). */
  receive(kind: number, room: string, payload: Uint8Array): boolean {
    if (kind === RelayKind.closeSession) {
      const { whose, reason } = decodeCloseOf(payload);
      closeSessionConnections(this.documents.values(), whose, reason);
      return true;
    }
    if (kind !== RelayKind.closeRoom && kind !== RelayKind.closePerson) return false;
    // The same rule as a client's frame (a room id, nothing else): a message from something other than a Scrawl
    // instance on the channel can never address a document by another name.
    if (!isValidRoomId(room)) {
      this.log.warn({ kind }, 'close message for an invalid room id ignored');
      return true;
    }
    if (kind === RelayKind.closeRoom) closeRoomConnections(this.documents.get(room), decodeCloseRoom(payload));
    else {
      const { whose, reason } = decodeCloseOf(payload);
      closePersonConnections(this.documents.get(room), whose, reason);
    }
    return true;
  }

  private publish(kind: RelayKind, room: string, payload: Uint8Array, failure: string): void {
    this.tell(kind, room, payload).catch((error: unknown) => {
      this.log.warn({ room: room || undefined, err: (error as Error).message }, failure);
    });
  }
}
