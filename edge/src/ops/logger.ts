/**
 * The agent's logger: the shared JSON-lines core (`@lightnode/shared/log`, DESIGN §8), one line
 * per event `{ts, level, msg, ...fields}`. Fields whose name looks like a secret (key, secret,
 * password, privateKey, mnemonic) are replaced by "[redacted]" before serialisation, and errors
 * are reduced to code/message, so a careless `log.info('x', { key })` cannot put key material
 * in a journal.
 */
import { isLightNodeError } from '@lightnode/shared/errors';
import { createJsonLogger, type Logger, type LogLevel } from '@lightnode/shared/log';

export type { Logger, LogLevel } from '@lightnode/shared/log';
export { nullLogger } from '@lightnode/shared/log';

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
    for (const [k, v] of Object.entries(value)) out[k] = redact(k, v, depth + 1);
    return out;
  }
  return value;
}

function redact(name: string, value: unknown, depth = 1): unknown {
  return SECRET_NAME.test(name) ? '[redacted]' : scrub(value, depth);
}

/** A logger writing JSON lines to `write` (default: process.stderr), at or above `level`. */
export function createLogger(opts: { level?: LogLevel; write?: (line: string) => void; now?: () => number; fields?: Record<string, unknown> } = {}): Logger {
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  return createJsonLogger({ level: opts.level, write: (line) => write(line + '\n'), now: opts.now ?? Date.now, fields: opts.fields, field: redact });
}
