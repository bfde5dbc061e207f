/**
 * A browser's frame loop for Node worker threads: `requestAnimationFrame` at 60 Hz, with input handled first.
 *
 * Both products schedule their network work on frames in a browser: tldraw's store tells its listeners about changes
 * on the next frame, Scrawl's binding writes one Yjs transaction per frame, and TLSyncClient sends and applies at
 * most 30 times a second through tldraw's frame scheduler. Node has no frames; without this, tldraw's scheduler only
 * works with NODE_ENV=test, which turns its throttling off altogether and deep-freezes every record. So each worker
 * gets the loop a browser has: each frame first runs the input handlers (pointer moves, as a browser dispatches
 * pointer events before animation callbacks), then the animation callbacks requested before the frame began;
 * callbacks requested during the frame wait for the next one, as in a browser.
 *
 * It also measures how late frames fire against their 60 Hz schedule: a worker whose event loop cannot keep up shows
 * here first, which is how the bench tells client-side lag from server-side lag.
 */

/** One frame at 60 Hz. */
export const FRAME_MS = 1000 / 60;

type FrameCallback = (timestamp: number) => void;

/** A 60 Hz frame loop; install() puts its requestAnimationFrame on globalThis. */
export class FrameClock {
  private readonly inputs: Array<(frameAtMs: number) => void> = [];
  private callbacks = new Map<number, FrameCallback>();
  private nextHandle = 1;
  private frame = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** How late each frame ran against its schedule, in ms (only while recording). */
  readonly lateness: number[] = [];
  recording = false;

  /** Makes this clock the thread's requestAnimationFrame / cancelAnimationFrame. */
  install(): void {
    const global = globalThis as unknown as Record<string, unknown>;
    global.requestAnimationFrame = (callback: FrameCallback) => {
      const handle = this.nextHandle++;
      this.callbacks.set(handle, callback);
      return handle;
    };
    global.cancelAnimationFrame = (handle: number) => {
      this.callbacks.delete(handle);
    };
  }

  /** Runs `handler` at the start of every frame, before the animation callbacks (a browser's input phase). */
  onInput(handler: (frameAtMs: number) => void): void {
    this.inputs.push(handler);
  }

  start(): void {
    this.startedAt = performance.now();
    this.frame = 0;
    this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    const dueAt = this.startedAt + (this.frame + 1) * FRAME_MS;
    this.timer = setTimeout(() => this.tick(dueAt), Math.max(0, dueAt - performance.now()));
  }

  private tick(dueAt: number): void {
    const now = performance.now();
    if (this.recording) this.lateness.push(now - dueAt);
    // A late frame does not make up the ones it missed (a browser drops them too); the next is due on the grid.
    this.frame = Math.max(this.frame + 1, Math.floor((now - this.startedAt) / FRAME_MS));
    for (const input of this.inputs) input(now);
    const due = this.callbacks;
    this.callbacks = new Map();
    for (const callback of due.values()) callback(now);
    this.schedule();
  }
}
