/**
 * Structured JSON-lines logger (DESIGN §8). One line per event: `{ts, level, msg, ...fields}`.
 * Fields whose name looks like a secret (key, secret, password, privateKey, mnemonic) are
 * replaced by "[redacted]" before serialisation, and errors are reduced to code/message, so
 * a careless `log.info('x', { key })` cannot put key material in a journal.
 */
import { isLightNodeError } from '@lightnode/shared/errors';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** The logging interface every component receives (injected). */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const SECRET_NAME = /^(key|secret|secretKey|privateKey|private_key|password|passphrase|mnemonic|seed|keyHex)$/i;

function scrub(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[depth]';
  if (value instanceof Error) {
    return isLightNodeError(value)
      ? { code: value.code, message: value.message, details: scrub(value.details, depth + 1) }
      : { name: value.name, message: value.message };
  }
  if (value instanceof Uint8Array) return `[bytes ${value.length}]`; // never dump raw bytes
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const maybe = value as { toJSON?: () => unknown };
    if (typeof maybe.toJSON === 'function') return scrub(maybe.toJSON(), depth + 1);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_NAME.test(k) ? '[redacted]' : scrub(v, depth + 1);
    return out;
  }
  return value;
}

/** A logger writing JSON lines to `write` (default: process.stderr), at or above `level`. */
export function createLogger(opts: { level?: LogLevel; write?: (line: string) => void; now?: () => number; fields?: Record<string, unknown> } = {}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const now = opts.now ?? Date.now;
  const base = opts.fields ?? {};
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < min) return;
    const rec = scrub({ ...base, ...(fields ?? {}) }) as Record<string, unknown>;
    write(JSON.stringify({ ts: new Date(now()).toISOString(), level, msg, ...rec }) + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...opts, fields: { ...base, ...fields } }),
  };
}

/** A logger that discards everything (tests, benches). */
export const nullLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child() { return nullLogger; } };
