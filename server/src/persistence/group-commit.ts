/**
 * Group commit: items added in the same event-loop turn are written together by one call of `write`, and each `add`
 * resolves (or rejects) with its batch. Batches are written one after another, so items keep the order they were
 * added in. Both stores use it for appends; with many clients, one disk or database round trip serves them all.
 */
export class GroupCommit<T> {
  private pending: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private scheduled = false;
  private writing: Promise<void> = Promise.resolve();
  private readonly write: (batch: T[]) => Promise<void>;

  constructor(write: (batch: T[]) => Promise<void>) {
    this.write = write;
  }

  /** Queues `item` for the current turn's batch; resolves once that batch is written. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      // setImmediate runs after the current poll phase: every update read from the sockets in this turn joins in.
      setImmediate(() => this.flush());
    });
  }

  /** Writes what is queued now and resolves when every batch so far is written (for close). */
  drain(): Promise<void> {
    this.flush();
    return this.writing;
  }

  private flush(): void {
    this.scheduled = false;
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
