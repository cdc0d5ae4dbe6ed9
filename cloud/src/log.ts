/**
 * The BAL's logger: the shared JSON-lines core (`@lightnode/shared/log`, DESIGN §8) writing to
 * stderr. Errors are flattened to `{ code, message }` so a log line never carries a stack of
 * key material.
 */
import { createJsonLogger, nullLogger, type Logger, type LogLevel } from '@lightnode/shared/log';

export type { Logger, LogLevel } from '@lightnode/shared/log';
export { parseLogLevel } from '@lightnode/shared/log';

export interface LoggerOptions {
  /** Lowest level written; default `info` (env `LOG_LEVEL` when created by the CLI). */
  level?: LogLevel;
  /** Where lines go (without the newline); default process.stderr. */
  write?: (line: string) => void;
  /** Clock, ms since epoch; default Date.now. */
  now?: () => number;
}

function normalise(_name: string, v: unknown): unknown {
  if (v instanceof Error) {
    const code = (v as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : v.name, message: v.message };
  }
  if (typeof v === 'bigint') return v.toString();
  return v;
}

/** Create a JSON-lines logger. */
export function createLogger(opts: LoggerOptions = {}, bound: Record<string, unknown> = {}): Logger {
  return createJsonLogger({
    level: opts.level,
    write: opts.write ?? ((line: string) => { process.stderr.write(line + '\n'); }),
    now: opts.now ?? Date.now,
    fields: bound,
    field: normalise,
  });
}

/** A logger that discards everything (tests). */
export const silentLogger: Logger = nullLogger;
