/** JSON views of store records as the API serves them (schemas in openapi.ts). */
import type { AnchorRecord, NodeRecord, StoredReading } from '../store/types.js';

export function readingView(r: StoredReading) {
  return {
    id: r.id, pod: r.pod, device: r.device, seq: r.seq, timestamp: r.timestampMs, receivedAt: r.receivedAtMs,
    digest: r.digest, status: r.status, anchorIndex: r.anchorIndex, leafIndex: r.leafIndex, reading: r.reading,
  };
}

export function anchorView(a: AnchorRecord) {
  return {
    index: a.index, root: a.root, leafCount: a.leafCount, fromMs: a.fromMs, toMs: a.toMs, prevHash: a.prevHash,
    anchorHash: a.anchorHash, transaction: a.transaction, blockNumber: a.blockNumber, status: a.status,
  };
}

export function nodeView(n: NodeRecord) {
  return {
    pod: n.pod, device: n.device, state: n.state, lastSeen: n.lastSeenMs, lastStatusAt: n.lastStatusMs,
    lastStoredSeq: n.lastStoredSeq, reportedLastSeq: n.reportedLastSeq, spoolDepth: n.spoolDepth, quarantined: n.quarantined,
    agentVersion: n.agentVersion, readings: n.readings, gaps: n.gaps, rejected: n.rejected, rejectedByCode: n.rejectedByCode, duplicates: n.duplicates,
    equivocations: n.equivocations,
  };
}
