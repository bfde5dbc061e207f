/** What the crowd's worker needs from one product's client, whichever product it is. */
import type { TLStore } from '@tldraw/tlschema';
import type { ByteCounter } from './counting-socket.ts';

/** One connected user: a tldraw store kept in sync with the room by the product's own client. */
export interface CrowdClient {
  /** The store the user draws into and sees the others' strokes in. */
  store: TLStore;
  /** Payload bytes through this client's socket. */
  bytes: ByteCounter;
  /** Whether the link is up and synced (a client that dropped is reported, not hidden). */
  isConnected(): boolean;
  close(): Promise<void>;
}

/** The two products the crowd runs against. */
export type CrowdProduct = 'scrawl' | 'tldraw';
