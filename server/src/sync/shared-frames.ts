/**
 * WebSocket frames built once for every socket a message goes to.
 *
 * A room's update goes to each of its clients, and `ws` frames every send on its own: a new header buffer, then header
 * and payload written as two chunks under `cork()`, which Node's writable stream buffers and hands to `writev`. In the
 * relay benchmark that was ~80 % of the ~2.1 KB allocated per delivered message. Here the whole frame (header and
 * payload in one buffer, the header made by `ws`'s own `Sender.frame`) is built once per message, and that buffer is
 * written to each client's TCP socket: one plain write per client. Paired benchmark runs measured 5-11 % less server
 * CPU per delivered message (docs/benchmarks.md).
 *
 * Writing beside `ws`'s Sender keeps frames in order only while that Sender never queues a frame for later. It queues
 * only to compress (permessage-deflate, which the socket server turns off) or to read a `Blob` (Scrawl sends none), so
 * frames written here and those `ws` writes itself (pings, close, sends with a callback) reach the socket in the order
 * they were sent. This reads `ws`'s private `_socket` field; `server/test/shared-frames.test.ts` pins the `ws` version
 * it was written against and checks the order and the unsent-bytes count on real sockets.
 */
import type { Socket } from 'node:net';
import * as wsPackage from 'ws';
import type { WebSocket } from 'ws';

/** The `ws` version this module was written against (see the module comment). */
export const SHARED_FRAMES_WS_VERSION = '8.23.0';

/**
 * Larger payloads are sent by `ws` as they are: building the shared frame copies the payload once, which is nothing
 * for a stroke or a cursor but a real cost for a 4 MB first sync that goes to one client.
 */
export const MAX_SHARED_PAYLOAD_BYTES = 64 * 1024;

/** What `Sender.frame` needs for an unmasked (server-to-client), final, uncompressed binary frame. */
const BINARY_FRAME = { fin: true, opcode: 0x02, mask: false, readOnly: true, rsv1: false };

/** `ws`'s frame builder: exported by the package, though @types/ws leaves it out. Returns [header, payload]. */
const { Sender } = wsPackage as unknown as { Sender: { frame(data: Buffer, options: typeof BINARY_FRAME): Buffer[] } };

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
    const payload = Buffer.from(source.buffer, source.byteOffset + offset, source.byteLength - offset);
    const [header] = Sender.frame(payload, BINARY_FRAME);
    const frame = Buffer.allocUnsafe(header.length + payload.length);
    header.copy(frame);
    payload.copy(frame, header.length);
    lastSource = source;
    lastOffset = offset;
    lastFrame = frame;
  }
  return lastFrame;
}

/**
 * Sends the bytes of `source` from `offset` on as one binary message to `ws`, which must be open. Consecutive calls
 * with the same `source` and `offset` (a broadcast) share one framed buffer. `onSent`, if given, is called once the
 * message has been handed to the kernel (`ws` sends those itself).
 */
export function sendBinary(ws: WebSocket, source: Uint8Array, offset: number, onSent?: () => void): void {
  if (onSent || source.byteLength - offset > MAX_SHARED_PAYLOAD_BYTES) {
    const payload = offset === 0 ? source : source.subarray(offset);
    if (onSent) ws.send(payload, () => onSent());
    else ws.send(payload);
    return;
  }
  (ws as unknown as { _socket: Socket })._socket.write(frameFor(source, offset));
}
