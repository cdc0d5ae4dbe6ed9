/**
 * Structured JSON-lines logger (DESIGN §8): one object per line with `ts` (ISO-8601 UTC),
 * `level`, `msg`, the logger's bound fields and the call's fields. Errors are flattened to
 * `{ code, message }` so a log line never carries a stack of key material.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger with extra bound fields (e.g. `{ component: 'ingest' }`). */
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** Lowest level written; default `info` (env `LOG_LEVEL` when created by the CLI). */
  level?: LogLevel;
  /** Where lines go; default process.stderr. */
  write?: (line: string) => void;
  /** Clock, ms since epoch; default Date.now. */
  now?: () => number;
}

function normalise(v: unknown): unknown {
  if (v instanceof Error) {
    const code = (v as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : v.name, message: v.message };
  }
  if (typeof v === 'bigint') return v.toString();
  return v;
}

/** Create a JSON-lines logger. */
export function createLogger(opts: LoggerOptions = {}, bound: Record<string, unknown> = {}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => { process.stderr.write(line + '\n'); });
  const now = opts.now ?? Date.now;
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < min) return;
    const rec: Record<string, unknown> = { ts: new Date(now()).toISOString(), level, msg };
    for (const [k, v] of Object.entries(bound)) rec[k] = normalise(v);
    if (fields) for (const [k, v] of Object.entries(fields)) rec[k] = normalise(v);
    let line: string;
    try { line = JSON.stringify(rec); } catch { line = JSON.stringify({ ts: rec.ts, level, msg, note: 'unserialisable fields' }); }
    write(line);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(opts, { ...bound, ...fields }),
  };
}

/** A logger that discards everything (tests). */
export const silentLogger: Logger = createLogger({ write: () => {} });

/** Parse a level name (for config/env), default `info`. */
export function parseLogLevel(s: string | undefined): LogLevel {
  return s === 'debug' || s === 'info' || s === 'warn' || s === 'error' ? s : 'info';
}
