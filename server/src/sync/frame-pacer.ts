/**
 * Frames that arrive once the event-loop turn has spent its message budget (turn-budget.ts) wait here, per socket, and
 * are handled in later turns in the order they arrived, by the same handler as any other frame.
 *
 * Before, such a frame was handed to Hocuspocus's per-connection queue, which paces itself in `beforeHandleMessage`;
 * and since a connection's messages must stay in order, every later message of that connection followed it there
 * until the queue ran dry. On a busy machine, where turns often run long, that sent a large share of plain updates
 * through Hocuspocus's per-message pipeline (its hook payloads, promise chains and re-encoding) instead of the direct
 * path, so the server cost more per message exactly when it had least to spare. Here the frame keeps its place in
 * the socket's own line, the direct path still takes it, and the socket stops reading (`ws` pause) until its line is
 * empty: the backlog stays in the kernel's buffers, and a client that floods is slowed down by TCP instead of being
 * queued in memory.
 *
 * Each later turn hands out its budget round-robin over the waiting sockets, one frame each per round, so one
 * flooding socket cannot hold back the others.
 */
import type { TurnBudget } from './turn-budget.ts';

/** A frame as `ws` delivered it. */
interface WaitingFrame {
  data: Buffer;
  isBinary: boolean;
}

/**
 * What the pacer needs of a socket: a way to stop and restart reading from it. A socket closed while paused must read
 * again by itself (ClientSocket.close does), or the peer's close frame would never be read.
 */
export interface PacedSocket {
  /** Stops reading from the socket (`ws` pause). */
  pause(): void;
  /** Reads from the socket again. */
  resume(): void;
}

/** Holds frames past the turn's budget, per socket, and hands them to `handle` in later turns; see the module comment. */
export class FramePacer<S extends PacedSocket> {
  private readonly budget: TurnBudget;
  private readonly handle: (socket: S, data: Buffer, isBinary: boolean) => void;
  /** Sockets with waiting frames, in the order they get their next turn. */
  private readonly waiting = new Map<S, WaitingFrame[]>();
  private scheduled = false;

  /** `budget`: the turn budget shared with Hocuspocus's path; `handle`: what a frame's turn runs. */
  constructor(budget: TurnBudget, handle: (socket: S, data: Buffer, isBinary: boolean) => void) {
    this.budget = budget;
    this.handle = handle;
  }

  /**
   * Takes the frame if it has to wait (its socket already has frames waiting, or this turn's budget is spent) and
   * returns true; returns false when the caller should handle it now.
   */
  offer(socket: S, data: Buffer, isBinary: boolean): boolean {
    const line = this.waiting.get(socket);
    if (line) {
      line.push({ data, isBinary });
      return true;
    }
    if (this.budget.hasBudgetLeft()) return false;
    this.waiting.set(socket, [{ data, isBinary }]);
    socket.pause();
    this.schedule();
    return true;
  }

  /**
   * Handles at once every frame still waiting from a socket whose connection just ended: they were received before it
   * ended, so they count as they would have without the wait (an update sent just before a disconnect is applied and
   * relayed, not lost). Call it before the connection's end is handled.
   */
  flush(socket: S): void {
    const line = this.waiting.get(socket);
    if (!line) return;
    this.waiting.delete(socket);
    for (const frame of line) this.handle(socket, frame.data, frame.isBinary);
  }

  /** Frames waiting over all sockets (for tests and metrics). */
  get waitingCount(): number {
    let count = 0;
    for (const line of this.waiting.values()) count += line.length;
    return count;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // An immediate runs after the poll phase: the loop has handled this turn's I/O before the waiting frames resume.
    setImmediate(this.drain);
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    while (this.waiting.size > 0 && this.budget.hasBudgetLeft()) {
      // The socket at the head of the line gives one frame, then goes to the back if it has more.
      const [socket, line] = this.waiting.entries().next().value!;
      const frame = line.shift()!;
      this.waiting.delete(socket);
      if (line.length > 0) this.waiting.set(socket, line);
      else socket.resume();
      this.handle(socket, frame.data, frame.isBinary);
    }
    if (this.waiting.size > 0) this.schedule();
  };
}
