/**
 * Builds Modbus meters from config, keeping exactly one ModbusLine (one owner, one queue) per
 * serial port or TCP endpoint, however many meters (slave ids) sit on it.
 */
import { ValidationError } from '@lightnode/shared/errors';
import { ModbusLine, type DeviceOptions, type LineOptions } from '../modbus/line.js';
import { ModbusSerialLink, linkName, type LinkConfig, type ModbusLink } from '../modbus/link.js';
import { ModbusTcpLink } from '../modbus/tcp-link.js';
import { ModbusMeter } from './modbus-meter.js';
import { loadTemplate, type MeterTemplate } from './template.js';
import { validateModbusMeterConfig } from './modbus-config.js';
import { noMetrics, type AcquisitionMetrics } from './source.js';
import { systemClock, type Clock } from '../scheduler/clock.js';
import type { LightNodeError } from '@lightnode/shared/errors';

/** One Modbus meter of the agent config (`meters[]` entries with `kind: 'modbus'`). */
export interface ModbusMeterConfig {
  /** Meter id (Reading.meter), 1..64 chars [A-Za-z0-9._:-]. */
  id: string;
  /** Shipped template id (`sdm630`, `sdm120`, `sunspec-203`, `sunspec-213`) or path to a JSON template. */
  template: string;
  /** Line: `{ kind: 'tcp', host, port }` or `{ kind: 'rtu', path, baudRate?, parity?, dataBits?, stopBits? }`. */
  link: LinkConfig;
  /** Line pacing (shared by every meter on the same line; must agree). */
  line?: LineOptions;
  /** Slave id, timeout, retries, backoff (see DeviceOptions). */
  device: Omit<DeviceOptions, 'name'>;
  /** Overrides the template's hole fill (registers). */
  maxHoleFill?: number;
  /** Overrides the template's largest read (registers). */
  maxRegisters?: number;
}

/** Owns the lines: one per port/endpoint. */
export class ModbusLinePool {
  private readonly lines = new Map<string, { line: ModbusLine; opts: string; users: number }>();

  constructor(
    private readonly clock: Pick<Clock, 'now' | 'sleep'> = systemClock,
    private readonly metrics: AcquisitionMetrics = noMetrics,
  ) {}

  /** The line for `link`, created on first use. Throws CONFIG_INVALID if pacing options disagree. */
  acquire(link: LinkConfig, opts: LineOptions = {}): ModbusLine {
    const name = linkName(link);
    const key = JSON.stringify(opts);
    const have = this.lines.get(name);
    if (have) {
      if (have.opts !== key) throw new ValidationError('CONFIG_INVALID', `line ${name}`, `the same line options on every meter (${have.opts})`, key);
      have.users++;
      return have.line;
    }
    // TCP over the agent's own socket client (no modbus-serial/serialport loaded); RTU via modbus-serial.
    const wire: ModbusLink = link.kind === 'tcp' ? new ModbusTcpLink(link) : new ModbusSerialLink(link);
    const line = new ModbusLine(wire, opts, this.clock, this.metrics);
    this.lines.set(name, { line, opts: key, users: 1 });
    return line;
  }

  /** Drops one user of the line; closes it when none is left. */
  async release(link: LinkConfig): Promise<void> {
    const name = linkName(link);
    const have = this.lines.get(name);
    if (!have) return;
    if (--have.users > 0) return;
    this.lines.delete(name);
    await have.line.close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.lines.values()];
    this.lines.clear();
    await Promise.all(all.map((l) => l.line.close()));
  }
}

export interface CreateMeterOptions {
  clock?: Pick<Clock, 'now' | 'sleep'>;
  metrics?: AcquisitionMetrics;
  onIssue?: (err: LightNodeError) => void;
  /** A template object instead of loading `cfg.template`. */
  template?: MeterTemplate;
}

/**
 * Creates a ModbusMeter on the pool's line for `cfg.link`; close() releases the line. `cfg` is
 * validated here (CONFIG_INVALID / CONFIG_TEMPLATE_INVALID naming the field), so raw config
 * entries may be passed as they are.
 */
export function createModbusMeter(raw: ModbusMeterConfig, pool: ModbusLinePool, opts: CreateMeterOptions = {}): ModbusMeter {
  const cfg = validateModbusMeterConfig(raw, `meters.${String((raw as { id?: unknown }).id)}`);
  const template = opts.template ?? loadTemplate(cfg.template);
  const line = pool.acquire(cfg.link, cfg.line);
  const device = line.device({ ...cfg.device, name: cfg.id }, opts.metrics);
  return new ModbusMeter({
    id: cfg.id,
    template,
    device,
    ...(cfg.maxHoleFill !== undefined ? { maxHoleFill: cfg.maxHoleFill } : {}),
    ...(cfg.maxRegisters !== undefined ? { maxRegisters: cfg.maxRegisters } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.onIssue ? { onIssue: opts.onIssue } : {}),
    onClose: () => pool.release(cfg.link),
  });
}
