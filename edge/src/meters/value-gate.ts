/**
 * The agent's one plausibility gate (issue 17 defect 6): every draft of every source — Modbus
 * TCP/RTU, Chain 2, PMU, EMS read-back — passes here before it is signed. Values outside their
 * window (plausibility.ts) are dropped, counted in
 * `acquisition_values_dropped_total{source,quantity,reason}`, logged (`EDGE_VALUE_IMPLAUSIBLE`,
 * once per source, quantity and reason per minute, with the count in between) and shown in the
 * agent's health (`implausibleValues`). A draft left with no value is not signed at all.
 */
import { LightNodeError } from '@lightnode/shared/errors';
import type { Metrics } from '../ops/metrics.js';
import type { Logger } from '../ops/logger.js';
import type { ReadingDraft, SourcePlausibility } from './source.js';
import { defaultRating, limitsOf, screenValues, type DroppedValue, type Limit, type Rating } from './plausibility.js';

/** Checks one source's drafts: the draft without its implausible values, or null when none is left. */
export type DraftGate = <D extends ReadingDraft>(draft: D) => D | null;

export interface ValueGate {
  /**
   * The gate of one source: windows from its kind's default rating, its own rating (template; a
   * PMU's declared nominal frequency) and explicit windows, and the config's `rating` (wins).
   */
  forSource(sourceId: string, kind: string, plausibility?: SourcePlausibility, configRating?: Rating): DraftGate;
  /** For health: values dropped so far and the last one. */
  status(): { dropped: number; last: { source: string; quantity: string; found: number; reason: string; atMs: number } | null };
}

const LOG_EVERY_MS = 60_000;

export function createValueGate(o: { metrics: Metrics; log: Logger; now: () => number }): ValueGate {
  const dropped = o.metrics.counter('acquisition_values_dropped_total', 'Values dropped before signing because they are outside their plausibility window, by source, quantity and reason (above_max, below_min)');
  let total = 0;
  let last: ReturnType<ValueGate['status']>['last'] = null;
  const logged = new Map<string, { atMs: number; suppressed: number }>();

  const report = (source: string, d: DroppedValue): void => {
    total++;
    dropped.inc({ source, quantity: d.quantity, reason: d.reason });
    const atMs = o.now();
    last = { source, quantity: d.quantity, found: d.found, reason: d.reason, atMs };
    const key = `${source}|${d.quantity}|${d.reason}`;
    const prev = logged.get(key);
    if (prev && atMs - prev.atMs < LOG_EVERY_MS) { prev.suppressed++; return; }
    const bound = d.reason === 'above_max' ? `above ${d.limit.max}` : `below ${d.limit.min}`;
    o.log.warn('implausible value dropped before signing', {
      meter: source, quantity: d.quantity, found: d.found, reason: d.reason, ...(prev ? { droppedSinceLastLog: prev.suppressed } : {}),
      err: new LightNodeError('EDGE_VALUE_IMPLAUSIBLE', `${source} ${d.quantity}: ${d.found} is ${bound}`, { meter: source, quantity: d.quantity, found: d.found, reason: d.reason }),
    });
    logged.set(key, { atMs, suppressed: 0 });
  };

  return {
    forSource(sourceId, kind, plausibility, configRating) {
      // A source may learn its rating while running (a PMU's nominal frequency from its CFG frame): rebuilt when replaced.
      let seen: Rating | undefined | null = null;
      let limitOf = (_q: string): Limit | undefined => undefined;
      const current = (): typeof limitOf => {
        if (plausibility?.rating !== seen) {
          seen = plausibility?.rating;
          limitOf = limitsOf({ ...defaultRating(kind), ...seen, ...configRating }, plausibility?.explicit);
        }
        return limitOf;
      };
      return (draft) => {
        const { kept, dropped: out } = screenValues(draft.values, current());
        if (out.length === 0) return draft;
        for (const d of out) report(draft.meter || sourceId, d);
        return kept.length === 0 ? null : { ...draft, values: kept };
      };
    },
    status: () => ({ dropped: total, last }),
  };
}
