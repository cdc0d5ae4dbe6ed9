/**
 * Records Light Node Status messages (`ln/v1/{pod}/status`, retained + last will) into the
 * store's node table, for `GET /api/nodes`. The broker ACL already guarantees that only the
 * PoD's own account can publish there; here the message is validated and must name the
 * topic's PoD. Bad messages are counted and logged, never thrown.
 */
import type { MqttClient } from 'mqtt';
import { ValidationError } from '@lightnode/shared/errors';
import { POD_RE } from '@lightnode/shared/reading';
import { TOPIC_PREFIX } from './acl.js';
import type { BalStore, Hex, NodeStatusInput } from '../store/types.js';
import type { MetricsRegistry } from '../metrics.js';
import { silentLogger, type Logger } from '../log.js';

const CODE = 'PROTO_MESSAGE_INVALID';
const MAX_STATUS_BYTES = 64 * 1024;
export const STATUS_FILTER = `${TOPIC_PREFIX}/+/status`;

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Validate a Status message (docs/interfaces.md). Throws ValidationError PROTO_MESSAGE_INVALID. */
export function parseStatusMessage(payload: Uint8Array | string): NodeStatusInput {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  if (text.length > MAX_STATUS_BYTES) throw new ValidationError('PROTO_MESSAGE_TOO_LARGE', 'status', `<= ${MAX_STATUS_BYTES} bytes`, text.length);
  let x: unknown;
  try { x = JSON.parse(text); } catch { throw new ValidationError(CODE, 'status', 'JSON', 'unparsable text'); }
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new ValidationError(CODE, 'status', 'object', x);
  const o = x as Record<string, unknown>;
  if (o.v !== 1) throw new ValidationError(CODE, 'status.v', '1', o.v);
  if (typeof o.pod !== 'string' || !POD_RE.test(o.pod)) throw new ValidationError(CODE, 'status.pod', 'PoD code', o.pod);
  if (typeof o.device !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(o.device)) throw new ValidationError(CODE, 'status.device', 'address', o.device);
  if (o.state !== 'online' && o.state !== 'offline') throw new ValidationError(CODE, 'status.state', "'online' | 'offline'", o.state);
  if (!isCount(o.ts)) throw new ValidationError(CODE, 'status.ts', 'ms since epoch', o.ts);
  if (o.lastSeq !== null && !isCount(o.lastSeq)) throw new ValidationError(CODE, 'status.lastSeq', 'safe integer >= 0 or null', o.lastSeq);
  if (!isCount(o.spoolDepth)) throw new ValidationError(CODE, 'status.spoolDepth', 'safe integer >= 0', o.spoolDepth);
  if (!isCount(o.quarantined)) throw new ValidationError(CODE, 'status.quarantined', 'safe integer >= 0', o.quarantined);
  if (typeof o.agentVersion !== 'string' || o.agentVersion.length > 64) throw new ValidationError(CODE, 'status.agentVersion', 'string of <= 64 chars', o.agentVersion);
  return {
    pod: o.pod, device: o.device.toLowerCase() as Hex, state: o.state, ts: o.ts, lastSeq: o.lastSeq as number | null,
    spoolDepth: o.spoolDepth, quarantined: o.quarantined, agentVersion: o.agentVersion,
  };
}

export interface StatusRecorderDeps {
  store: BalStore;
  metrics?: MetricsRegistry;
  log?: Logger;
  now?: () => number;
}

/** Handle one status message; resolves to the outcome (never rejects). */
export async function recordStatusMessage(deps: StatusRecorderDeps, topic: string, payload: Uint8Array): Promise<'recorded' | 'rejected' | 'ignored'> {
  const log = deps.log ?? silentLogger;
  const counter = deps.metrics?.counter('bal_status_messages_total', 'Light Node status messages by outcome', ['outcome']);
  const parts = topic.split('/');
  if (parts.length !== 4 || `${parts[0]}/${parts[1]}` !== TOPIC_PREFIX || parts[3] !== 'status') return 'ignored';
  if (payload.length === 0) return 'ignored'; // a cleared retained message
  try {
    const status = parseStatusMessage(payload);
    if (status.pod !== parts[2]) throw new ValidationError('BAL_POD_MISMATCH', 'status.pod', `topic PoD ${parts[2]}`, status.pod);
    await deps.store.recordNodeStatus(status, (deps.now ?? Date.now)());
    counter?.inc({ outcome: 'recorded' });
    return 'recorded';
  } catch (err) {
    counter?.inc({ outcome: 'rejected' });
    log.warn('status message refused', { topic, err });
    return 'rejected';
  }
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
