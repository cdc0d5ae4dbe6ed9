/**
 * Time, timers and waiting, injected so every schedule, timeout and window is testable with a
 * fake clock (STYLE habit 3). Shared reads no clock itself: `hostClock` builds the real one
 * from the timers a package hands it (`cloud/src/clock.ts`), `FakeClock` is the test one.
 * The shape is the agent's clock (`edge/src/scheduler/clock.ts`).
 */

/** A clock with one-shot timers and a sleep. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Run `fn` once after `ms`; returns a handle for clearTimeout. `keepAlive`: the pending timer
   * holds the process open (otherwise only sockets and servers do).
   */
  setTimeout(fn: () => void, ms: number, opts?: { keepAlive?: boolean }): unknown;
  clearTimeout(handle: unknown): void;
  /** Resolve after `ms` (at once when ms ≤ 0). */
  sleep(ms: number): Promise<void>;
}

/** The host's own time and timers (Node's globals), handed in by the package that runs them. */
export interface HostTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock over the host's timers. Timers are unref'd unless `keepAlive`; `sleep` keeps
 * its timer ref'd: someone awaits it, and an unref'd wait with nothing else open would let the
 * process exit under the awaiting code.
 */
export function hostClock(host: HostTimers): Clock {
  const unref = (t: unknown): unknown => { (t as { unref?: () => void }).unref?.(); return t; };
  return {
    now: () => host.now(),
    setTimeout: (fn, ms, opts) => (opts?.keepAlive ? host.setTimeout(fn, ms) : unref(host.setTimeout(fn, ms))),
    clearTimeout: (h) => host.clearTimeout(h),
    sleep: (ms) => (ms <= 0 ? Promise.resolve() : new Promise((r) => { host.setTimeout(r, ms); })),
  };
}

/**
 * A manual clock for tests: `advance(ms)` fires due timers in time order. After each timer it
 * awaits `settle()` so the async work the timer started can reach its next timer; pass one that
 * yields an event-loop turn (`() => new Promise((r) => setImmediate(r))`) when that work awaits
 * I/O; the default only lets already-resolved promise callbacks run.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();
  readonly #settle: () => Promise<void>;
  constructor(startMs = 1_700_000_000_000, settle: () => Promise<void> = () => Promise.resolve()) {
    this.#now = startMs;
    this.#settle = settle;
  }
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
      await this.#settle();
    }
    this.#now = end;
  }
}
