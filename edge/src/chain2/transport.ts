/**
 * Chain 2 gateway transports: each delivers text messages (one JSON object each) and reports
 * link trouble, reconnecting by itself with exponential backoff. WebSocket gateways start
 * streaming after the client sends `!` (reference/chain2.md); serial gateways send lines.
 */
import type { LightNodeError } from '@lightnode/shared/errors';
import { Backoff } from '../scheduler/backoff.js';
import type { Clock } from '../scheduler/clock.js';

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
  /** Timers for the reconnect wait. Default: the system clock. */
  clock?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}

/** The gateway link's reconnect backoff: the edge's one Backoff, ± 10 % jitter (one client per gateway, no herd). */
export function reconnectBackoff(opts: ReconnectOptions = {}, random?: () => number): Backoff {
  return new Backoff({ minMs: opts.reconnectMinMs ?? 1000, maxMs: opts.reconnectMaxMs ?? 30_000, jitter: 'tenth', ...(random ? { random } : {}) });
}
