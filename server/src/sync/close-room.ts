import type { Document } from '@hocuspocus/server';
import { CloseCode } from '../close-codes.ts';
import type { ConnectionContext } from './socket-server.ts';

/**
 * Closes every client connection of a loaded room with 4403 and `reason` (a board moved to the trash or deleted), so
 * that no client keeps writing to it. The whole socket closes: one /sync socket may carry other rooms too, and its
 * provider reconnects to those. Direct connections (the server's own) are not closed.
 */
export function closeRoomConnections(document: Document | undefined, reason: string): void {
  for (const connection of document?.getConnections() ?? []) {
    (connection.context as ConnectionContext).socket?.close(CloseCode.forbidden, reason);
  }
}

/**
 * Closes the connections of one signed-in person (by email, as their connection's context holds them) to a loaded
 * room with 4403 and `reason`: their access was revoked or lowered (sign-in mode). Others in the room stay.
 */
export function closePersonConnections(document: Document | undefined, email: string, reason: string): void {
  for (const connection of document?.getConnections() ?? []) {
    const context = connection.context as ConnectionContext;
    if (context.person?.email === email) context.socket?.close(CloseCode.forbidden, reason);
  }
}

/**
 * Closes, in every loaded room, the connections made with one sign-in session (by its store key) with 4401 and
 * `reason`: the person signed out, so the sockets their other tabs opened with that session end too.
 */
export function closeSessionConnections(documents: Iterable<Document>, sessionKey: string, reason: string): void {
  for (const document of documents) {
    for (const connection of document.getConnections()) {
      const context = connection.context as ConnectionContext;
      if (context.sessionKey === sessionKey) context.socket?.close(CloseCode.unauthenticated, reason);
    }
  }
}

/** Something that closes a room's connections on every instance (the Redis relay), not only on this one. */
export interface RoomCloser {
  closeRoomEverywhere(room: string, reason: string): void;
  /** Closes one person's connections to the room on every instance (see {@link closePersonConnections}). */
  closePersonEverywhere?(room: string, email: string, reason: string): void;
  /** Closes the connections of one sign-in session on every instance (see {@link closeSessionConnections}). */
  closeSessionEverywhere?(sessionKey: string, reason: string): void;
}

/** True for an extension that is a {@link RoomCloser}. */
export function isRoomCloser<T>(value: T): value is T & RoomCloser {
  return typeof (value as Partial<RoomCloser>).closeRoomEverywhere === 'function';
}
