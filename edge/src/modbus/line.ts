/**
 * One owner per Modbus line (a serial port or a TCP endpoint): a FIFO queue that serialises
 * every request to every slave id on it, keeps the inter-frame gap, pauses when switching
 * slave id (some SDM units time out without it — reference/meters.md), and applies per-device
 * timeout, retries and exponential backoff. A device in backoff is skipped at once with
 * EDGE_MODBUS_BACKOFF, so one dead meter costs the line at most one probe per backoff period.
 */
import { LightNodeError } from '@lightnode/shared/errors';
import { isTransient } from './errors.js';
import type { ModbusLink } from './link.js';
import type { AcquisitionMetrics } from '../meters/source.js';
import { systemClock, type Clock } from '../scheduler/clock.js';

export interface LineOptions {
  /** Silence kept between the end of one answer and the next request, ms. Default 0 (TCP), 5 (RTU: > 3.5 chars at 9600 baud). */
  interFrameGapMs?: number;
  /** Extra pause before talking to a different slave id than the last request, ms. Default 0. */
  slaveSwitchPauseMs?: number;
}

export interface DeviceOptions {
  /** Modbus unit (slave) id, 0..247 (TCP gateways also use 255). */
  unitId: number;
  /** Answer timeout per attempt, ms. Default 1000. */
  timeoutMs?: number;
  /** Extra attempts after a timeout/CRC/frame error while the device is healthy. Default 1. */
  retries?: number;
  /** First backoff after a failed request, ms; doubles per consecutive failure. Default 1000. */
  backoffBaseMs?: number;
  /** Ceiling of the backoff, ms. Default 60000. */
  backoffMaxMs?: number;
  /** Name used in metrics and errors (the meter id). Default `unit<id>`. */
  name?: string;
}

/** Register reads of one device through its line. */
export interface RegisterReader {
  readRegisters(functionCode: 3 | 4, address: number, count: number): Promise<number[]>;
}

/** Health of one device on a line. */
export interface DeviceHealth {
  consecutiveFailures: number;
  /** Requests are skipped until this time (ms since epoch); 0 when healthy. */
  backoffUntilMs: number;
}

/** A serialised Modbus line; see file comment. */
export class ModbusLine {
  private tail: Promise<unknown> = Promise.resolve();
  private lastUnit: number | undefined;
  private lastFrameEndMs = 0;
  private readonly gapMs: number;
  private readonly switchPauseMs: number;

  constructor(
    readonly link: ModbusLink,
    opts: LineOptions = {},
    private readonly clock: Pick<Clock, 'now' | 'sleep'> = systemClock,
    private readonly metrics?: AcquisitionMetrics,
  ) {
    this.gapMs = nonNegative(opts.interFrameGapMs ?? (link.name.startsWith('rtu:') ? 5 : 0), 'interFrameGapMs');
    this.switchPauseMs = nonNegative(opts.slaveSwitchPauseMs ?? 0, 'slaveSwitchPauseMs');
  }

  /** A handle for one slave on this line; its request events go to `metrics` (default: the line's). */
  device(opts: DeviceOptions, metrics: AcquisitionMetrics | undefined = this.metrics): LineDevice {
    return new LineDevice(this, opts, this.clock, metrics);
  }

  /** Runs `job` when every earlier job on this line has finished (FIFO). */
  enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.tail.then(job, job);
    this.tail = run.catch(() => {});
    return run;
  }

  /** Waits out the inter-frame gap and the slave-switch pause before talking to `unitId`. */
  async pace(unitId: number): Promise<void> {
    let wait = this.lastFrameEndMs + this.gapMs - this.clock.now();
    if (this.lastUnit !== undefined && this.lastUnit !== unitId) wait = Math.max(wait, this.lastFrameEndMs + this.switchPauseMs - this.clock.now());
    if (wait > 0) await this.clock.sleep(wait);
    this.lastUnit = unitId;
  }

  /** Marks the end of a frame exchange (answer, error or timeout). */
  frameDone(): void {
    this.lastFrameEndMs = this.clock.now();
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

/** One slave on a ModbusLine; implements RegisterReader with retries and backoff. */
export class LineDevice implements RegisterReader {
  readonly unitId: number;
  readonly name: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  readonly health: DeviceHealth = { consecutiveFailures: 0, backoffUntilMs: 0 };

  constructor(
    private readonly line: ModbusLine,
    opts: DeviceOptions,
    private readonly clock: Pick<Clock, 'now' | 'sleep'>,
    private readonly metrics?: AcquisitionMetrics,
  ) {
    if (!Number.isInteger(opts.unitId) || opts.unitId < 0 || opts.unitId > 255) throw new RangeError(`unitId: expected integer 0..255, found ${opts.unitId}`);
    this.unitId = opts.unitId;
    this.name = opts.name ?? `unit${opts.unitId}`;
    this.timeoutMs = positive(opts.timeoutMs ?? 1000, 'timeoutMs');
    this.retries = nonNegative(opts.retries ?? 1, 'retries');
    this.backoffBaseMs = positive(opts.backoffBaseMs ?? 1000, 'backoffBaseMs');
    this.backoffMaxMs = positive(opts.backoffMaxMs ?? 60_000, 'backoffMaxMs');
  }

  private skipError(): LightNodeError {
    return new LightNodeError('EDGE_MODBUS_BACKOFF', `${this.line.link.name} unit ${this.unitId} skipped: in backoff after ${this.health.consecutiveFailures} failures`, {
      line: this.line.link.name,
      unitId: this.unitId,
      retryAtMs: this.health.backoffUntilMs,
      consecutiveFailures: this.health.consecutiveFailures,
    });
  }

  /**
   * Reads registers; rejects at once with EDGE_MODBUS_BACKOFF while the device is backing off.
   * Each retry queues again at the back of the line, so a dead meter holds the line for at most
   * one timeout at a time while the other meters' requests go in between.
   */
  async readRegisters(functionCode: 3 | 4, address: number, count: number): Promise<number[]> {
    if (this.clock.now() < this.health.backoffUntilMs) throw this.skipError();
    // A device that already failed gets a single probe: no retries on a dead meter.
    const attempts = this.health.consecutiveFailures > 0 ? 1 : 1 + this.retries;
    let last: LightNodeError | undefined;
    for (let i = 0; i < attempts; i++) {
      try {
        return await this.line.enqueue(() => this.attempt(functionCode, address, count));
      } catch (err) {
        const e = err as LightNodeError;
        // An exception answer means the device is alive: no retry, no backoff. A skip is final.
        if (e.code === 'EDGE_MODBUS_EXCEPTION' || e.code === 'EDGE_MODBUS_BACKOFF') throw e;
        last = e;
        if (!isTransient(e)) break;
      }
    }
    this.health.consecutiveFailures++;
    const backoff = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** Math.min(30, this.health.consecutiveFailures - 1));
    this.health.backoffUntilMs = this.clock.now() + backoff;
    throw last!;
  }

  /** One request on the wire (runs inside the line's queue). */
  private async attempt(functionCode: 3 | 4, address: number, count: number): Promise<number[]> {
    // Re-check: the device may have failed while this request waited in the queue.
    if (this.clock.now() < this.health.backoffUntilMs) throw this.skipError();
    await this.line.pace(this.unitId);
    const started = this.clock.now();
    let regs: number[];
    try {
      regs = await this.line.link.read({ unitId: this.unitId, functionCode, address, count, timeoutMs: this.timeoutMs });
    } catch (err) {
      this.line.frameDone();
      const e = err as LightNodeError;
      this.metrics?.onRequest?.(this.name, this.clock.now() - started, false);
      this.metrics?.onEvent(e.code ?? 'EDGE_MODBUS_CONNECTION', this.name);
      throw e;
    }
    this.line.frameDone();
    this.metrics?.onRequest?.(this.name, this.clock.now() - started, true);
    if (regs.length !== count) {
      this.metrics?.onEvent('EDGE_MODBUS_FRAME', this.name);
      throw new LightNodeError('EDGE_MODBUS_FRAME', `${this.line.link.name} unit ${this.unitId}: asked ${count} registers, got ${regs.length}`, { unitId: this.unitId, address, count });
    }
    this.health.consecutiveFailures = 0;
    this.health.backoffUntilMs = 0;
    return regs;
  }
}

function nonNegative(v: number, field: string): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${field}: expected a number >= 0, found ${v}`);
  return v;
}

function positive(v: number, field: string): number {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${field}: expected a number > 0, found ${v}`);
  return v;
}
