/**
 * The BAL's in-process event bus (issue 12): what happened, for the dashboard's live view
 * (server-sent events, api/event-stream.ts). bal.ts wires the producers: the status recorder
 * (a node's status changed), the ingest's `onStored` (readings stored), the anchorer's
 * `onConfirmed` (an anchor mined and confirmed) and the data-access routes (a subscription
 * decision certified). Delivery is synchronous and best effort: a listener that throws is
 * logged and skipped, never the producer's problem (the store stays the record).
 */
import type { Hex } from '@lightnode/shared/hex';
import type { SubscriptionStatus } from '../access/types.js';
import { silentLogger, type Logger } from '../log.js';

/** A Light Node's status message was recorded (its row in GET /api/nodes changed). */
export interface NodeEvent { type: 'node'; pod: string }
/** Readings of one PoD were stored (ids ascending). */
export interface ReadingsEvent {
  type: 'readings';
  pod: string;
  readings: { id: number; seq: number; timestampMs: number; digest: Hex; signer: Hex; values: { quantity: string; value: number; scale: number; unit: string }[] }[];
}
/** An anchor was confirmed. */
export interface AnchorEvent { type: 'anchor'; index: number; root: Hex; leafCount: number; transaction: Hex; blockNumber: number | null }
/** A subscription decision was certified on chain and stored. */
export interface SubscriptionEvent {
  type: 'subscription'; id: number; topic: string; pod: string; consumer: string; producer: string; status: SubscriptionStatus;
}

export type BalEvent = NodeEvent | ReadingsEvent | AnchorEvent | SubscriptionEvent;
export type BalEventListener = (e: BalEvent) => void;

export interface EventBus {
  /** Deliver `e` to every listener now. */
  publish(e: BalEvent): void;
  /** Listen; the returned function stops listening. */
  subscribe(fn: BalEventListener): () => void;
  /** Listeners currently attached (gauge, tests). */
  readonly size: number;
}

/** A new, empty bus. */
export function createEventBus(opts: { log?: Logger } = {}): EventBus {
  const log = opts.log ?? silentLogger;
  const listeners = new Set<BalEventListener>();
  return {
    publish(e) {
      for (const fn of [...listeners]) {
        try { fn(e); } catch (err) { log.warn('event listener failed', { type: e.type, err }); }
      }
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => { listeners.delete(fn); };
    },
    get size() { return listeners.size; },
  };
}
