/**
 * Chain 2 over a serial line (serialport 13, `lock: false` so ptys work): one JSON object per
 * line, split with a length cap; reopens the port with backoff when it fails or disappears.
 */
import { SerialPort } from 'serialport';
import { LightNodeError } from '@lightnode/shared/errors';
import { LineSplitter } from './line-splitter.js';
import { reconnectBackoff, type Chain2Handlers, type Chain2Transport, type ReconnectOptions } from './transport.js';
import type { Backoff } from '../scheduler/backoff.js';
import { systemClock, type Clock } from '../scheduler/clock.js';

export interface SerialTransportOptions extends ReconnectOptions {
  path: string;
  /** Default 115200. */
  baudRate?: number;
  /** Longest accepted line, bytes. Default 65536. */
  maxLineBytes?: number;
}

export class SerialChain2Transport implements Chain2Transport {
  readonly name: string;
  private port: SerialPort | undefined;
  private timer: unknown;
  private readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  private closed = false;
  private readonly delay: Backoff;

  constructor(private readonly opts: SerialTransportOptions) {
    this.name = `serial:${opts.path}`;
    this.delay = reconnectBackoff(opts);
    this.clock = opts.clock ?? systemClock;
  }

  start(h: Chain2Handlers): void {
    if (this.closed) return;
    const splitter = new LineSplitter({ maxLineBytes: this.opts.maxLineBytes ?? 65536 });
    const port = new SerialPort({ path: this.opts.path, baudRate: this.opts.baudRate ?? 115200, autoOpen: false, lock: false });
    this.port = port;
    let retrying = false;
    const retry = (why: string) => {
      if (retrying || this.closed) return;
      retrying = true;
      h.onError(new LightNodeError('EDGE_CHAIN2_CONNECTION', `${this.name}: ${why}`, { path: this.opts.path, reason: why }));
      if (this.port === port) this.port = undefined;
      if (port.isOpen) port.close(() => {});
      this.timer = this.clock.setTimeout(() => this.start(h), this.delay.next(), { keepAlive: true });
    };
    port.on('data', (chunk: Buffer) => {
      for (const ev of splitter.push(chunk)) {
        if (ev.kind === 'line') h.onMessage(ev.text);
        else h.onError(new LightNodeError('EDGE_CHAIN2_FRAME_TOO_LARGE', `${this.name}: line of ${ev.bytes} bytes over the limit`, { bytes: ev.bytes }));
      }
    });
    port.on('error', (err) => retry(err.message));
    port.on('close', () => retry('port closed'));
    port.open((err) => {
      if (err) return retry(err.message);
      this.delay.reset();
      h.onOpen?.();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
