/**
 * Chain 2 gateway transports: each delivers text messages (one JSON object each) and reports
 * link trouble, reconnecting by itself with exponential backoff. WebSocket gateways start
 * streaming after the client sends `!` (reference/chain2.md); serial gateways send lines.
 */
import type { LightNodeError } from '@lightnode/shared/errors';

export interface Chain2Handlers {
  /** One message as text (a WebSocket message, or one serial line). */
  onMessage(text: string): void;
  /** Link trouble (EDGE_CHAIN2_CONNECTION) or an oversized frame (EDGE_CHAIN2_FRAME_TOO_LARGE). */
  onError(err: LightNodeError): void;
  /** The link is (re)established. */
  onOpen?(): void;
}

export interface Chain2Transport {
  /** Stable name for logs: `ws://host:81` or `serial:/dev/ttyUSB0`. */
  readonly name: string;
  start(handlers: Chain2Handlers): void;
  close(): Promise<void>;
}

export interface ReconnectOptions {
  /** First reconnect delay, ms. Default 1000. */
  reconnectMinMs?: number;
  /** Longest reconnect delay, ms (the delay doubles up to this). Default 30000. */
  reconnectMaxMs?: number;
}

/** Exponential reconnect delays with a little jitter (so many nodes do not reconnect in step). */
export class ReconnectDelay {
  private attempt = 0;
  private readonly min: number;
  private readonly max: number;

  constructor(opts: ReconnectOptions = {}, private readonly random: () => number = Math.random) {
    this.min = opts.reconnectMinMs ?? 1000;
    this.max = opts.reconnectMaxMs ?? 30_000;
    if (!(this.min > 0) || !(this.max >= this.min)) throw new RangeError(`reconnect delays: expected 0 < min <= max, found ${this.min}, ${this.max}`);
  }

  /** The next delay, ms. */
  next(): number {
    const base = Math.min(this.max, this.min * 2 ** Math.min(this.attempt++, 30));
    return Math.round(base * (0.9 + 0.2 * this.random()));
  }

  reset(): void {
    this.attempt = 0;
  }
}
