/**
 * Admission of WebSocket clients: at most a few joining at once, the rest upgraded in arrival order as places free.
 *
 * A join is most of a connection's work (the handshake, authentication, loading the room, the first sync, the client's
 * offline edits sent to everyone else), and much of it runs in promise continuations that Hocuspocus resumes together:
 * when 500 clients reconnect after a restart, a room's load releases all its joiners in one event-loop turn, and turns
 * of 50-150 ms follow one another until the storm is over. /healthz, heartbeats and new connections (libuv accepts one
 * per listening socket per turn, see http/accept-queues.ts) wait behind each. With a few joins in flight every turn
 * stays short, and the storm takes about the same total time.
 *
 * A client holds its place until its document is connected or it closes, at most `slotMs` (a slow store cannot hold
 * the door shut), and at most `quietMs` while it has sent nothing: a socket that opens and says nothing costs nothing,
 * and must not be able to keep others waiting.
 */
export class JoinGate<Client> {
  private readonly maxJoining: number;
  private readonly slotMs: number;
  private readonly quietMs: number;
  /** Upgrades waiting for a place, in arrival order. */
  private readonly waiting: (() => void)[] = [];
  /** Clients holding a place: whether they have been heard from, and the timer that frees the place. */
  private readonly joining = new Map<Client, { heard: boolean; heldAt: number; timer: NodeJS.Timeout }>();
  private admitScheduled = false;

  /** `maxJoining` clients may be joining at once; see the class comment for `slotMs` and `quietMs`. */
  constructor(options: { maxJoining: number; slotMs: number; quietMs: number }) {
    this.maxJoining = options.maxJoining;
    this.slotMs = options.slotMs;
    this.quietMs = options.quietMs;
  }

  /** Upgrades waiting for a place. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /**
   * Runs `upgrade` now if a place is free, otherwise once one is, after the upgrades that came before it. The upgrade
   * calls {@link hold} for the client it lets in (or nothing, if the socket died meanwhile).
   */
  enter(upgrade: () => void): void {
    this.waiting.push(upgrade);
    this.admit();
  }

  /** `client` was just let in: it holds a place. `heard`: it has already sent something (or the server did for it). */
  hold(client: Client, heard: boolean): void {
    const place = { heard, heldAt: performance.now(), timer: setTimeout(() => this.release(client), heard ? this.slotMs : this.quietMs) };
    place.timer.unref();
    this.joining.set(client, place);
  }

  /** `client` sent its first frame: it keeps its place until it joins, up to `slotMs` after it was let in. */
  heard(client: Client): void {
    const place = this.joining.get(client);
    if (!place || place.heard) return;
    place.heard = true;
    clearTimeout(place.timer);
    place.timer = setTimeout(() => this.release(client), this.slotMs - (performance.now() - place.heldAt));
    place.timer.unref();
  }

  /** `client` joined (its document connected) or closed: its place goes to the next waiting upgrade. */
  release(client: Client): void {
    const place = this.joining.get(client);
    if (!place) return;
    clearTimeout(place.timer);
    this.joining.delete(client);
    // The next upgrades run in a turn of their own, after the loop has polled for I/O again.
    if (this.waiting.length > 0 && !this.admitScheduled) {
      this.admitScheduled = true;
      setImmediate(() => {
        this.admitScheduled = false;
        this.admit();
      });
    }
  }

  private admit(): void {
    while (this.joining.size < this.maxJoining && this.waiting.length > 0) this.waiting.shift()!();
  }
}
