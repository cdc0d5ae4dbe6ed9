/**
 * Records Light Node Status messages (`ln/v1/{pod}/status`, retained + last will) into the
 * store's node table, for `GET /api/nodes`. The broker ACL already guarantees that only the
 * PoD's own account can publish there; here the message is validated and must name the
 * topic's PoD. Bad messages are counted and logged, never thrown.
 */
import type { MqttClient } from 'mqtt';
import { ValidationError } from '@lightnode/shared/errors';
import { parseStatus } from '@lightnode/shared/messages';
import { parseTopic, topicFilter } from '@lightnode/shared/topics';
import type { BalStore, NodeStatusInput } from '../store/types.js';
import type { Hex } from '@lightnode/shared/hex';
import type { MetricsRegistry } from '../metrics.js';
import { silentLogger, type Logger } from '../log.js';

export const STATUS_FILTER = topicFilter('status');

/** Validate a Status message (shared `parseStatus`) into the store's input shape. */
export function parseStatusMessage(payload: Uint8Array | string): NodeStatusInput {
  const s = parseStatus(payload);
  return { pod: s.pod, device: s.device as Hex, state: s.state, ts: s.ts, lastSeq: s.lastSeq, spoolDepth: s.spoolDepth, quarantined: s.quarantined, agentVersion: s.agentVersion };
}

export interface StatusRecorderDeps {
  store: BalStore;
  metrics?: MetricsRegistry;
  log?: Logger;
  now?: () => number;
  /** Told after each recorded status (the dashboard's live fleet view); a throw is logged. */
  onRecorded?: (status: NodeStatusInput) => void;
}

/** Handle one status message; resolves to the outcome (never rejects). */
export async function recordStatusMessage(deps: StatusRecorderDeps, topic: string, payload: Uint8Array): Promise<'recorded' | 'rejected' | 'ignored'> {
  const log = deps.log ?? silentLogger;
  const counter = deps.metrics?.counter('bal_status_messages_total', 'Light Node status messages by outcome', ['outcome']);
  const t = parseTopic(topic);
  if (!t || t.kind !== 'status') return 'ignored';
  if (payload.length === 0) return 'ignored'; // a cleared retained message
  try {
    const status = parseStatusMessage(payload);
    if (status.pod !== t.pod) throw new ValidationError('BAL_POD_MISMATCH', 'status.pod', `topic PoD ${t.pod}`, status.pod);
    await deps.store.recordNodeStatus(await willAware(deps.store, status), (deps.now ?? Date.now)());
    counter?.inc({ outcome: 'recorded' });
    try { deps.onRecorded?.(status); } catch (err) { log.warn('onRecorded hook failed', { pod: status.pod, err }); }
    return 'recorded';
  } catch (err) {
    counter?.inc({ outcome: 'rejected' });
    log.warn('status message refused', { topic, err });
    return 'rejected';
  }
}

/**
 * A last will is built when the device connects (edge/src/uplink/uplink.ts), so its `ts` is older
 * than the online status the device publishes right after — and the store keeps only statuses
 * at least as new as the last. Yet the broker sends the will only after everything that session
 * published: an `offline` status of the same device older than the stored one is its will, and
 * is recorded as of the stored status's time, so a crashed agent shows offline at once.
 */
async function willAware(store: Pick<BalStore, 'nodeByPod'>, status: NodeStatusInput): Promise<NodeStatusInput> {
  if (status.state !== 'offline') return status;
  const known = await store.nodeByPod(status.pod);
  if (!known || known.device !== status.device || known.lastStatusMs === null || known.lastStatusMs <= status.ts) return status;
  return { ...status, ts: known.lastStatusMs };
}

/** Subscribe `client` to every PoD's status topic and record them; `detach()` unsubscribes. */
export async function attachStatusRecorder(client: MqttClient, deps: StatusRecorderDeps): Promise<{ detach(): Promise<void> }> {
  const onMessage = (topic: string, payload: Buffer): void => { void recordStatusMessage(deps, topic, payload); };
  client.on('message', onMessage);
  await client.subscribeAsync(STATUS_FILTER, { qos: 1 });
  return {
    async detach() {
      client.off('message', onMessage);
      if (client.connected) await client.unsubscribeAsync(STATUS_FILTER).catch(() => {});
    },
  };
}
