/** Time source and timers, injected so schedules are testable with a fake clock (STYLE habit 3). */
export interface TimerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock (timers unref'd: the agent's sockets keep the process alive, not its timers). */
export const systemTimerClock: TimerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** A manual clock for tests: `advance(ms)` fires due timers in time order. */
export class FakeClock implements TimerClock {
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
