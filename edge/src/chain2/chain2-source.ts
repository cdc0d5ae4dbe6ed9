/**
 * Chain 2 as a StreamSource: every message from the gateway is validated with the shared Chain 2
 * model, meter data (CF1, CF21, …) becomes a reading draft, and CF20's PoD code is checked
 * against the node's own PoD — a meter that reports another PoD is not ours, and its data is
 * refused (EDGE_POD_MISMATCH) until it reports ours. Bad frames are refused with a reason code,
 * counted, and the source keeps running.
 */
import { LightNodeError, isLightNodeError, type ErrorCode } from '@lightnode/shared/errors';
import type { Measurement } from '@lightnode/shared/reading';
import { MAX_VALUES } from '@lightnode/shared/reading';
import { noMetrics, type AcquisitionMetrics, type ReadingDraft, type StreamSource } from '../meters/source.js';
import { systemClock, type Clock } from '../scheduler/clock.js';
import type { Chain2Transport } from './transport.js';

/** What the source needs from one validated Chain 2 message. */
export interface Chain2Decoded {
  kind: 'data' | 'info' | 'state';
  /** Gateway's meter id (Chain2Data.Meter). */
  meter?: string;
  /** Message type (CF1, CF20, …). */
  type?: string;
  /** CF20: the PoD code the meter reports. */
  pod?: string;
  /** Measurement time carried by the message, ms since epoch. */
  timestamp?: number;
  values: Measurement[];
}

/** Validates one message; throws a LightNodeError with a CHAIN2_* code for bad input. */
export type Chain2Decoder = (text: string) => Chain2Decoded;

export interface Chain2SourceOptions {
  /** Meter id local to the Light Node (Reading.meter). */
  id: string;
  /** The node's own PoD (config `pod`). */
  pod: string;
  transport: Chain2Transport;
  decoder: Chain2Decoder;
  clock?: Pick<Clock, 'now' | 'sleep'>;
  metrics?: AcquisitionMetrics;
}

/** PoD codes compare without case or blanks (gateways pad and case them differently). */
export function normalizePod(pod: string): string {
  return pod.replace(/\s+/g, '').toUpperCase();
}

/** State of the CF20 check per gateway meter id. */
export type PodCheck = 'unknown' | 'ok' | 'mismatch';

export class Chain2Source implements StreamSource {
  readonly id: string;
  private readonly clock: Pick<Clock, 'now' | 'sleep'>;
  private readonly metrics: AcquisitionMetrics;
  private readonly podChecks = new Map<string, PodCheck>();
  /** Messages seen, by outcome (for status). */
  readonly counters = { messages: 0, drafts: 0, rejected: 0 };

  constructor(private readonly opts: Chain2SourceOptions) {
    this.id = opts.id;
    this.clock = opts.clock ?? systemClock;
    this.metrics = opts.metrics ?? noMetrics;
  }

  /** CF20 state of a gateway meter id. */
  podCheck(meter: string): PodCheck {
    return this.podChecks.get(meter) ?? 'unknown';
  }

  start(onDraft: (draft: ReadingDraft) => void, onError: (err: Error) => void): void {
    this.opts.transport.start({
      onMessage: (text) => {
        const out = this.handle(text);
        if (out instanceof LightNodeError) onError(out);
        else if (out) onDraft(out);
      },
      onError: (err) => {
        this.metrics.onEvent(err.code, this.id);
        onError(err);
      },
    });
  }

  /**
   * Handles one message: a draft, `undefined` (nothing to record: info/state, no values), or the
   * LightNodeError that refused it (already counted). Never throws.
   */
  handle(text: string): ReadingDraft | LightNodeError | undefined {
    this.counters.messages++;
    let msg: Chain2Decoded;
    try {
      msg = this.opts.decoder(text);
    } catch (err) {
      const reason = isLightNodeError(err) ? err.code : 'CHAIN2_JSON_INVALID';
      return this.reject(
        new LightNodeError('EDGE_CHAIN2_FRAME_INVALID', `${this.id}: Chain 2 frame refused (${reason}): ${(err as Error).message}`, {
          reason,
          ...(isLightNodeError(err) ? { field: err.details.field } : {}),
          bytes: text.length,
        }),
        reason,
      );
    }
    if (msg.kind !== 'data') return undefined;
    const meter = msg.meter ?? '';
    if (msg.pod !== undefined) {
      if (normalizePod(msg.pod) !== normalizePod(this.opts.pod)) {
        this.podChecks.set(meter, 'mismatch');
        return this.reject(
          new LightNodeError('EDGE_POD_MISMATCH', `${this.id}: meter ${meter} reports PoD ${msg.pod}, this node serves ${this.opts.pod}`, { meter, reported: msg.pod, expected: this.opts.pod }),
          'EDGE_POD_MISMATCH',
        );
      }
      this.podChecks.set(meter, 'ok');
    } else if (this.podChecks.get(meter) === 'mismatch') {
      return this.reject(
        new LightNodeError('EDGE_POD_MISMATCH', `${this.id}: ${msg.type ?? 'data'} from meter ${meter}, whose CF20 reported another PoD`, { meter, type: msg.type }),
        'EDGE_POD_MISMATCH',
      );
    }
    if (msg.values.length === 0) return undefined;
    if (msg.values.length > MAX_VALUES) {
      return this.reject(new LightNodeError('EDGE_CHAIN2_FRAME_INVALID', `${this.id}: ${msg.values.length} values exceed ${MAX_VALUES}`, { reason: 'CHAIN2_FIELD_INVALID', type: msg.type }), 'CHAIN2_FIELD_INVALID');
    }
    this.counters.drafts++;
    return { meter: this.id, timestamp: msg.timestamp ?? this.clock.now(), source: 'chain2', values: msg.values };
  }

  private reject(err: LightNodeError, metricCode: ErrorCode): LightNodeError {
    this.counters.rejected++;
    this.metrics.onEvent(metricCode, this.id);
    return err;
  }

  close(): Promise<void> {
    return this.opts.transport.close();
  }
}
