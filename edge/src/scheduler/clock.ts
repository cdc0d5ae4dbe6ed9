/**
 * The edge's one clock: time, timers and waiting, injected so every schedule, timeout and
 * backoff is testable with a fake clock (STYLE habit 3). Acquisition code that only reads the
 * time or waits takes `Pick<Clock, 'now' | 'sleep'>`.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Run `fn` once after `ms`; returns a handle for clearTimeout. `keepAlive`: the pending timer
   * holds the process open (a disconnected agent's reconnect may be all it is waiting for).
   */
  setTimeout(fn: () => void, ms: number, opts?: { keepAlive?: boolean }): unknown;
  clearTimeout(handle: unknown): void;
  /** Resolve after `ms` (at once when ms ≤ 0). */
  sleep(ms: number): Promise<void>;
}

/**
 * The real clock. Scheduled timers are unref'd unless `keepAlive`: the agent's sockets keep the
 * process alive, not its timers. `sleep` keeps its timer ref'd: someone awaits it, and an unref'd wait with no
 * socket open would let the process exit under the awaiting code.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms, opts) => {
    const t = setTimeout(fn, ms);
    if (!opts?.keepAlive) t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  sleep: (ms) => (ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms))),
};

/** A repeating timer on `clock`: `fn` every `intervalMs` until the returned cancel is called. */
export function every(clock: Clock, intervalMs: number, fn: () => void): () => void {
  let handle: unknown;
  let cancelled = false;
  const tick = (): void => {
    handle = clock.setTimeout(() => {
      if (cancelled) return;
      tick(); // re-arm first, so a throwing fn does not stop the repetition
      fn();
    }, intervalMs);
  };
  tick();
  return () => {
    cancelled = true;
    clock.clearTimeout(handle);
  };
}

/** A manual clock for tests: `advance(ms)` fires due timers in time order. */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();
  constructor(startMs = 1_700_000_000_000) { this.#now = startMs; }
  now(): number { return this.#now; }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(h: unknown): void { this.#timers.delete(h as number); }
  sleep(ms: number): Promise<void> {
    return ms <= 0 ? Promise.resolve() : new Promise((r) => this.setTimeout(r, ms));
  }
  /** Timers not yet fired. */
  get pending(): number { return this.#timers.size; }
  /** Move time forward, running every timer that falls due (and timers they schedule). */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.#timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].at;
      next[1].fn();
      await new Promise((r) => setImmediate(r)); // let async jobs progress
    }
    this.#now = end;
  }
}
