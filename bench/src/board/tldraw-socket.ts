/**
 * tldraw sync's client socket for Node: `TLSyncClient` (@tldraw/sync-core) talks through a `TLPersistentClientSocket`,
 * and the one tldraw ships (ClientWebSocketAdapter) reconnects by watching `document` and `navigator`, which Node does
 * not have. This one is a single `ws` connection with the same wire format: one JSON text message per protocol
 * message each way. (ClientWebSocketAdapter splits messages over 256 KiB into numbered parts for hosts that cap frame
 * sizes; the room takes a whole JSON message as well, and `ws` carries frames up to 100 MiB, so a 10,000-shape push
 * goes in one frame.)
 *
 * No reconnection: a benchmark client whose connection drops reports it (status 'offline', or 'error' with tldraw's
 * close reason) instead of hiding the gap.
 */
import { TLSyncErrorCloseEventCode, type TLPersistentClientSocket, type TLSocketStatusChangeEvent } from '@tldraw/sync-core';
import WebSocket from 'ws';

// sync-core keeps its message types out of its published typings: the socket only moves JSON objects.
type ClientMessage = object;
type ServerMessage = object;

/** A `TLPersistentClientSocket` over one `ws` connection to a tldraw sync server (`/connect/:room?sessionId=...`). */
export class WsTLSocket implements TLPersistentClientSocket<ClientMessage, ServerMessage> {
  /** 'online' from open to close; 'error' when the server closed with tldraw's sync-error code. */
  connectionStatus: 'online' | 'offline' | 'error' = 'offline';
  /** Bytes sent and received on this socket (message payloads), for figures per operation. */
  bytesSent = 0;
  bytesReceived = 0;
  private readonly ws: WebSocket;
  private readonly messageListeners = new Set<(message: ServerMessage) => void>();
  private readonly statusListeners = new Set<(event: TLSocketStatusChangeEvent) => void>();

  /** Opens the connection at once; `TLSyncClient` sends its connect request when the status turns 'online'. */
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('open', () => this.setStatus({ status: 'online' }));
    this.ws.on('message', (data: Buffer) => {
      this.bytesReceived += data.byteLength;
      const message = JSON.parse(data.toString('utf8')) as ServerMessage;
      for (const listener of this.messageListeners) listener(message);
    });
    this.ws.on('close', (code: number, reason: Buffer) => {
      this.setStatus(code === TLSyncErrorCloseEventCode ? { status: 'error', reason: reason.toString() } : { status: 'offline' });
    });
    // 'close' follows every 'error' in ws; the error itself only needs to be kept from crashing the process.
    this.ws.on('error', () => {});
  }

  private setStatus(event: TLSocketStatusChangeEvent): void {
    if (this.connectionStatus === event.status) return;
    this.connectionStatus = event.status;
    for (const listener of this.statusListeners) listener(event);
  }

  sendMessage(message: ClientMessage): void {
    if (this.connectionStatus !== 'online') return;
    const text = JSON.stringify(message);
    this.bytesSent += Buffer.byteLength(text);
    this.ws.send(text);
  }

  onReceiveMessage(callback: (message: ServerMessage) => void): () => void {
    this.messageListeners.add(callback);
    return () => this.messageListeners.delete(callback);
  }

  onStatusChange(callback: (event: TLSocketStatusChangeEvent) => void): () => void {
    this.statusListeners.add(callback);
    return () => this.statusListeners.delete(callback);
  }

  /** Reconnecting is left out on purpose (see the module comment): a restart request closes the socket. */
  restart(): void {
    this.close();
  }

  close(): void {
    this.ws.close();
  }
}
