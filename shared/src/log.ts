/**
 * The JSON-lines logger core (DESIGN §8), shared by the BAL and the agent: one object per line,
 * `ts` (ISO-8601 UTC), `level`, `msg`, then the logger's bound fields and the call's fields (a
 * call's field replaces a bound one of the same name in place). Pure: the sink, the clock and
 * how a field value is made safe for a log line are injected; each package's adapter supplies
 * them (cloud/src/log.ts, edge/src/ops/logger.ts).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** The logging interface every component receives (injected). */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger with extra bound fields (e.g. `{ component: 'ingest' }`). */
  child(fields: Record<string, unknown>): Logger;
}

export interface JsonLoggerOptions {
  /** Lowest level written; default `info`. */
  level?: LogLevel;
  /** The sink: receives each line without its trailing newline. */
  write: (line: string) => void;
  /** Clock, ms since epoch. */
  now: () => number;
  /** Fields bound to every line. */
  fields?: Record<string, unknown>;
  /** Makes one top-level field value JSON-safe (flatten errors, redact secrets by name, …). */
  field: (name: string, value: unknown) => unknown;
}

/** Create a JSON-lines logger over an injected sink, clock and field policy. */
export function createJsonLogger(opts: JsonLoggerOptions): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const { write, now, field } = opts;
  const bound = opts.fields ?? {};
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < min) return;
    const rec: Record<string, unknown> = { ts: new Date(now()).toISOString(), level, msg };
    for (const [k, v] of Object.entries(bound)) rec[k] = field(k, v);
    if (fields) for (const [k, v] of Object.entries(fields)) rec[k] = field(k, v);
    let line: string;
    // A field the policy left unserialisable (a cycle, a BigInt) must not throw out of a log call.
    try { line = JSON.stringify(rec); } catch { line = JSON.stringify({ ts: rec.ts, level, msg, note: 'unserialisable fields' }); }
    write(line);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createJsonLogger({ ...opts, fields: { ...bound, ...fields } }),
  };
}

/** A logger that discards everything (tests, benches) without formatting a line. */
export const nullLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child() { return nullLogger; } };

/** Parse a level name (for config/env), default `info`. */
export function parseLogLevel(s: string | undefined): LogLevel {
  return s === 'debug' || s === 'info' || s === 'warn' || s === 'error' ? s : 'info';
}
