/**
 * The edge's one clock: time, timers and waiting, injected so every schedule, timeout and
 * backoff is testable with a fake clock (STYLE habit 3). The interface and the fake are the
 * workspace's one Clock (`@lightnode/shared/clock`); this file binds them to Node's timers.
 * Acquisition code that only reads the time or waits takes `Pick<Clock, 'now' | 'sleep'>`.
 */
import { FakeClock as ManualClock, hostClock, type Clock } from '@lightnode/shared/clock';

export type { Clock };

/**
 * The real clock. Scheduled timers are unref'd unless `keepAlive`: the agent's sockets keep the
 * process alive, not its timers (a disconnected agent's reconnect asks for `keepAlive`).
 */
export const systemClock: Clock = hostClock({ now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) });

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

/**
 * The shared manual clock for tests, yielding one event-loop turn after each timer so the
 * agent's async work (SQLite, sockets) reaches its next timer.
 */
export class FakeClock extends ManualClock {
  constructor(startMs?: number) { super(startMs, () => new Promise((r) => setImmediate(r))); }
}
