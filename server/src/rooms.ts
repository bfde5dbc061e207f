import { randomBytes } from 'node:crypto';

/** What a room id may look like (INTERFACE.md): anything else is refused before a document exists. */
export const ROOM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** True when `room` is a valid room id. */
export function isValidRoomId(room: unknown): room is string {
  return typeof room === 'string' && ROOM_ID_PATTERN.test(room);
}

/** Decodes a URL path segment and returns it when it is a valid room id, otherwise null (malformed escapes included). */
export function roomIdFromPath(segment: string): string | null {
  let room: string;
  try {
    room = decodeURIComponent(segment);
  } catch {
    return null;
  }
  return isValidRoomId(room) ? room : null;
}

/** A fresh room id: 12 URL-safe random characters (72 bits), unguessable enough to share. */
export function newRoomId(): string {
  return randomBytes(9).toString('base64url');
}
