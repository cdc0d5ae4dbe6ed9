/**
 * Failed-login rate limit (OWASP authentication cheat sheet: throttle per account and per
 * source). A sliding window of failure times per username and per remote address: a login is
 * allowed while both windows hold fewer failures than their limit. A success clears the
 * username's window (not the address's: one address guessing many accounts stays throttled).
 * Memory is bounded: at most `maxKeys` windows per kind, the least recently touched evicted.
 * In-process: one BAL instance (the BAL owns its broker and store the same way).
 */
import { LightNodeError } from '@lightnode/shared/errors';
import type { Clock } from '../clock.js';

export interface LimitRule {
  /** Failures allowed inside the window; the next attempt is refused. */
  maxFailures: number;
  /** Window length, ms. */
  windowMs: number;
}

export interface LoginLimiterOptions {
  clock: Pick<Clock, 'now'>;
  /** Per username (case-insensitive); default 5 per 15 min. */
  perUser?: LimitRule;
  /** Per remote address; default 20 per 15 min. */
  perAddress?: LimitRule;
  /** Windows kept per kind; default 10,000. */
  maxKeys?: number;
}

/** Whether to try the password at all, and when to come back if not. */
export interface LoginDecision {
  allowed: boolean;
  /** Whole seconds until an attempt may be allowed again (0 when allowed). */
  retryAfterSec: number;
}

export interface LoginLimiter {
  /** Check before verifying the password (a refused attempt is not counted). */
  check(username: string, address: string): LoginDecision;
  /** Throws BAL_ACCESS_LOGIN_RATE_LIMITED (details.retryAfterSec) when `check` refuses. */
  assertAllowed(username: string, address: string): void;
  /** Count a failed login (unknown user or wrong password alike). */
  failure(username: string, address: string): void;
  /** A successful login: clears the username's failures. */
  success(username: string): void;
}

export const DEFAULT_PER_USER: Readonly<LimitRule> = { maxFailures: 5, windowMs: 15 * 60_000 };
export const DEFAULT_PER_ADDRESS: Readonly<LimitRule> = { maxFailures: 20, windowMs: 15 * 60_000 };

/** Failure times per key, least recently touched first (Map insertion order). */
class Windows {
  readonly #map = new Map<string, number[]>();
  constructor(private readonly rule: LimitRule, private readonly maxKeys: number) {}

  /** Ms until `key` may try again (0: now), dropping failures that left the window. */
  waitMs(key: string, nowMs: number): number {
    const times = this.#map.get(key);
    if (!times) return 0;
    while (times.length > 0 && times[0]! <= nowMs - this.rule.windowMs) times.shift();
    if (times.length === 0) { this.#map.delete(key); return 0; }
    // Refused while maxFailures lie in the window: until the oldest that keeps it full leaves.
    if (times.length < this.rule.maxFailures) return 0;
    return times[times.length - this.rule.maxFailures]! + this.rule.windowMs - nowMs;
  }

  add(key: string, nowMs: number): void {
    this.waitMs(key, nowMs);
    const times = this.#map.get(key) ?? [];
    this.#map.delete(key);
    times.push(nowMs);
    // Only the last maxFailures matter for the decision.
    if (times.length > this.rule.maxFailures) times.splice(0, times.length - this.rule.maxFailures);
    this.#map.set(key, times);
    while (this.#map.size > this.maxKeys) this.#map.delete(this.#map.keys().next().value!);
  }

  clear(key: string): void { this.#map.delete(key); }
  get size(): number { return this.#map.size; }
}

/** A failed-login limiter with its own in-memory windows. */
export function createLoginLimiter(opts: LoginLimiterOptions): LoginLimiter & { readonly trackedKeys: number } {
  const maxKeys = opts.maxKeys ?? 10_000;
  const users = new Windows(opts.perUser ?? DEFAULT_PER_USER, maxKeys);
  const addresses = new Windows(opts.perAddress ?? DEFAULT_PER_ADDRESS, maxKeys);
  const userKey = (u: string): string => u.toLowerCase();

  const check = (username: string, address: string): LoginDecision => {
    const now = opts.clock.now();
    const waitMs = Math.max(users.waitMs(userKey(username), now), addresses.waitMs(address, now));
    return waitMs > 0 ? { allowed: false, retryAfterSec: Math.ceil(waitMs / 1000) } : { allowed: true, retryAfterSec: 0 };
  };
  return {
    check,
    assertAllowed(username, address) {
      const d = check(username, address);
      if (!d.allowed) throw new LightNodeError('BAL_ACCESS_LOGIN_RATE_LIMITED', `too many failed logins; retry in ${d.retryAfterSec} s`, { retryAfterSec: d.retryAfterSec });
    },
    failure(username, address) {
      const now = opts.clock.now();
      users.add(userKey(username), now);
      addresses.add(address, now);
    },
    success(username) { users.clear(userKey(username)); },
    get trackedKeys() { return users.size + addresses.size; },
  };
}
