/** Prometheus metrics of the ingest (names are part of the BAL's /metrics contract). */
import type { MetricsRegistry } from '../metrics.js';

/** Register (or fetch) the ingest metrics. `inFlight` is read at scrape time. */
export function createIngestMetrics(r: MetricsRegistry, inFlight: () => number) {
  r.gauge('bal_ingest_batches_in_flight', 'Readings batches being verified or stored', [], inFlight);
  return {
    batches: r.counter('bal_ingest_batches_total', 'Readings batches received'),
    bytes: r.counter('bal_ingest_bytes_total', 'Bytes of readings batches received'),
    readings: r.counter('bal_ingest_readings_total', 'Readings by outcome (stored, duplicate, rejected, deferred, unattributable)', ['outcome']),
    rejected: r.counter('bal_ingest_rejected_total', 'Rejected readings by ack reason code', ['code']),
    malformed: r.counter('bal_ingest_malformed_batches_total', 'Batches refused as a whole (PROTO_MESSAGE_INVALID, PROTO_MESSAGE_TOO_LARGE)', ['code']),
    gaps: r.counter('bal_ingest_gap_seqs_total', 'Sequence numbers skipped on arrival (per device, this process)'),
    acks: r.counter('bal_ingest_acks_total', 'Acks published'),
    ackErrors: r.counter('bal_ingest_ack_errors_total', 'Ack publish failures'),
    storeErrors: r.counter('bal_ingest_store_errors_total', 'Failed store transactions (batch not acked, device resends)'),
    internalErrors: r.counter('bal_ingest_internal_errors_total', 'Unexpected errors while processing a batch'),
    batchSeconds: r.histogram('bal_ingest_batch_seconds', 'Time from batch arrival to ack publish'),
  };
}
