/**
 * Coalesces the frames a client socket is sent into fewer writes to the kernel: those of one event-loop turn always,
 * and while the socket is busy those of a short window.
 *
 * A busy room relays every update to every client as a frame of its own (update-relay.ts), and an uncorked TCP socket
 * hands each frame to the kernel as it is written: one `write` system call, and on loopback one trip through the
 * reader's TCP receive path, per frame and client. With 15 people drawing at 60 Hz in one room that is hundreds of
 * writes per client per second, where tldraw sync's room sends each session what it is owed at most once per 16.7 ms.
 *
 * Here the first frame a socket is written corks it (Node's `Writable.cork`), and the socket is uncorked once, so its
 * frames leave in one `writev`, in the order they were written:
 * - when the socket was last released {@link BUSY_GAP_MS} or more ago (a quiet socket, a lone update, a stream of one
 *   update per display frame), once the turn's I/O has been handled (an immediate, which runs after the poll phase):
 *   the frame leaves in the turn it was written, just after the poll phase instead of during it;
 * - otherwise (the socket is busy: written again within half a window of its last release) {@link WINDOW_MS} after its
 *   last release: everything it is sent meanwhile waits for that moment, so a busy socket is written about once per
 *   window, and a frame waits at most a window.
 * A window alone (hold whatever comes within 16 ms of the last release) also held a lone writer's 60 Hz stream for a
 * millisecond or more on almost every update and put ~8 ms on the fan-out p50 (docs/benchmarks.md); the half-window
 * gap leaves such a stream alone.
 * All sockets released in one pass share its clock reading, so the sockets of a room, which are written together,
 * are held and released together, by one timer.
 *
 * Node counts corks, so `ws`'s own `cork(); write(); write(); uncork()` around a frame it sends itself (pings, close,
 * sends with a callback) nests inside this one and its frames keep their place in the same buffer; acknowledgements
 * (held by ack-gate.ts until the store has the update) are written like any other frame when they are released, so
 * nothing is reordered on a socket, and nothing leaves before it did without the hold. `ws`'s unsent-bytes count
 * includes what a cork holds, so the slow-client bound (client-socket.ts) sees it. A socket that ends meanwhile is
 * uncorked by `end()` itself (Node uncorks fully there); one about to be destroyed is released first
 * ({@link releaseWrites}), so what it was written still reaches the kernel as it did without the hold.
 */
import type { Socket } from 'node:net';

/** The longest a busy socket's frames wait, in ms: about one display frame, as tldraw sync batches (16.7 ms). */
export const WINDOW_MS = 16;

/**
 * A socket written again within this long of its last release is busy, and its frames wait for the end of the window
 * that release began. Half a window: a stream of one frame per display frame (a lone writer at 60 Hz) is never held.
 */
export const BUSY_GAP_MS = WINDOW_MS / 2;

/** Per-socket state, kept as properties (cheaper than a Map lookup per frame). */
const HELD = Symbol('scrawl.writeCoalescer.held');
const RELEASED_AT = Symbol('scrawl.writeCoalescer.releasedAt');

type HeldSocket = Socket & { [HELD]?: boolean; [RELEASED_AT]?: number };

/** Sockets held until the end of this turn, released by {@link endOfTurn}. */
let untilTurnEnd: HeldSocket[] = [];
let turnScheduled = false;
/** The clock read once per turn for the sockets first written in it (NaN: not read yet this turn). */
let turnNow = Number.NaN;

/** Busy sockets held until their window ends, released by {@link endOfWindow}. */
let untilWindowEnd: HeldSocket[] = [];
let windowTimer: NodeJS.Timeout | null = null;
/** When `windowTimer` fires (performance.now()). */
let windowTimerAt = Number.POSITIVE_INFINITY;

/**
 * Call before writing to `socket`: the first call corks it until its frames are due (see the module comment); later
 * calls before then do nothing.
 */
export function coalesceWrites(socket: Socket): void {
  const target = socket as HeldSocket;
  if (target[HELD]) return;
  target[HELD] = true;
  target.cork();
  if (Number.isNaN(turnNow)) {
    turnNow = performance.now();
    // Read again next turn: the immediate that ends this turn forgets it.
    scheduleEndOfTurn();
  }
  const releasedAt = target[RELEASED_AT];
  if (releasedAt !== undefined && turnNow - releasedAt < BUSY_GAP_MS) {
    untilWindowEnd.push(target);
    armWindowTimer(releasedAt + WINDOW_MS, turnNow);
    return;
  }
  untilTurnEnd.push(target);
}

function scheduleEndOfTurn(): void {
  if (turnScheduled) return;
  turnScheduled = true;
  setImmediate(endOfTurn);
}

/**
 * Hands what `socket` holds to the kernel now instead of when it is due. Call it before destroying a socket (`ws`
 * terminate): destroying drops whatever Node still buffers, and those frames would otherwise have reached the kernel.
 */
export function releaseWrites(socket: Socket): void {
  const target = socket as HeldSocket;
  if (!target[HELD]) return;
  target[HELD] = false;
  const turnIndex = untilTurnEnd.indexOf(target);
  if (turnIndex >= 0) untilTurnEnd.splice(turnIndex, 1);
  else untilWindowEnd.splice(untilWindowEnd.indexOf(target), 1);
  target[RELEASED_AT] = performance.now();
  target.uncork();
}

function release(socket: HeldSocket, now: number): void {
  socket[HELD] = false;
  socket[RELEASED_AT] = now;
  // Ended sockets were fully uncorked by end(); uncork() of a socket that is not corked does nothing.
  socket.uncork();
}

function endOfTurn(): void {
  turnScheduled = false;
  const now = performance.now();
  turnNow = Number.NaN;
  const sockets = untilTurnEnd;
  untilTurnEnd = [];
  for (const socket of sockets) release(socket, now);
}

function armWindowTimer(at: number, now: number): void {
  if (windowTimer !== null && windowTimerAt <= at) return;
  if (windowTimer !== null) clearTimeout(windowTimer);
  windowTimerAt = at;
  windowTimer = setTimeout(endOfWindow, Math.max(1, Math.ceil(at - now)));
}

function endOfWindow(): void {
  windowTimer = null;
  windowTimerAt = Number.POSITIVE_INFINITY;
  const now = performance.now();
  const waiting: HeldSocket[] = [];
  let next = Number.POSITIVE_INFINITY;
  for (const socket of untilWindowEnd) {
    const due = socket[RELEASED_AT]! + WINDOW_MS;
    // Timers fire on whole milliseconds: what is due within the next half is released now.
    if (due <= now + 0.5) release(socket, now);
    else {
      waiting.push(socket);
      if (due < next) next = due;
    }
  }
  untilWindowEnd = waiting;
  if (waiting.length > 0) armWindowTimer(next, now);
}
