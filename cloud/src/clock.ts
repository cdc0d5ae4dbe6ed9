/** The BAL's real clock: the shared `Clock` over Node's global timers (tests inject a FakeClock). */
import { hostClock, type Clock } from '@lightnode/shared/clock';

export type { Clock } from '@lightnode/shared/clock';

/** Node's `Date.now` and timers. */
export const systemClock: Clock = hostClock({ now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) });
