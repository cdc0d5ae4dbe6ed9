/**
 * Malformed Chain 2 frames on demand: each kind breaks a good frame in one way a reader must
 * refuse with a reason (bad JSON, unknown envelope, unknown type, missing field, mistyped field).
 */
import type { Chain2Frame } from './generator.js';

export const MALFORMED_KINDS = ['json', 'envelope', 'type', 'missing', 'mistyped'] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** Serialises `frame` broken in the way `kind` says. */
export function malformFrame(frame: Chain2Frame, kind: MalformedKind): string {
  const text = JSON.stringify(frame);
  const d = (frame as { Chain2Data?: { Type: string; Payload: Record<string, unknown> } }).Chain2Data;
  switch (kind) {
    case 'json': return text.slice(0, Math.max(1, text.length - 7));
    case 'envelope': return JSON.stringify({ Chain2Dati: Object.values(frame)[0] });
    case 'type': return JSON.stringify({ Chain2Data: { ...(d ?? {}), Type: 'CF99', Payload: d?.Payload ?? {} } });
    case 'missing': {
      if (!d) return JSON.stringify({ Chain2Data: { Type: 'CF1', Payload: {} } });
      const [first, ...rest] = Object.keys(d.Payload);
      void first;
      return JSON.stringify({ Chain2Data: { ...d, Payload: Object.fromEntries(rest.map((k) => [k, d.Payload[k]])) } });
    }
    case 'mistyped': {
      if (!d) return JSON.stringify({ Chain2Data: { Meter: 42, Type: 'CF1', Payload: {} } });
      const k = Object.keys(d.Payload)[0]!;
      return JSON.stringify({ Chain2Data: { ...d, Payload: { ...d.Payload, [k]: String(d.Payload[k]) + 'x' } } });
    }
  }
}
