/** Exponential reconnect backoff with full jitter (AWS architecture blog, "Exponential Backoff and Jitter"). */
export class Backoff {
  #attempt = 0;
  constructor(private readonly minMs: number, private readonly maxMs: number, private readonly random: () => number = Math.random) {}

  /** Delay before the next attempt, ms: uniform in [minMs, min(maxMs, minMs·2^attempt)]. */
  next(): number {
    const cap = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt += 1;
    return Math.round(this.minMs + this.random() * (cap - this.minMs));
  }

  /** Back to the first delay (after a successful connect). */
  reset(): void {
    this.#attempt = 0;
  }

  get attempts(): number {
    return this.#attempt;
  }
}
