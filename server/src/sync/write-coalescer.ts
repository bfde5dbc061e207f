/**
 * Coalesces the frames a client socket is sent within one event-loop turn into one write to the kernel.
 *
 * A busy room relays every update to every client as a frame of its own (update-relay.ts), and an uncorked TCP socket
 * hands each frame to the kernel as it is written: one `write` system call, and on loopback one trip through the
 * reader's TCP receive path, per frame and client. When several updates reach a room in one turn (a crowd drawing at
 * 60 Hz), each client got several such writes. Here the first frame a socket is written in a turn corks it (Node's
 * `Writable.cork`), and once the turn's I/O has been handled (an immediate, which runs after the poll phase) every
 * socket corked that way is uncorked once: its frames of the turn leave in one `writev`, in the order they were
 * written. A lone update still leaves in the turn it arrived in, just after the poll phase instead of during it.
 *
 * Node counts corks, so `ws`'s own `cork(); write(); write(); uncork()` around a frame it sends itself (pings, close,
 * sends with a callback) nests inside this one and its frames keep their place in the same buffer; acknowledgements
 * (held by ack-gate.ts until the store has the update) are written like any other frame when they are released, so
 * nothing is reordered on a socket and nothing leaves earlier than before. `ws`'s unsent-bytes count includes what a
 * cork holds, so the slow-client bound (client-socket.ts) sees it. A socket that ends meanwhile is uncorked by
 * `end()` itself (Node uncorks fully there); one about to be destroyed is released first ({@link releaseWrites}), so
 * what it was written still reaches the kernel as it did without the cork.
 */
import type { Socket } from 'node:net';

/** Marks a socket corked by this module in the current turn (a property: cheaper than a Set lookup per frame). */
const HELD = Symbol('scrawl.writeCoalescer.held');

type HeldSocket = Socket & { [HELD]?: boolean };

/** Sockets corked in this turn, uncorked together by {@link release}. */
let held: HeldSocket[] = [];
let scheduled = false;

/**
 * Call before writing to `socket`: the first call in a turn corks it until the turn's I/O has been handled (see the
 * module comment); later calls in the same turn do nothing.
 */
export function coalesceWrites(socket: Socket): void {
  const target = socket as HeldSocket;
  if (target[HELD]) return;
  target[HELD] = true;
  target.cork();
  held.push(target);
  if (!scheduled) {
    scheduled = true;
    setImmediate(release);
  }
}

/**
 * Hands what `socket` holds to the kernel now instead of at the end of the turn. Call it before destroying a socket
 * (`ws` terminate): destroying drops whatever Node still buffers, and frames written before the cork was there
 * would already have reached the kernel.
 */
export function releaseWrites(socket: Socket): void {
  const target = socket as HeldSocket;
  if (!target[HELD]) return;
  target[HELD] = false;
  held.splice(held.indexOf(target), 1);
  target.uncork();
}

function release(): void {
  scheduled = false;
  const sockets = held;
  held = [];
  for (const socket of sockets) {
    socket[HELD] = false;
    // Ended sockets were fully uncorked by end(); uncork() of a socket that is not corked does nothing.
    socket.uncork();
  }
}
