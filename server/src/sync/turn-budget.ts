/**
 * A time budget for message handling per event-loop turn.
 *
 * Hocuspocus handles a connection's messages one after another in an async loop whose awaits resolve at once, so a
 * burst of messages (a flood of large updates, the queued messages of clients that just joined) runs to the end in
 * one turn's microtasks: turns of 50-170 ms were measured under a 12 MiB/s flood, and /healthz, new connections and
 * heartbeats waited behind each. Awaiting {@link TurnBudget.pace} before each message lets a turn run messages for
 * `budgetMs`; later ones continue in later turns, each after the loop has polled for I/O again, in the same order.
 * A quiet server never waits: the check is one clock read.
 */
export class TurnBudget {
  private readonly budgetMs: number;
  /** When the current turn's budget started (performance.now()); -1 when no turn is open. */
  private turnStartedAt = -1;

  /** `budgetMs`: message handling per event-loop turn before the rest waits for the next turn. */
  constructor(budgetMs: number) {
    this.budgetMs = budgetMs;
  }

  /** Nothing while this turn has budget left (no promise on the hot path); otherwise resolves in a later turn that has. */
  pace(): Promise<void> | undefined {
    return this.hasBudgetLeft() ? undefined : this.nextTurnWithBudget();
  }

  /** True while this turn may handle another message; the first call in a turn starts that turn's budget. */
  hasBudgetLeft(): boolean {
    const now = performance.now();
    if (this.turnStartedAt < 0) {
      this.turnStartedAt = now;
      // Immediates run after the poll phase: by then this turn's I/O has been handled and a new budget begins.
      setImmediate(this.endTurn);
      return true;
    }
    return now - this.turnStartedAt < this.budgetMs;
  }

  private async nextTurnWithBudget(): Promise<void> {
    do await new Promise<void>((resolve) => setImmediate(resolve));
    while (!this.hasBudgetLeft());
  }

  private readonly endTurn = (): void => {
    this.turnStartedAt = -1;
  };
}
