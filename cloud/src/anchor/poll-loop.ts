/**
 * The anchorer's timing (DESIGN §6), on an injected clock: passes never overlap, the next one
 * starts `intervalMs` after the last one ended (a slow chain stretches the cycle instead of
 * piling up passes), and a flush repeats passes until done or out of time.
 */
import { LightNodeError } from '@lightnode/shared/errors';
import type { Clock } from '../clock.js';

/** A pass loop started by `startPollLoop`. */
export interface PollLoop {
  /** Run a pass now, or join the one running (whatever its `force`). */
  run(force?: boolean): Promise<void>;
  /** Resolves when no pass is running. */
  idle(): Promise<void>;
  /** Schedule no more passes and wait for the running one. */
  stop(): Promise<void>;
}

/** Start running `pass` every `intervalMs` (after the previous one ended). `pass` must not throw. */
export function startPollLoop(clock: Clock, intervalMs: number, pass: (force: boolean) => Promise<void>): PollLoop {
  let stopped = false;
  let timer: unknown = null;
  let running: Promise<void> | null = null;

  const run = (force = false): Promise<void> => {
    if (!running) running = pass(force).finally(() => { running = null; });
    return running;
  };
  // keepAlive: a BAL whose only pending work is anchoring must not exit.
  const schedule = (): void => {
    if (stopped) return;
    timer = clock.setTimeout(() => { void run().finally(schedule); }, intervalMs, { keepAlive: true });
  };
  schedule();

  return {
    run,
    idle: () => running?.catch(() => {}) ?? Promise.resolve(),
    async stop() {
      stopped = true;
      if (timer !== null) clock.clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}

/**
 * Call `step` every `intervalMs` until it returns null (done); it returns what is still open,
 * for the error. Throws `BAL_TIMEOUT` when not done `timeoutMs` after the start.
 */
export async function repeatUntilDone(clock: Clock, timeoutMs: number, intervalMs: number, what: string, step: () => Promise<string | null>): Promise<void> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    const open = await step();
    if (open === null) return;
    if (clock.now() > deadline) throw new LightNodeError('BAL_TIMEOUT', `${what} timed out: ${open}`, { timeoutMs });
    await clock.sleep(intervalMs);
  }
}
