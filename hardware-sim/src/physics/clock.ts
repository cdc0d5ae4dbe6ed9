/**
 * Simulated time: wall-clock time scaled by a time-acceleration factor, so tests can run
 * simulated hours in seconds. The real clock is injected (DESIGN §8) so logic runs on a fake.
 */

/** Source of real time in milliseconds (default: Date.now). */
export interface RealClock { nowMs(): number }

export const systemClock: RealClock = { nowMs: () => Date.now() };

export interface SimClockOptions {
  /** Simulated time at start, ms since the Unix epoch (default: real time at construction). */
  startMs?: number;
  /** Simulated seconds per real second (default 1; 3600 = one simulated hour per second). */
  acceleration?: number;
  /** Real time source (default: system clock). */
  real?: RealClock;
}

/** A simulated clock: simMs = startMs + (real - realStart) × acceleration. */
export class SimClock {
  readonly acceleration: number;
  private readonly real: RealClock;
  private realStart: number;
  private simStart: number;

  constructor(opts: SimClockOptions = {}) {
    this.real = opts.real ?? systemClock;
    this.acceleration = opts.acceleration ?? 1;
    if (!(this.acceleration > 0) || !Number.isFinite(this.acceleration)) throw new RangeError(`acceleration must be a positive number, got ${this.acceleration}`);
    this.realStart = this.real.nowMs();
    this.simStart = opts.startMs ?? this.realStart;
  }

  /** Current simulated time in ms since the Unix epoch. */
  nowMs(): number {
    return Math.floor(this.simStart + (this.real.nowMs() - this.realStart) * this.acceleration);
  }

  /** Real milliseconds that correspond to `simMs` simulated milliseconds. */
  realMsFor(simMs: number): number {
    return simMs / this.acceleration;
  }
}

/** A manually advanced clock for tests. */
export class FakeClock implements RealClock {
  constructor(private t = 0) {}
  nowMs(): number { return this.t; }
  advance(ms: number): void { this.t += ms; }
}
