/**
 * Custom-error decoding for the ethers clients of this package (./registry/client.ts,
 * ./subscriptions/client.ts): one place that knows where ethers puts a contract's revert.
 */
import type { Interface } from 'ethers';

/** A custom error decoded from revert data. */
export interface DecodedRevert { name: string; args: unknown[] }

/**
 * The custom error of `iface` carried by an ethers error (`revert`, or undecoded revert `data`),
 * or null (not a revert, or an error `iface` does not declare).
 */
export function decodeCustomError(iface: Interface, err: unknown): DecodedRevert | null {
  const e = err as { data?: unknown; revert?: { name?: string; args?: unknown[] } | null } | null;
  if (e?.revert?.name) return { name: e.revert.name, args: [...(e.revert.args ?? [])] };
  // ethers leaves custom errors raised during gas estimation undecoded ("unknown custom error").
  if (typeof e?.data === 'string' && e.data.length >= 10) {
    try {
      const parsed = iface.parseError(e.data);
      if (parsed) return { name: parsed.name, args: [...parsed.args] };
    } catch { /* not one of this contract's errors */ }
  }
  return null;
}
