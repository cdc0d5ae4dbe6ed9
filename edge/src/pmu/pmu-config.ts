/**
 * The `meters[]` entry of a C37.118.2 PMU (`kind: "pmu"`): where the PMU listens, and the link's
 * timing. Validated once, here (CONFIG_INVALID naming the field); documented in
 * src/meters/README.md "PMU config entry".
 */
import { ValidationError } from '@lightnode/shared/errors';
import { METER_RE } from '@lightnode/shared/reading';

export interface PmuSourceConfig {
  id: string;
  /** PMU host. */
  host: string;
  /** TCP port (C37.118.2 convention 4712). */
  port: number;
  /** IDCODE the commands are addressed to (the PMU's data stream id). */
  idcode: number;
  /** Connect timeout, ms. */
  connectTimeoutMs: number;
  /** No data frame for this long → the link is dropped and reopened (stalled stream), ms. */
  stallTimeoutMs: number;
  /** Reconnect backoff floor and ceiling, ms. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Frame time off the expected grid by more than this → EDGE_PMU_TIME_JUMP, ms. */
  timeJumpToleranceMs: number;
  /** File the raw frames are appended to (relative to `dataDir`); none when absent. */
  frameLog?: string;
}

const KEYS = ['id', 'kind', 'host', 'port', 'idcode', 'connectTimeoutMs', 'stallTimeoutMs', 'reconnectMinMs', 'reconnectMaxMs', 'timeJumpToleranceMs', 'frameLog'];

function fail(field: string, expected: string, found: unknown): never {
  throw new ValidationError('CONFIG_INVALID', field, expected, found);
}

/** Validate a PMU config entry; defaults filled in. */
export function validatePmuConfig(x: unknown, field = 'meter'): PmuSourceConfig {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail(field, 'an object', x);
  const o = x as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) fail(`${field}.${k}`, `one of ${KEYS.join(', ')}`, k);
  if (typeof o.id !== 'string' || !METER_RE.test(o.id)) fail(`${field}.id`, '1..64 chars [A-Za-z0-9._:-]', o.id);
  if (typeof o.host !== 'string' || o.host.length === 0 || o.host.length > 253) fail(`${field}.host`, 'a host name or address', o.host);
  const int = (k: string, lo: number, hi: number, dflt: number): number => {
    const v = o[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) fail(`${field}.${k}`, `an integer ${lo}..${hi}`, v);
    return v;
  };
  const c: PmuSourceConfig = {
    id: o.id, host: o.host,
    port: int('port', 1, 65535, 4712),
    idcode: int('idcode', 1, 65534, 1),
    connectTimeoutMs: int('connectTimeoutMs', 1, 600_000, 5000),
    stallTimeoutMs: int('stallTimeoutMs', 100, 3_600_000, 5000),
    reconnectMinMs: int('reconnectMinMs', 1, 3_600_000, 1000),
    reconnectMaxMs: int('reconnectMaxMs', 1, 3_600_000, 30_000),
    timeJumpToleranceMs: int('timeJumpToleranceMs', 0, 60_000, 1),
  };
  if (o.frameLog !== undefined) {
    if (typeof o.frameLog !== 'string' || o.frameLog.length === 0) fail(`${field}.frameLog`, 'a file path', o.frameLog);
    c.frameLog = o.frameLog;
  }
  if (c.reconnectMinMs > c.reconnectMaxMs) fail(`${field}.reconnectMaxMs`, `>= reconnectMinMs (${c.reconnectMinMs})`, c.reconnectMaxMs);
  return c;
}
