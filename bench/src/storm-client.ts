/**
 * A join-storm client on a bare TCP socket: WebSocket handshake and framing by hand, and no copy of big frames.
 *
 * Why not RawClient: a join storm sends every joiner the whole document, 150 x 4 MB here. `ws` assembles each
 * message in a fresh 4 MB buffer; profiled, that allocation, copy and the garbage it leaves cost the single bench
 * process ~2 s of CPU during a storm, more than a good server spends, so the p99 measured the harness. This client
 * reads into one reusable buffer (net's `onread`), decodes the head of each frame to know what it is, counts the
 * rest of the payload without keeping it, and stamps the time when the frame's last byte arrives. A sample of
 * clients (`keepPayload`) also keeps the full SyncStep2 so the scenario can check that it holds the whole document;
 * the others keep its length and first/last bytes to compare with the checked ones.
 *
 * Framing per RFC 6455: client frames are masked, server frames are not; servers here send each message as one
 * unfragmented binary frame (fragmented messages are reported as an error rather than mis-measured).
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { Protocol } from './servers.ts';

const HEAD_BYTES = 256;
const SMALL_FRAME_BYTES = 64 * 1024;
const readBuffer = Buffer.allocUnsafe(1 << 20);

export interface StormClientOptions {
  protocol: Protocol;
  port: number;
  /** Request path: `/sync`, `/yjs/room`, `/room`, `/`. */
  path: string;
  room: string;
  keepPayload: boolean;
}

export class StormClient {
  readonly createdAt = performance.now();
  syncedAt = -1;
  /** The SyncStep2 payload (only with keepPayload), its length, and its first and last bytes. */
  payload: Buffer | undefined;
  payloadLength = -1;
  payloadHead: Buffer | undefined;
  payloadTail: Buffer | undefined;
  error: Error | undefined;
  readonly done: Promise<void>;
  private readonly opts: StormClientOptions;
  private readonly socket: Socket;
  private resolveDone!: () => void;
  private handshake: Buffer | undefined = Buffer.alloc(0);
  // Frame parser state.
  private header = Buffer.alloc(14);
  private headerHave = 0;
  private frameOpcode = 0;
  private frameLength = -1;
  private frameHave = 0;
  private frameHead: Buffer = Buffer.alloc(0);
  private frameBody: Buffer | undefined;
  private frameTail = Buffer.alloc(0);

  constructor(opts: StormClientOptions) {
    this.opts = opts;
    this.done = new Promise((resolve) => { this.resolveDone = resolve; });
    this.socket = connect({
      host: '127.0.0.1',
      port: opts.port,
      onread: { buffer: readBuffer, callback: (n: number, buf: Uint8Array) => { this.onData(buf.subarray(0, n) as Buffer); return true; } },
    });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      this.socket.write(
        `GET ${opts.path} HTTP/1.1\r\nHost: 127.0.0.1:${opts.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => this.fail(new Error('socket closed before sync')));
  }

  private fail(error: Error): void {
    if (this.syncedAt < 0 && this.error === undefined) this.error = error;
    this.resolveDone();
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.handshake !== undefined) {
      const all = Buffer.concat([this.handshake, chunk]);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        this.handshake = all;
        return;
      }
      const status = all.subarray(0, all.indexOf('\r\n')).toString();
      this.handshake = undefined;
      if (!/^HTTP\/1\.1 101/.test(status)) {
        this.fail(new Error(`upgrade refused: ${status}`));
        this.socket.destroy();
        return;
      }
      this.onOpen();
      chunk = all.subarray(end + 4);
    }
    let offset = 0;
    while (offset < chunk.length) offset = this.parse(chunk, offset);
  }

  /** Consumes part of `chunk` from `offset`; returns the new offset. */
  private parse(chunk: Buffer, offset: number): number {
    if (this.frameLength < 0) {
      // Accumulate the header: 2 bytes, + 2 or 8 for extended length (servers never mask).
      while (offset < chunk.length && this.headerHave < this.headerNeed()) this.header[this.headerHave++] = chunk[offset++];
      if (this.headerHave < this.headerNeed()) return offset;
      const fin = (this.header[0] & 0x80) !== 0;
      this.frameOpcode = this.header[0] & 0x0f;
      const len7 = this.header[1] & 0x7f;
      this.frameLength = len7 < 126 ? len7 : len7 === 126 ? this.header.readUInt16BE(2) : Number(this.header.readBigUInt64BE(2));
      if (!fin || this.frameOpcode === 0) this.fail(new Error('fragmented message (not supported by this client)'));
      this.frameHave = 0;
      this.frameHead = Buffer.alloc(Math.min(HEAD_BYTES, this.frameLength));
      // Small frames are kept whole (they are decoded); big ones only by the sampled clients.
      const keep = this.frameLength <= SMALL_FRAME_BYTES || this.opts.keepPayload;
      this.frameBody = keep ? Buffer.allocUnsafe(this.frameLength) : undefined;
      this.frameTail = Buffer.alloc(0);
      if (this.frameLength === 0) this.finishFrame();
      return offset;
    }
    const take = Math.min(chunk.length - offset, this.frameLength - this.frameHave);
    const piece = chunk.subarray(offset, offset + take);
    if (this.frameHave < this.frameHead.length) {
      piece.copy(this.frameHead, this.frameHave, 0, Math.min(take, this.frameHead.length - this.frameHave));
    }
    if (this.frameBody !== undefined) piece.copy(this.frameBody, this.frameHave);
    else if (this.frameLength - (this.frameHave + take) < HEAD_BYTES) {
      // Keep the last bytes of the frame (for the cheap equality check between clients).
      this.frameTail = Buffer.concat([this.frameTail, piece.subarray(-HEAD_BYTES)]).subarray(-HEAD_BYTES);
    }
    this.frameHave += take;
    if (this.frameHave === this.frameLength) this.finishFrame();
    return offset + take;
  }

  private headerNeed(): number {
    if (this.headerHave < 2) return 2;
    const len7 = this.header[1] & 0x7f;
    return len7 < 126 ? 2 : len7 === 126 ? 4 : 10;
  }

  private finishFrame(): void {
    const at = performance.now();
    const opcode = this.frameOpcode;
    const length = this.frameLength;
    const body = this.frameBody;
    const head = this.frameHead;
    const tail = this.frameTail;
    this.frameLength = -1;
    this.headerHave = 0;
    this.frameBody = undefined;
    if (opcode === 0x9) this.sendFrame(0xa, body ?? Buffer.alloc(0));
    else if (opcode === 0x8) this.socket.end();
    else if (opcode === 0x2) this.onMessage(head, body, length, tail, at);
  }

  private onOpen(): void {
    if (this.opts.protocol === 'hp') {
      this.sendMessage((e) => {
        encoding.writeVarUint(e, 2); // Auth
        encoding.writeVarUint(e, 0); // token
        encoding.writeVarString(e, 'x');
      });
    }
    this.sendMessage((e) => {
      encoding.writeVarUint(e, 0); // sync
      encoding.writeVarUint(e, 0); // step 1
      encoding.writeVarUint8Array(e, Uint8Array.of(0)); // empty state vector
    });
  }

  private onMessage(head: Buffer, body: Buffer | undefined, length: number, tail: Buffer, at: number): void {
    if (length === 1 && head[0] === 9) {
      this.sendFrame(0x2, Buffer.of(10)); // Hocuspocus app-level ping
      return;
    }
    const decoder = decoding.createDecoder(head);
    if (this.opts.protocol === 'hp') decoding.readVarString(decoder);
    const type = decoding.readVarUint(decoder);
    if (type !== 0 && type !== 4) return;
    const step = decoding.readVarUint(decoder);
    if (step === 0) {
      this.sendMessage((e) => {
        encoding.writeVarUint(e, 0);
        encoding.writeVarUint(e, 1); // step 2: a joiner has nothing to add
        encoding.writeVarUint8Array(e, Uint8Array.of(0, 0));
      });
    } else if (step === 1 && this.syncedAt < 0) {
      this.syncedAt = at;
      const payloadLength = decoding.readVarUint(decoder);
      const payloadStart = decoder.pos;
      this.payloadLength = payloadLength;
      this.payloadHead = Buffer.from(head.subarray(payloadStart));
      this.payloadTail = body ? Buffer.from(body.subarray(-HEAD_BYTES)) : Buffer.from(tail);
      if (body !== undefined && (this.opts.keepPayload || length <= SMALL_FRAME_BYTES)) {
        this.payload = body.subarray(payloadStart, payloadStart + payloadLength);
      }
      this.resolveDone();
    }
  }

  private sendMessage(write: (encoder: encoding.Encoder) => void): void {
    const encoder = encoding.createEncoder();
    if (this.opts.protocol === 'hp') encoding.writeVarString(encoder, this.opts.room);
    write(encoder);
    this.sendFrame(0x2, Buffer.from(encoding.toUint8Array(encoder)));
  }

  private sendFrame(opcode: number, payload: Buffer): void {
    const mask = randomBytes(4);
    const len = payload.length;
    const header = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    if (len < 126) header[1] = 0x80 | len;
    else if (len < 65536) {
      header[1] = 0x80 | 126;
      header.writeUInt16BE(len, 2);
    } else {
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(len), 2);
    }
    const masked = Buffer.allocUnsafe(len);
    for (let i = 0; i < len; i++) masked[i] = payload[i] ^ mask[i & 3];
    this.socket.write(Buffer.concat([header, mask, masked]));
  }
}
