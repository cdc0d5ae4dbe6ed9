/**
 * One base error class for the whole workspace (DESIGN §8): every error carries a stable
 * string `code` (e.g. `EDGE_MODBUS_TIMEOUT`, `BAL_SIGNATURE_INVALID`). Callers branch on the
 * code, never on the message text. Codes are grouped by domain prefix:
 * `PROTO_` (shared protocol core), `CHAIN2_`, `EDGE_`, `BAL_`, `SIM_`, `FLEET_`, `CONFIG_`.
 */
export class LightNodeError extends Error {
  /** Stable, machine-readable reason code. */
  readonly code: string;
  /** Optional structured details (field name, expected, found, …); never key material. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LightNodeError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }

  /** A JSON-safe view for logs and API responses. */
  toJSON(): { code: string; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** True when `err` is a LightNodeError, optionally with the given code. */
export function isLightNodeError(err: unknown, code?: string): err is LightNodeError {
  return err instanceof LightNodeError && (code === undefined || err.code === code);
}

/**
 * A validation failure at a boundary: names the field, what was expected and what arrived
 * (STYLE habit 4).
 */
export class ValidationError extends LightNodeError {
  constructor(code: string, field: string, expected: string, found: unknown) {
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
