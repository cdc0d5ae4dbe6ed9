/**
 * Query and path parameter parsing for the REST API: every value is checked once here and a
 * bad one becomes a 400 naming the parameter (STYLE habit 4).
 */
import { POD_RE } from '@lightnode/shared/reading';
import { READING_STATUSES, type ReadingStatus } from '../store/types.js';
import { badRequest } from './api-error.js';

type Query = Record<string, unknown>;

/** Reject parameters the endpoint does not know, and repeated ones. */
export function checkQueryKeys(q: Query, allowed: readonly string[]): void {
  for (const [k, v] of Object.entries(q)) {
    if (!allowed.includes(k)) throw badRequest(k, `one of the parameters ${allowed.join(', ') || '(none)'}`, k);
    if (typeof v !== 'string') throw badRequest(k, 'a single value', v);
  }
}

const DIGITS_RE = /^[0-9]{1,16}$/;

/** A non-negative safe integer written in decimal digits. */
export function parseId(v: unknown, name: string): number {
  if (typeof v !== 'string' || !DIGITS_RE.test(v) || !Number.isSafeInteger(Number(v))) throw badRequest(name, 'a decimal integer 0..2^53-1', v);
  return Number(v);
}

export function optId(q: Query, name: string): number | undefined {
  return q[name] === undefined ? undefined : parseId(q[name], name);
}

export function parsePod(v: unknown, name = 'pod'): string {
  if (typeof v !== 'string' || !POD_RE.test(v)) throw badRequest(name, 'a PoD code like IT001E12345678', v);
  return v;
}

export function parseTransaction(v: unknown): `0x${string}` {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v)) throw badRequest('transaction', 'a 0x-prefixed 32-byte transaction hash', v);
  return v.toLowerCase() as `0x${string}`;
}

const MAX_MS = 8_640_000_000_000_000;
const ISO_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A time as ms since epoch (decimal) or an ISO-8601 date/time. */
export function optTime(q: Query, name: string): number | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string' && DIGITS_RE.test(v) && Number(v) <= MAX_MS) return Number(v);
  if (typeof v === 'string' && ISO_RE.test(v)) {
    const ms = Date.parse(v);
    if (Number.isFinite(ms)) return ms;
  }
  throw badRequest(name, 'ms since epoch or an ISO-8601 date-time', v);
}

export function optStatus(q: Query): ReadingStatus | undefined {
  const v = q.status;
  if (v === undefined) return undefined;
  if (!READING_STATUSES.includes(v as ReadingStatus)) throw badRequest('status', READING_STATUSES.join(' | '), v);
  return v as ReadingStatus;
}

export function parseLimit(q: Query, def: number, max: number): number {
  const v = q.limit;
  if (v === undefined) return Math.min(def, max);
  if (typeof v !== 'string' || !/^[0-9]{1,7}$/.test(v) || Number(v) < 1 || Number(v) > max) throw badRequest('limit', `an integer 1..${max}`, v);
  return Number(v);
}

/** `search` of GET /api/nodes: part of a PoD code or device address, letters and digits only. */
export function optSearch(q: Query): string | undefined {
  const v = q.search;
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[A-Za-z0-9]{1,42}$/.test(v)) throw badRequest('search', '1..42 letters or digits (part of a PoD code or device address)', v);
  return v;
}
