/**
 * Group commit: items added within one commit window are written together by one call of `write`, and each `add`
 * resolves (or rejects) with its batch. Batches are written one after another, so items keep the order they were
 * added in. Both stores use it for appends; with many clients, one disk or database round trip serves them all.
 *
 * The window only delays acknowledgements, never the relay (updates are relayed before they are stored, see
 * AckGate), so a few milliseconds buy far fewer writes: at 1,200 updates/s a 4 ms window writes ~5 per batch instead
 * of one or two.
 */
export class GroupCommit<T> {
  private pending: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private writing: Promise<void> = Promise.resolve();
  private readonly write: (batch: T[]) => Promise<void>;
  private readonly windowMs: number;

  /** `windowMs` 0 writes what arrived in the same event-loop turn; more gathers across turns. */
  constructor(write: (batch: T[]) => Promise<void>, windowMs = 0) {
    this.write = write;
    this.windowMs = windowMs;
  }

  /** Queues `item` for the current turn's batch; resolves once that batch is written. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.timer !== null) return;
      // setImmediate runs after the current poll phase: every update read from the sockets in this turn joins in.
      this.timer = this.windowMs > 0 ? setTimeout(() => this.flush(), this.windowMs) : setImmediate(() => this.flush());
    });
  }

  /** Writes what is queued now and resolves when every batch so far is written (for close). */
  drain(): Promise<void> {
    this.flush();
    return this.writing;
  }

  private flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.writing = this.writing.then(async () => {
      try {
        await this.write(batch.map((entry) => entry.item));
        for (const entry of batch) entry.resolve();
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    });
  }
}
