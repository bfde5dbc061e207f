/**
 * Holds a client's acknowledgements (Hocuspocus SyncStatus frames) until the store has every update the client sent
 * before them, while everything else (the relay of those updates to the other clients included) goes out at once.
 * So readers never wait for the disk, and the writer is never told "saved" before it is.
 *
 * Writes are numbered in the order the client's updates were handled; an acknowledgement sent after write n waits
 * until writes 1..n have all completed, whatever order the store completes them in.
 */
export class AckGate {
  private started = 0;
  /** Every write up to this number has completed. */
  private completedThrough = 0;
  /** Completed writes above `completedThrough` (the store finished them out of order). */
  private readonly completedAhead = new Set<number>();
  private held: { after: number; release: () => void }[] = [];
  private failed = false;
  /** The write tracked last: a store hands every append of one group commit the same promise. */
  private latest: Promise<void> | null = null;
  private readonly onFailure: (error: unknown) => void;

  /** `onFailure` runs once if a write fails: the held and future acknowledgements are never sent. */
  constructor(onFailure: (error: unknown) => void) {
    this.onFailure = onFailure;
  }

  /** Registers the store write of the update being handled now. */
  track(write: Promise<void>): void {
    // Another update in the same batch settles with it: the number already given covers it.
    if (write === this.latest) return;
    this.latest = write;
    const number = ++this.started;
    write.then(
      () => this.complete(number),
      (error: unknown) => {
        if (this.failed) return;
        this.failed = true;
        this.held = [];
        this.onFailure(error);
      },
    );
  }

  /** Runs `release` (sends the acknowledgement) once every write tracked so far has completed. */
  whenStored(release: () => void): void {
    if (this.failed) return;
    if (this.completedThrough >= this.started) release();
    else this.held.push({ after: this.started, release });
  }

  private complete(number: number): void {
    this.completedAhead.add(number);
    while (this.completedAhead.delete(this.completedThrough + 1)) this.completedThrough += 1;
    while (this.held.length > 0 && this.held[0].after <= this.completedThrough) this.held.shift()!.release();
  }
}
