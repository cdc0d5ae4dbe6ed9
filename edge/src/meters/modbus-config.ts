/**
 * Validation of one Modbus meter entry of the agent config (boundary, fail closed): names the
 * field, what was expected and what was found. Units in names: timeoutMs, backoffBaseMs, …
 */
import { ValidationError } from '@lightnode/shared/errors';
import { METER_RE } from '@lightnode/shared/reading';
import type { ModbusMeterConfig } from './modbus-factory.js';

type Obj = Record<string, unknown>;
const E = 'CONFIG_INVALID';

function fail(field: string, expected: string, found: unknown): never {
  throw new ValidationError(E, field, expected, found);
}

function obj(x: unknown, field: string): Obj {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail(field, 'an object', x);
  return x as Obj;
}

function known(o: Obj, field: string, keys: string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`${field}.${k}`, `one of ${keys.join(', ')}`, k);
}

function int(o: Obj, k: string, field: string, lo: number, hi: number, dflt?: number): number | undefined {
  const v = o[k];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) fail(`${field}.${k}`, `an integer ${lo}..${hi}`, v);
  return v;
}

function str(o: Obj, k: string, field: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length === 0 || v.length > 4096) fail(`${field}.${k}`, 'a non-empty string', v);
  return v;
}

/**
 * Validates a Modbus meter config entry. Keys the agent core owns (`kind`, `intervalMs`,
 * `cron`) are allowed and ignored here.
 */
export function validateModbusMeterConfig(x: unknown, field = 'meter'): ModbusMeterConfig {
  const o = obj(x, field);
  known(o, field, ['id', 'kind', 'intervalMs', 'cron', 'template', 'link', 'line', 'device', 'maxHoleFill', 'maxRegisters']);
  const id = str(o, 'id', field);
  if (!METER_RE.test(id)) fail(`${field}.id`, '1..64 chars [A-Za-z0-9._:-]', id);
  const template = str(o, 'template', field);
  const l = obj(o.link, `${field}.link`);
  let link: ModbusMeterConfig['link'];
  if (l.kind === 'tcp') {
    known(l, `${field}.link`, ['kind', 'host', 'port', 'connectTimeoutMs']);
    link = { kind: 'tcp', host: str(l, 'host', `${field}.link`), port: int(l, 'port', `${field}.link`, 1, 65535, -1)! };
    if (link.port === -1) fail(`${field}.link.port`, 'a TCP port 1..65535', undefined);
    const ct = int(l, 'connectTimeoutMs', `${field}.link`, 1, 600_000);
    if (ct !== undefined) link.connectTimeoutMs = ct;
  } else if (l.kind === 'rtu') {
    known(l, `${field}.link`, ['kind', 'path', 'baudRate', 'dataBits', 'stopBits', 'parity']);
    link = { kind: 'rtu', path: str(l, 'path', `${field}.link`) };
    const baud = int(l, 'baudRate', `${field}.link`, 300, 4_000_000);
    if (baud !== undefined) link.baudRate = baud;
    if (l.dataBits !== undefined) {
      if (l.dataBits !== 7 && l.dataBits !== 8) fail(`${field}.link.dataBits`, '7 or 8', l.dataBits);
      link.dataBits = l.dataBits;
    }
    if (l.stopBits !== undefined) {
      if (l.stopBits !== 1 && l.stopBits !== 2) fail(`${field}.link.stopBits`, '1 or 2', l.stopBits);
      link.stopBits = l.stopBits;
    }
    if (l.parity !== undefined) {
      if (l.parity !== 'none' && l.parity !== 'even' && l.parity !== 'odd') fail(`${field}.link.parity`, 'none|even|odd', l.parity);
      link.parity = l.parity;
    }
  } else {
    fail(`${field}.link.kind`, '"tcp" or "rtu"', l.kind);
  }
  const out: ModbusMeterConfig = { id, template, link, device: { unitId: 0 } };
  if (o.line !== undefined) {
    const ln = obj(o.line, `${field}.line`);
    known(ln, `${field}.line`, ['interFrameGapMs', 'slaveSwitchPauseMs']);
    out.line = {};
    const gap = int(ln, 'interFrameGapMs', `${field}.line`, 0, 60_000);
    if (gap !== undefined) out.line.interFrameGapMs = gap;
    const pause = int(ln, 'slaveSwitchPauseMs', `${field}.line`, 0, 60_000);
    if (pause !== undefined) out.line.slaveSwitchPauseMs = pause;
  }
  const d = obj(o.device, `${field}.device`);
  known(d, `${field}.device`, ['unitId', 'timeoutMs', 'retries', 'backoffBaseMs', 'backoffMaxMs']);
  out.device = { unitId: int(d, 'unitId', `${field}.device`, 0, 255, -1)! };
  if (out.device.unitId === -1) fail(`${field}.device.unitId`, 'an integer 0..255', undefined);
  for (const [k, lo, hi] of [['timeoutMs', 1, 600_000], ['retries', 0, 10], ['backoffBaseMs', 1, 86_400_000], ['backoffMaxMs', 1, 86_400_000]] as const) {
    const v = int(d, k, `${field}.device`, lo, hi);
    if (v !== undefined) out.device[k] = v;
  }
  const hole = int(o, 'maxHoleFill', field, 0, 125);
  if (hole !== undefined) out.maxHoleFill = hole;
  const maxReg = int(o, 'maxRegisters', field, 2, 125);
  if (maxReg !== undefined) out.maxRegisters = maxReg;
  return out;
}
