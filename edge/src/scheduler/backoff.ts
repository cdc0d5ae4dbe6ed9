/**
 * The edge's one reconnect backoff (MQTT uplink, Chain 2 gateway links): the delay doubles from
 * `minMs` up to `maxMs`, with jitter so many nodes do not reconnect in step.
 * - 'full' (uplink): uniform in [minMs, cap] ("full jitter", AWS architecture blog, "Exponential
 *   Backoff and Jitter"): a fleet that lost its broker spreads out its reconnects.
 * - 'tenth' (Chain 2): cap ± 10 %: one client per local gateway, no herd, near-regular retries.
 */
import { LightNodeError } from '@lightnode/shared/errors';

export interface BackoffOptions {
  /** First delay, ms (> 0). */
  minMs: number;
  /** Longest delay, ms (a value below minMs means minMs). */
  maxMs: number;
  /** Jitter shape; default 'full'. */
  jitter?: 'full' | 'tenth';
  /** Uniform [0, 1) source; default Math.random (tests pin it). */
  random?: () => number;
}

/** Exponential backoff with jitter; `reset()` after a successful connect. */
export class Backoff {
  #attempt = 0;
  readonly #min: number;
  readonly #max: number;
  readonly #full: boolean;
  readonly #random: () => number;

  constructor(opts: BackoffOptions) {
    if (!(opts.minMs > 0) || !(opts.maxMs >= opts.minMs)) {
      throw new LightNodeError('EDGE_BACKOFF_INVALID', `reconnect delays: expected 0 < min <= max ms, found ${opts.minMs}, ${opts.maxMs}`, { minMs: opts.minMs, maxMs: opts.maxMs });
    }
    this.#min = opts.minMs;
    this.#max = opts.maxMs;
    this.#full = (opts.jitter ?? 'full') === 'full';
    this.#random = opts.random ?? Math.random;
  }

  /** Delay before the next attempt, ms. */
  next(): number {
    const cap = Math.min(this.#max, this.#min * 2 ** Math.min(this.#attempt, 30));
    this.#attempt += 1;
    return Math.round(this.#full ? this.#min + this.#random() * (cap - this.#min) : cap * (0.9 + 0.2 * this.#random()));
  }

  /** Back to the first delay (after a successful connect). */
  reset(): void {
    this.#attempt = 0;
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.#attempt;
  }
}
