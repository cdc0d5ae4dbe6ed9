/**
 * HTTP errors of the REST API: every non-2xx body is `{ code, message }` with a stable code
 * (docs/interfaces.md error conventions). Bad input is a 4xx, never a 500.
 */
import { LightNodeError, type ErrorCode } from '@lightnode/shared/errors';
import type { Counter, MetricsRegistry } from '../metrics.js';

export class ApiError extends LightNodeError {
  constructor(readonly status: number, code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
    this.name = 'ApiError';
  }
}

export const badRequest = (field: string, expected: string, found: unknown): ApiError =>
  new ApiError(400, 'BAL_API_QUERY_INVALID', `${field}: expected ${expected}, found ${describeShort(found)}`, { field });
export const notFound = (what: string): ApiError => new ApiError(404, 'BAL_API_NOT_FOUND', `${what} not found`);
export const unauthorized = (): ApiError => new ApiError(401, 'BAL_API_UNAUTHORIZED', 'an API key (X-API-Key) or bearer token is required');
export const forbidden = (why: string): ApiError => new ApiError(403, 'BAL_API_FORBIDDEN', why);

function describeShort(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `${v.length} values`;
  const s = String(v);
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 37)}...` : s);
}

/** `bal_api_errors_total{code}`: every error answer by its code (bad input is counted, not only logged). */
export function apiErrorCounter(metrics: MetricsRegistry): Counter {
  return metrics.counter('bal_api_errors_total', 'REST API error answers by code', ['code']);
}
