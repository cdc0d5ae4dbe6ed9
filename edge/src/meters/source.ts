/**
 * The contract between acquisition (Modbus meters, Chain 2) and the agent core: sources produce
 * unsigned reading drafts; the agent adds `pod` and `seq`, signs and spools them.
 * Errors are LightNodeError with the codes listed in edge/src/meters/README.md.
 */
import type { Measurement } from '@lightnode/shared/reading';
import type { ErrorCode } from '@lightnode/shared/errors';
import type { Limits, Rating } from './plausibility.js';

/** What a source knows about the plausible range of its values (the agent's gate uses it; plausibility.ts). */
export interface SourcePlausibility {
  /** The device's rating (a template's `rating`). */
  rating?: Rating;
  /** Explicit windows by quantity (a template point's `min`/`max`), winning over the rating. */
  explicit?: Limits;
}

/** One snapshot of one meter, before the agent adds pod + seq and signs it. */
export interface ReadingDraft {
  /** Meter id local to the Light Node (config `id`). */
  meter: string;
  /** Measurement time, ms since the Unix epoch (UTC). */
  timestamp: number;
  /** 'modbus' | 'chain2' (Reading.source). */
  source: string;
  /** 1..64 measurements; points that failed are left out and reported through the metrics hook. */
  values: Measurement[];
}

/** A meter the agent polls on its schedule. */
export interface AcquisitionSource {
  readonly id: string;
  /** Reads one snapshot. Rejects with a LightNodeError when no value could be read. */
  poll(): Promise<ReadingDraft>;
  close(): Promise<void>;
  readonly plausibility?: SourcePlausibility;
}

/** A source that pushes drafts (Chain 2 gateway). `start` returns once the first connect is attempted. */
export interface StreamSource {
  readonly id: string;
  /** Starts streaming; errors are reported and the source keeps running (reconnects itself). */
  start(onDraft: (draft: ReadingDraft) => void, onError: (err: Error) => void): void;
  close(): Promise<void>;
  readonly plausibility?: SourcePlausibility;
}

/**
 * Metrics hook the agent wires to Prometheus. `onEvent` counts one occurrence of a reason code
 * (every error code, plus notable events such as `EDGE_MODBUS_BLOCK_SPLIT`) per source id.
 */
export interface AcquisitionMetrics {
  onEvent(code: ErrorCode, sourceId: string): void;
  /** One completed wire request (Modbus read), its duration and outcome. */
  onRequest?(sourceId: string, durationMs: number, ok: boolean): void;
}

/** Metrics hook that does nothing (default). */
export const noMetrics: AcquisitionMetrics = { onEvent() {} };

/** Counting hook for tests and benches: `counts.get(code)`. */
export function countingMetrics(): AcquisitionMetrics & { counts: Map<string, number>; requests: number } {
  const counts = new Map<string, number>();
  const m = {
    counts,
    requests: 0,
    onEvent(code: string) {
      counts.set(code, (counts.get(code) ?? 0) + 1);
    },
    onRequest() {
      m.requests++;
    },
  };
  return m;
}
