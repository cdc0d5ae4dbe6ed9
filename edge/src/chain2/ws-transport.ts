/**
 * Chain 2 over WebSocket (ws 8): connects, sends `!` to start the stream, hands every message
 * over, and reconnects with backoff when the gateway closes or cannot be reached.
 */
import WebSocket from 'ws';
import { LightNodeError } from '@lightnode/shared/errors';
import { reconnectBackoff, type Chain2Handlers, type Chain2Transport, type ReconnectOptions } from './transport.js';
import type { Backoff } from '../scheduler/backoff.js';
import { systemClock, type Clock } from '../scheduler/clock.js';

export interface WsTransportOptions extends ReconnectOptions {
  /** Gateway URL, e.g. `ws://192.168.1.50:81`. */
  url: string;
  /** Largest accepted message, bytes; larger ones are dropped with EDGE_CHAIN2_FRAME_TOO_LARGE. Default 65536. */
  maxMessageBytes?: number;
  /** Connect timeout, ms. Default 5000. */
  connectTimeoutMs?: number;
  /** Text sent after open to start the stream. Default `!`. */
  startCommand?: string;
}

export class WsChain2Transport implements Chain2Transport {
  readonly name: string;
  private ws: WebSocket | undefined;
  private timer: unknown;
  private readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  private closed = false;
  private readonly delay: Backoff;
  private readonly maxBytes: number;

  constructor(private readonly opts: WsTransportOptions) {
    this.name = opts.url;
    this.delay = reconnectBackoff(opts);
    this.clock = opts.clock ?? systemClock;
    this.maxBytes = opts.maxMessageBytes ?? 65536;
  }

  start(h: Chain2Handlers): void {
    if (this.closed) return;
    // Hard cap well above maxMessageBytes: ws closes the socket (1009) past it, protecting memory.
    const ws = new WebSocket(this.opts.url, { handshakeTimeout: this.opts.connectTimeoutMs ?? 5000, maxPayload: Math.max(this.maxBytes * 16, 1 << 20) });
    this.ws = ws;
    let reported = false;
    const fail = (why: string) => {
      if (reported) return;
      reported = true;
      h.onError(new LightNodeError('EDGE_CHAIN2_CONNECTION', `${this.name}: ${why}`, { url: this.opts.url, reason: why }));
    };
    ws.on('open', () => {
      this.delay.reset();
      ws.send(this.opts.startCommand ?? '!');
      h.onOpen?.();
    });
    ws.on('message', (data) => {
      const size = Array.isArray(data) ? data.reduce((a, b) => a + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
      if (size > this.maxBytes) {
        h.onError(new LightNodeError('EDGE_CHAIN2_FRAME_TOO_LARGE', `${this.name}: message of ${size} bytes over ${this.maxBytes}`, { bytes: size, max: this.maxBytes }));
        return;
      }
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
      // Some gateways batch several objects, one per line, in one message.
      for (const line of text.split('\n')) if (line.trim().length > 0) h.onMessage(line);
    });
    ws.on('error', (err) => fail(err.message));
    ws.on('close', (code) => {
      if (this.ws === ws) this.ws = undefined;
      if (this.closed) return;
      fail(`closed (${code})`);
      this.timer = this.clock.setTimeout(() => this.start(h), this.delay.next(), { keepAlive: true });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = undefined;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close();
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000).unref();
    });
  }
}
