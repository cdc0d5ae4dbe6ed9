/**
 * The BAL's own MQTT connection, watched (issue 17, defect 1): a connection the BAL did not end
 * is logged and counted, so a session taken over by another client with the BAL's client id
 * (MQTT 5 DISCONNECT 0x8E, or with MQTT 3.1.1 a drop right after each connect) is seen, not
 * silent. mqtt.js reconnects on its own; this only observes.
 */
import type { MqttClient } from 'mqtt';
import type { MetricsRegistry } from '../metrics.js';
import type { Logger } from '../log.js';

/** MQTT 5 reason code "Session taken over". */
export const SESSION_TAKEN_OVER = 0x8e;

export type DisconnectReason = 'session_taken_over' | 'broker_disconnect' | 'connection_lost';

export interface ConnectionWatchOptions {
  clientId: string;
  metrics: MetricsRegistry;
  log: Logger;
  /** A drop this soon after CONNACK is logged as a likely takeover; default 2,000 ms. */
  quickDropMs?: number;
  now?: () => number;
}

/** Name the cause of a close: the MQTT 5 DISCONNECT reason the broker sent first, if any. */
export function disconnectReason(brokerReasonCode: number | null): DisconnectReason {
  if (brokerReasonCode === SESSION_TAKEN_OVER) return 'session_taken_over';
  return brokerReasonCode === null ? 'connection_lost' : 'broker_disconnect';
}

/** Count and log every close of `client` that its owner did not ask for. */
export function watchConnection(client: MqttClient, opts: ConnectionWatchOptions): void {
  const now = opts.now ?? Date.now;
  const quickDropMs = opts.quickDropMs ?? 2000;
  const counter = opts.metrics.counter('bal_mqtt_disconnects_total', "the BAL's own MQTT connection closed without the BAL ending it (session_taken_over: MQTT 5 reason 0x8E)", ['reason']);
  let connectedAt: number | null = client.connected ? now() : null;
  let brokerReason: number | null = null;
  client.on('connect', () => { connectedAt = now(); brokerReason = null; });
  client.on('disconnect', (packet) => { brokerReason = packet.reasonCode ?? 0; });
  client.on('close', () => {
    if (connectedAt === null || client.disconnecting || client.disconnected) return; // never up, or ended by the BAL
    const upMs = now() - connectedAt;
    const reason = disconnectReason(brokerReason);
    connectedAt = null;
    counter.inc({ reason });
    const fields = { clientId: opts.clientId, reason, connectedForMs: upMs, ...(brokerReason !== null ? { reasonCode: brokerReason } : {}) };
    if (reason === 'session_taken_over' || upMs < quickDropMs) {
      opts.log.error("the BAL's MQTT session was taken over or dropped right after connecting: another client uses the BAL's client id (a second BAL on this config?)", fields);
    } else {
      opts.log.warn("the BAL's MQTT connection closed; reconnecting", fields);
    }
  });
}
