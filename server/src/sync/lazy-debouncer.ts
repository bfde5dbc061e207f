import type { Hocuspocus } from '@hocuspocus/server';

/** The shape of `Hocuspocus#debouncer`, which this module replaces. */
type Debouncer = Hocuspocus['debouncer'];

interface Pending {
  /** The function of the latest call: it is the one that runs. */
  func: () => unknown;
  /** Date.now() of the first call of this series and of the latest one. */
  first: number;
  latest: number;
  wait: number;
  maxWait: number;
  timer: NodeJS.Timeout;
}

/**
 * A debouncer for Hocuspocus (`hocuspocus.debouncer`) that does not re-arm a timer on every call.
 *
 * Hocuspocus debounces its onStoreDocument hooks once per document update, and its own debouncer clears and sets a
 * timer each time: with the debounce and timer-list work that was ~1.5 % of the server's CPU in the relay benchmark
 * (perf profile, 20 rooms x 60 updates/s). Here a series keeps the timer of its first call; when the timer fires
 * before the series is due, it is set once more for the time left.
 *
 * Same behaviour as Hocuspocus's: the latest call's function runs `wait` ms after the latest call, or once `maxWait`
 * ms have passed since the first call of the series (here when that moment comes; Hocuspocus at the first call after
 * it); `wait` 0 runs at once and resolves with the function's result; a run waits for a running one of the same id.
 */
export function createLazyDebouncer(): Debouncer {
  const pending = new Map<string, Pending>();
  const running = new Map<string, Promise<unknown>>();

  const run = async (id: string, func: () => unknown): Promise<unknown> => {
    pending.delete(id);
    const previous = running.get(id);
    if (previous) await previous;
    const execution = Promise.resolve(func());
    running.set(id, execution);
    try {
      return await execution;
    } finally {
      if (running.get(id) === execution) running.delete(id);
    }
  };

  // A series' timer is cleared or has fired before its entry goes, so the entry it finds is its own.
  const fire = (id: string): void => {
    const entry = pending.get(id)!;
    const due = Math.min(entry.latest + entry.wait, entry.first + entry.maxWait);
    const left = due - Date.now();
    if (left > 0) {
      entry.timer = setTimeout(fire, left, id);
      return;
    }
    // Not awaited, as in Hocuspocus: its store function catches its own errors.
    void run(id, entry.func);
  };

  return {
    debounce(id, func, wait, maxWait) {
      const now = Date.now();
      const entry = pending.get(id);
      if (wait === 0 || now - (entry?.first ?? now) >= maxWait) {
        if (entry) clearTimeout(entry.timer);
        return run(id, func);
      }
      if (entry) {
        entry.func = func;
        entry.latest = now;
        entry.wait = wait;
        entry.maxWait = maxWait;
      } else {
        pending.set(id, { func, first: now, latest: now, wait, maxWait, timer: setTimeout(fire, wait, id) });
      }
      return Promise.resolve();
    },
    isDebounced: (id) => pending.has(id),
    isCurrentlyExecuting: (id) => running.has(id),
    executeNow(id) {
      const entry = pending.get(id);
      if (!entry) return undefined;
      clearTimeout(entry.timer);
      return run(id, entry.func);
    },
  };
}
