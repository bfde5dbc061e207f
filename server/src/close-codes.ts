/**
 * The one catalogue of WebSocket close codes Scrawl sends, on both endpoints. Documented in docs/protocol.md.
 *
 * Codes 4400-4499 mean "do not retry": y-websocket clients stop reconnecting for good after them. Anything transient
 * (restart, overload, idle) uses 1001, 1012 or 1013, which every client retries.
 */
export const CloseCode = {
  /** The server is shutting down or the room is being moved; reconnect later. */
  goingAway: 1001,
  /** A single message exceeded MAX_MESSAGE_BYTES (sent by the WebSocket layer itself). */
  messageTooBig: 1009,
  /** The server failed on its side (a room that failed to load, a failed store write); reconnect with backoff. */
  serverError: 1011,
  /** The server restarts; reconnect. */
  serviceRestart: 1012,
  /** The server is overloaded; reconnect with backoff. */
  tryAgainLater: 1013,
  /** Bad room id or a malformed message: this client sent something the protocol does not allow. */
  badRequest: 4400,
  /** Missing, expired or invalid token. */
  unauthenticated: 4401,
  /** The token does not grant this room. */
  forbidden: 4403,
  /** Too many messages or bytes per second from this connection. */
  rateLimited: 4429,
} as const;

/** One of the codes in {@link CloseCode}. */
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * An error that closes the offending connection with a catalogued code. Thrown inside the message path; the socket
 * layer turns it into a close frame and nothing else is affected.
 */
export class ProtocolError extends Error {
  /** The close code sent to the client. */
  readonly code: CloseCodeValue;
  /** The close reason sent to the client (at most 123 bytes on the wire). */
  readonly reason: string;

  constructor(code: CloseCodeValue, reason: string) {
    super(reason);
    this.name = 'ProtocolError';
    this.code = code;
    this.reason = reason.slice(0, 120);
  }
}
