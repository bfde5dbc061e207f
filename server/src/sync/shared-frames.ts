/**
 * WebSocket frames built once for every socket a message goes to.
 *
 * A room's update goes to each of its clients, and `ws` frames every send on its own: a new header buffer, then header
 * and payload written as two chunks under `cork()`, which Node's writable stream buffers and hands to `writev`. In the
 * relay benchmark that was ~80 % of the ~2.1 KB allocated per delivered message. Here the whole frame (header and
 * payload in one buffer; a server's binary frame has a 2, 4 or 10 byte header, RFC 6455 section 5.2) is built once
 * per message, and that buffer is written to each client's TCP socket. Paired benchmark runs measured 5-11 % less
 * server CPU per delivered message (docs/benchmarks.md). Every frame sent here, by either way, is coalesced with the
 * socket's other frames of the same event-loop turn (of a 16 ms window when the socket is busy) into one `writev`
 * (write-coalescer.ts).
 *
 * Writing beside `ws`'s Sender keeps frames in order only while that Sender never queues a frame for later. It queues
 * only to compress (permessage-deflate, which the socket server turns off) or to read a `Blob` (Scrawl sends none), so
 * frames written here and those `ws` writes itself (pings, close, sends with a callback) reach the socket in the order
 * they were sent. This reads `ws`'s private `_socket` field; `server/test/shared-frames.test.ts` pins the `ws` version
 * it was written against and checks the order and the unsent-bytes count on real sockets.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { coalesceWrites } from './write-coalescer.ts';

/** The `ws` version this module was written against (see the module comment). */
export const SHARED_FRAMES_WS_VERSION = '8.23.0';

/**
 * Larger payloads are sent by `ws` as they are: building the shared frame copies the payload once, which is nothing
 * for a stroke or a cursor but a real cost for a 4 MB first sync that goes to one client.
 */
export const MAX_SHARED_PAYLOAD_BYTES = 64 * 1024;

/**
 * The last frame built: a broadcast sends one message to every connection of a room in one synchronous loop, so one
 * entry serves the whole loop. The message is known by identity: a sent Uint8Array is never changed afterwards (`ws`
 * does not copy what it sends either, so changing it would already corrupt frames waiting in a socket's buffer).
 */
let lastSource: Uint8Array | null = null;
let lastOffset = 0;
let lastFrame: Buffer = Buffer.alloc(0);

function frameFor(source: Uint8Array, offset: number): Buffer {
  if (source !== lastSource || offset !== lastOffset) {
    lastFrame = buildFrame(source.byteLength - offset, (frame, at) => frame.set(source.subarray(offset), at));
    lastSource = source;
    lastOffset = offset;
  }
  return lastFrame;
}

/** Bytes of the header of an unmasked, final binary frame carrying `length` bytes (RFC 6455, section 5.2). */
function headerLength(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10;
}

/**
 * A whole binary WebSocket frame (server to client: final, unmasked, uncompressed) of a `length`-byte message that
 * `fill` writes into the returned buffer from `offset` on: one allocation for header and message, so a broadcast that
 * builds its message here copies the payload once. Write it with {@link writeFrame}.
 */
export function buildFrame(length: number, fill: (frame: Buffer, offset: number) => void): Buffer {
  const offset = headerLength(length);
  const frame = Buffer.allocUnsafe(offset + length);
  frame[0] = 0x82; // FIN + binary opcode
  if (offset === 2) frame[1] = length;
  else if (offset === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  fill(frame, offset);
  return frame;
}

/** The TCP socket under `ws` (its private `_socket`, see the module comment); null once `ws` let go of it. */
export function tcpSocketOf(ws: WebSocket): Socket {
  return (ws as unknown as { _socket: Socket })._socket;
}

/**
 * Writes a frame from {@link buildFrame} to `ws`, which must be open, straight to its TCP socket (see the module
 * comment), coalesced with the socket's other frames (write-coalescer.ts).
 */
export function writeFrame(ws: WebSocket, frame: Buffer): void {
  const socket = tcpSocketOf(ws);
  coalesceWrites(socket);
  socket.write(frame);
}

/**
 * Sends the bytes of `source` from `offset` on as one binary message to `ws`, which must be open. Consecutive calls
 * with the same `source` and `offset` (a broadcast) share one framed buffer. `onSent`, if given, is called once the
 * message has been handed to the kernel (`ws` sends those itself).
 */
export function sendBinary(ws: WebSocket, source: Uint8Array, offset: number, onSent?: () => void): void {
  if (onSent || source.byteLength - offset > MAX_SHARED_PAYLOAD_BYTES) {
    const payload = offset === 0 ? source : source.subarray(offset);
    coalesceWrites(tcpSocketOf(ws));
    if (onSent) ws.send(payload, () => onSent());
    else ws.send(payload);
    return;
  }
  writeFrame(ws, frameFor(source, offset));
}
