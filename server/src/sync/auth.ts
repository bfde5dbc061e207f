import type { Extension, onAuthenticatePayload } from '@hocuspocus/server';
import { SignJWT, errors, jwtVerify } from 'jose';
import { CloseCode, ProtocolError } from '../close-codes.ts';
import { isValidRoomId } from '../rooms.ts';
import type { ConnectionContext } from './socket-server.ts';

/** What a Scrawl token grants (INTERFACE.md): one room or `*`, read-write or read-only. */
export interface TokenClaims {
  /** A room id, or `*` for every room. */
  room: string;
  /** `rw` may edit; `ro` receives everything and may send presence, but its document updates are refused. */
  mode: 'rw' | 'ro';
  /** Who holds it (optional). */
  sub?: string;
  /** A display name (optional). */
  name?: string;
}

/** Checks tokens against one HS256 secret. */
export class TokenVerifier {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  /** Verifies `token` and its claims; throws a ProtocolError 4401 for a missing, expired, forged or malformed one. */
  async verify(token: string | null | undefined): Promise<TokenClaims> {
    if (!token) throw new ProtocolError(CloseCode.unauthenticated, 'token required');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], requiredClaims: ['exp'] }));
    } catch (error) {
      const reason = error instanceof errors.JWTExpired ? 'token expired' : 'invalid token';
      throw new ProtocolError(CloseCode.unauthenticated, reason);
    }
    const { room, mode, sub, name } = payload;
    if ((room !== '*' && !isValidRoomId(room)) || (mode !== 'rw' && mode !== 'ro')) {
      throw new ProtocolError(CloseCode.unauthenticated, 'token lacks a valid room or mode claim');
    }
    return { room: room as string, mode, sub: typeof sub === 'string' ? sub : undefined, name: typeof name === 'string' ? name : undefined };
  }

  /** Verifies `token` for `room`; throws 4401 for a bad token and 4403 when it grants another room. */
  async authorize(token: string | null | undefined, room: string): Promise<TokenClaims> {
    const claims = await this.verify(token);
    if (claims.room !== '*' && claims.room !== room) throw new ProtocolError(CloseCode.forbidden, 'token is for another room');
    return claims;
  }

  /** Mints a token (for `npm run token` and for share links). `ttlSeconds` defaults to 30 days. */
  async mint(claims: TokenClaims, ttlSeconds = 30 * 24 * 3600): Promise<string> {
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.key);
  }
}

/**
 * Hocuspocus extension enforcing tokens on both endpoints (y-websocket clients' `?token=` arrives through the Auth
 * frame the adapter sends for them). A refused client's socket is closed with 4401 or 4403: Hocuspocus alone would only
 * send PermissionDenied and leave the socket open. Read-only tokens set Hocuspocus's `readOnly`, which refuses their
 * document updates (never applied, broadcast or stored) and still relays their awareness.
 */
export class AuthExtension implements Extension {
  /** Runs before every other extension. */
  priority = 1000;
  private readonly verifier: TokenVerifier;
  private readonly onFailure: (reason: string) => void;

  /** `onFailure` is told the reason of every refused token (for metrics). */
  constructor(verifier: TokenVerifier, onFailure: (reason: string) => void = () => {}) {
    this.verifier = verifier;
    this.onFailure = onFailure;
  }

  async onAuthenticate({ token, documentName, connectionConfig, context }: onAuthenticatePayload): Promise<{ claims: TokenClaims }> {
    try {
      // The socket layer let only valid room ids through (frames.ts readDocumentName), so the name is the room.
      const claims = await this.verifier.authorize(token, documentName);
      connectionConfig.readOnly = claims.mode === 'ro';
      return { claims };
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.onFailure(error.code === CloseCode.forbidden ? 'forbidden' : error.reason.replace(/ /g, '_'));
        (context as ConnectionContext).socket?.close(error.code, error.reason);
      }
      throw error;
    }
  }
}
