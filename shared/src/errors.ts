/**
 * One base error class for the whole workspace (DESIGN §8): every error carries a stable
 * string `code` (e.g. `EDGE_MODBUS_TIMEOUT`, `BAL_SIGNATURE_INVALID`). Callers branch on the
 * code, never on the message text. Codes are grouped by domain prefix:
 * `PROTO_` (shared protocol core), `CHAIN2_`, `EDGE_`, `BAL_`, `SIM_`, `FLEET_`, `CONFIG_`, …
 *
 * Codes are typed: each package lists its codes with a one-line meaning in its own
 * `src/error-codes.ts` catalogue and merges them into `ErrorCodes` below, so a misspelt code
 * fails the typecheck (shared/test/error-catalogue.test.ts also checks prefixes and drift).
 */

/**
 * Every known error code as a key. Empty here; each package's `error-codes.ts` augments it:
 * `declare module '@lightnode/shared/errors' { interface ErrorCodes extends CodesOf<typeof X> {} }`.
 */
export interface ErrorCodes {}

/** A known error code (the union of every package catalogue). */
export type ErrorCode = keyof ErrorCodes & string;

/** The shape a catalogue object gives to `ErrorCodes` (its keys; the values are the meanings). */
export type CodesOf<T extends Record<string, string>> = { readonly [K in keyof T]: T[K] };

export class LightNodeError extends Error {
  /** Stable, machine-readable reason code. */
  readonly code: ErrorCode;
  /** Optional structured details (field name, expected, found, …); never key material. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LightNodeError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }

  /** A JSON-safe view for logs and API responses. */
  toJSON(): { code: ErrorCode; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** True when `err` is a LightNodeError, optionally with the given code. */
export function isLightNodeError(err: unknown, code?: ErrorCode): err is LightNodeError {
  return err instanceof LightNodeError && (code === undefined || err.code === code);
}

/**
 * A validation failure at a boundary: names the field, what was expected and what arrived
 * (STYLE habit 4).
 */
export class ValidationError extends LightNodeError {
  constructor(code: ErrorCode, field: string, expected: string, found: unknown) {
    super(code, `${field}: expected ${expected}, found ${describe(found)}`, { field, expected, found: describe(found) });
    this.name = 'ValidationError';
  }
}

/** Short, log-safe description of an arbitrary value (truncated, type-tagged). */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return value.length > 64 ? `string(${value.length}) "${value.slice(0, 61)}..."` : `"${value}"`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return `array(${value.length})`;
  if (value instanceof Uint8Array) return `bytes(${value.length})`;
  return typeof value;
}
