/**
 * The Chain 2 decoder the source uses: the shared Chain 2 model (`@lightnode/shared/chain2`)
 * validates each message and maps it to measurements; this adds the timestamp sanity check,
 * and `createChain2Source` builds a source from a validated config entry.
 */
import { ValidationError } from '@lightnode/shared/errors';
import { MAX_TIMESTAMP_MS, METER_RE, MIN_TIMESTAMP_MS } from '@lightnode/shared/reading';
import { chain2PodOf, chain2ToMeasurements, parseChain2Message } from '@lightnode/shared/chain2';
import { Chain2Source, type Chain2Decoded } from './chain2-source.js';
import { SerialChain2Transport } from './serial-transport.js';
import { WsChain2Transport } from './ws-transport.js';
import type { Chain2Transport } from './transport.js';
import type { AcquisitionMetrics } from '../meters/source.js';
import type { Clock } from '../scheduler/clock.js';

/** Validates one message with the shared model; throws ValidationError with a CHAIN2_* code. */
export function decodeChain2(text: string): Chain2Decoded {
  const msg = parseChain2Message(text);
  if (msg.envelope === 'Chain2Info') return { kind: 'info', values: [] };
  if (msg.envelope === 'Chain2State') return { kind: 'state', values: [] };
  const { timestampMs, values } = chain2ToMeasurements(msg);
  if (timestampMs !== null && !(Number.isSafeInteger(timestampMs) && timestampMs >= MIN_TIMESTAMP_MS && timestampMs <= MAX_TIMESTAMP_MS)) {
    throw new ValidationError('CHAIN2_FIELD_INVALID', `Chain2Data.Payload timestamp of ${msg.type}`, 'POSIX seconds after 2001-09-09', timestampMs / 1000);
  }
  const pod = chain2PodOf(msg);
  return {
    kind: 'data',
    meter: msg.meter,
    type: msg.type,
    ...(pod !== null ? { pod } : {}),
    ...(timestampMs !== null ? { timestamp: timestampMs } : {}),
    values,
  };
}

/** Chain 2 config entry (`meters[]` with `kind: "chain2"`); see edge/src/meters/README.md. */
export interface Chain2Config {
  id: string;
  transport: 'ws' | 'serial';
  url?: string;
  path?: string;
  baudRate?: number;
  startCommand?: string;
  maxMessageBytes?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  connectTimeoutMs?: number;
}

const KEYS = ['id', 'kind', 'intervalMs', 'cron', 'transport', 'url', 'path', 'baudRate', 'startCommand', 'maxMessageBytes', 'reconnectMinMs', 'reconnectMaxMs', 'connectTimeoutMs'];

function fail(field: string, expected: string, found: unknown): never {
  throw new ValidationError('CONFIG_INVALID', field, expected, found);
}

/** Validates a Chain 2 config entry (CONFIG_INVALID naming the field). */
export function validateChain2Config(x: unknown, field = 'meter'): Chain2Config {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail(field, 'an object', x);
  const o = x as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) fail(`${field}.${k}`, `one of ${KEYS.join(', ')}`, k);
  if (typeof o.id !== 'string' || !METER_RE.test(o.id)) fail(`${field}.id`, '1..64 chars [A-Za-z0-9._:-]', o.id);
  const transport = o.transport ?? 'ws';
  if (transport !== 'ws' && transport !== 'serial') fail(`${field}.transport`, '"ws" or "serial"', transport);
  const out: Chain2Config = { id: o.id, transport };
  if (transport === 'ws') {
    if (typeof o.url !== 'string' || !/^wss?:\/\/./.test(o.url)) fail(`${field}.url`, 'a ws:// or wss:// URL', o.url);
    out.url = o.url;
  } else {
    if (typeof o.path !== 'string' || o.path.length === 0) fail(`${field}.path`, 'a serial device path', o.path);
    out.path = o.path;
  }
  for (const [k, lo, hi] of [['baudRate', 300, 4_000_000], ['maxMessageBytes', 64, 1 << 20], ['reconnectMinMs', 1, 3_600_000], ['reconnectMaxMs', 1, 3_600_000], ['connectTimeoutMs', 1, 600_000]] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) fail(`${field}.${k}`, `an integer ${lo}..${hi}`, v);
    out[k] = v;
  }
  if ((out.reconnectMinMs ?? 1000) > (out.reconnectMaxMs ?? 30_000)) fail(`${field}.reconnectMaxMs`, `>= reconnectMinMs (${out.reconnectMinMs ?? 1000})`, out.reconnectMaxMs ?? 30_000);
  if (o.startCommand !== undefined) {
    if (typeof o.startCommand !== 'string' || o.startCommand.length > 64) fail(`${field}.startCommand`, 'a string of at most 64 chars', o.startCommand);
    out.startCommand = o.startCommand;
  }
  return out;
}

/** Builds the transport for a validated config. */
export function chain2Transport(c: Chain2Config): Chain2Transport {
  const reconnect = { ...(c.reconnectMinMs !== undefined ? { reconnectMinMs: c.reconnectMinMs } : {}), ...(c.reconnectMaxMs !== undefined ? { reconnectMaxMs: c.reconnectMaxMs } : {}) };
  if (c.transport === 'ws') {
    return new WsChain2Transport({
      url: c.url!,
      ...reconnect,
      ...(c.maxMessageBytes !== undefined ? { maxMessageBytes: c.maxMessageBytes } : {}),
      ...(c.connectTimeoutMs !== undefined ? { connectTimeoutMs: c.connectTimeoutMs } : {}),
      ...(c.startCommand !== undefined ? { startCommand: c.startCommand } : {}),
    });
  }
  return new SerialChain2Transport({
    path: c.path!,
    ...reconnect,
    ...(c.baudRate !== undefined ? { baudRate: c.baudRate } : {}),
    ...(c.maxMessageBytes !== undefined ? { maxLineBytes: c.maxMessageBytes } : {}),
  });
}

/** Creates a Chain 2 source from a raw config entry (validated here) for the node's PoD. */
export function createChain2Source(raw: unknown, ctx: { pod: string; metrics?: AcquisitionMetrics; clock?: Pick<Clock, 'now' | 'sleep'> }): Chain2Source {
  const c = validateChain2Config(raw, `meters.${String((raw as { id?: unknown } | null)?.id)}`);
  return new Chain2Source({
    id: c.id,
    pod: ctx.pod,
    transport: chain2Transport(c),
    decoder: decodeChain2,
    ...(ctx.metrics ? { metrics: ctx.metrics } : {}),
    ...(ctx.clock ? { clock: ctx.clock } : {}),
  });
}
