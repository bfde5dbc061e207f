/**
 * The WebSocket both products' clients use here: `ws` with a browser-style API, counting message payload bytes.
 *
 * Both clients take a WebSocket class (HocuspocusProvider through `WebSocketPolyfill`, tldraw's
 * ClientWebSocketAdapter through the global `WebSocket`), so the same implementation and the same counting sit under
 * both. Counted are message payloads as the application sends and receives them; WebSocket frame headers (2-14 bytes
 * a frame) and TCP are not, as in the stroke scenario. No permessage-deflate: neither server enables it by default,
 * and browsers would only use it if the server agreed.
 */
import WebSocket from 'ws';

/** Bytes and messages through one client's socket; `presence*` is the part that only carried cursors/presence. */
export interface ByteCounter {
  sentBytes: number;
  sentMessages: number;
  receivedBytes: number;
  receivedMessages: number;
  presenceSentBytes: number;
  presenceReceivedBytes: number;
}

/** A zeroed counter. */
export function newCounter(): ByteCounter {
  return { sentBytes: 0, sentMessages: 0, receivedBytes: 0, receivedMessages: 0, presenceSentBytes: 0, presenceReceivedBytes: 0 };
}

/** Adds `b` into `a`. */
export function addCounter(a: ByteCounter, b: ByteCounter): ByteCounter {
  for (const key of Object.keys(a) as Array<keyof ByteCounter>) a[key] += b[key];
  return a;
}

/** Tells whether a message (as sent or received) carries presence only: each product has its own framing. */
export type IsPresenceOnly = (message: Buffer | string) => boolean;

/** A browser-shaped WebSocket constructor (url and protocols only), which is all either client calls. */
export type WebSocketClass = new (url: string | URL, protocols?: string | string[]) => WebSocket;

/**
 * A WebSocket class whose instances count into the counter `counterFor(url)` picks (tldraw's adapter constructs its
 * sockets itself, so the URL, which carries the session id, is how a socket is matched to its client).
 */
export function countingWebSocket(counterFor: (url: string) => ByteCounter, isPresenceOnly: IsPresenceOnly): WebSocketClass {
  return class CountingWebSocket extends WebSocket {
    private readonly counter: ByteCounter;

    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { perMessageDeflate: false });
      this.counter = counterFor(String(url));
      this.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
        // Views, not copies: the counting must not cost the client more than its own work.
        const message = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data;
        this.counter.receivedMessages++;
        this.counter.receivedBytes += message.byteLength;
        if (isPresenceOnly(message)) this.counter.presenceReceivedBytes += message.byteLength;
      });
    }

    override send(data: unknown, ...rest: unknown[]): void {
      const view = data as Uint8Array;
      const message = typeof data === 'string' ? data : Buffer.from(view.buffer, view.byteOffset, view.byteLength);
      const bytes = typeof message === 'string' ? Buffer.byteLength(message) : message.byteLength;
      this.counter.sentMessages++;
      this.counter.sentBytes += bytes;
      if (isPresenceOnly(message)) this.counter.presenceSentBytes += bytes;
      (super.send as (data: unknown, ...rest: unknown[]) => void)(data, ...rest);
    }
  };
}
