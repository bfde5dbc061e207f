/**
 * Group commit: items added within one commit window are written together by one call of `write`, and each `add`
 * resolves (or rejects) with its batch. Batches are written one after another, so items keep the order they were
 * added in. Both stores use it for appends; with many clients, one disk or database round trip serves them all.
 *
 * The window only delays acknowledgements, never the relay (updates are relayed before they are stored, see
 * AckGate), so a few milliseconds buy far fewer writes: at 1,200 updates/s a 4 ms window writes ~5 per batch instead
 * of one or two, a 32 ms window ~38. The window can widen while appends come from many sides (`busyWindowMs`): a
 * batch that opens soon after a batch of several items was flushed gathers longer, so a busy store writes few large
 * batches, while an update after a quiet spell, or from a lone client that waits for each acknowledgement before its
 * next update, is written and acknowledged after the short window.
 */
export class GroupCommit<T> {
  /** The batch gathering now, or null when nothing is queued. */
  private open: OpenBatch<T> | null = null;
  private writing: Promise<void> = Promise.resolve();
  private readonly write: (batch: T[]) => Promise<void>;
  private readonly windowMs: number;
  private readonly busyWindowMs: number;
  /** performance.now() at the last flush, -Infinity before the first. */
  private flushedAt = Number.NEGATIVE_INFINITY;
  /** How many items the last flushed batch held. */
  private flushedItems = 0;

  /**
   * `windowMs` 0 writes what arrived in the same event-loop turn; more gathers across turns. A batch that opens less
   * than `busyWindowMs` (default: `windowMs`) after the flush of a batch of two or more items gathers for
   * `busyWindowMs` instead.
   */
  constructor(write: (batch: T[]) => Promise<void>, windowMs = 0, busyWindowMs = windowMs) {
    this.write = write;
    this.windowMs = windowMs;
    this.busyWindowMs = busyWindowMs;
  }

  /**
   * Queues `item` for the current batch; resolves once that batch is written. Every item of a batch gets the same
   * promise: this runs for every update, and one promise per batch instead of one per item is less to allocate and
   * fewer reactions to run when the batch lands.
   */
  add(item: T): Promise<void> {
    if (this.open === null) {
      let settle!: (error?: unknown) => void;
      const done = new Promise<void>((resolve, reject) => {
        settle = (error) => (error === undefined ? resolve() : reject(error));
      });
      const busy = this.flushedItems > 1 && performance.now() - this.flushedAt < this.busyWindowMs;
      const windowMs = busy ? this.busyWindowMs : this.windowMs;
      // setImmediate runs after the current poll phase: every update read from the sockets in this turn joins in.
      const timer = windowMs > 0 ? setTimeout(() => this.flush(), windowMs) : setImmediate(() => this.flush());
      this.open = { items: [], done, settle, timer };
    }
    this.open.items.push(item);
    return this.open.done;
  }

  /** Writes what is queued now and resolves when every batch so far is written (for close). */
  drain(): Promise<void> {
    this.flush();
    return this.writing;
  }

  private flush(): void {
    const batch = this.open;
    if (batch === null) return;
    this.open = null;
    this.flushedAt = performance.now();
    this.flushedItems = batch.items.length;
    clearTimeout(batch.timer as NodeJS.Timeout);
    clearImmediate(batch.timer as NodeJS.Immediate);
    this.writing = this.writing.then(async () => {
      try {
        await this.write(batch.items);
        batch.settle();
      } catch (error) {
        // A rejection without a reason would read as success in settle(): give it one so the batch still fails.
        batch.settle(error ?? new Error('group commit write failed'));
      }
    });
  }
}

interface OpenBatch<T> {
  items: T[];
  /** Settles when the batch is written; returned by every add of this batch. */
  done: Promise<void>;
  settle: (error?: unknown) => void;
  timer: NodeJS.Timeout | NodeJS.Immediate;
}
