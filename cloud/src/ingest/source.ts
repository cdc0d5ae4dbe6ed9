/**
 * Where readings messages come from (issue 16): the ingest pipeline (./ingest.ts) does not care
 * whether a message arrived on an MQTT subscription of its own, on a Mosquitto shared
 * subscription (`$share/<group>/…`), or from a JetStream consumer. A source hands each message
 * to the handler and holds back the next ones while `maxInFlight` are being handled.
 *
 * The handler resolves `true` once the message is settled: its readings are committed (or
 * refused with a reason) and its ack is on its way. It resolves `false` when the message could
 * not be settled (the store transaction failed): a source with redelivery (JetStream) asks for
 * it again; an MQTT source does nothing, because the device resends what is not acked
 * (DESIGN §4). The handler never rejects.
 */
import type { MqttClient } from 'mqtt';
import { parseTopic, topicFilter } from '@lightnode/shared/topics';
import { installMessageGate } from './message-gate.js';

export type ReadingsHandler = (pod: string, payload: Buffer) => Promise<boolean>;

export interface ReadingsSource {
  /** For logs and metrics: `mqtt`, `mqtt-shared`, `jetstream`. */
  readonly kind: string;
  /** What is subscribed (an MQTT filter, a stream/consumer name), for the log. */
  readonly describe: string;
  /** Start delivering to `handle`; resolves once subscribed. */
  start(handle: ReadingsHandler, opts: { maxInFlight: number }): Promise<void>;
  /** Stop delivering; resolves when nothing more will be handed over (in-flight handlers may still run). */
  stop(): Promise<void>;
}

/** The readings of every PoD (`ln/v1/+/readings`). */
export const READINGS_FILTER = topicFilter('readings');

export interface MqttSourceOptions {
  /** Shared-subscription group: subscribe `$share/<group>/ln/v1/+/readings` (Mosquitto); null = a plain subscription. */
  shareGroup?: string | null;
  /** QoS of the subscription; default 1. */
  qos?: 0 | 1;
}

/** Readings from an MQTT subscription on `client` (plain, or shared among ingest instances). */
export function mqttReadingsSource(client: MqttClient, opts: MqttSourceOptions = {}): ReadingsSource {
  const filter = opts.shareGroup ? `$share/${opts.shareGroup}/${READINGS_FILTER}` : READINGS_FILTER;
  let inFlight = 0;
  let stopped = false;
  let onMessage: ((topic: string, payload: Buffer) => void) | null = null;
  let gate: ReturnType<typeof installMessageGate> | null = null;
  return {
    kind: opts.shareGroup ? 'mqtt-shared' : 'mqtt',
    describe: filter,
    async start(handle, { maxInFlight }) {
      // Backpressure: with maxInFlight in flight, the client stops reading after the next
      // readings message until one finishes; other topics on the client are never held.
      const g = installMessageGate(client, (packet) => parseTopic(packet.topic)?.kind === 'readings', () => inFlight >= maxInFlight);
      gate = g;
      onMessage = (topic, payload) => {
        const t = parseTopic(topic);
        if (!t || t.kind !== 'readings' || stopped) return;
        inFlight++;
        void handle(t.pod, payload).finally(() => { inFlight--; g.release(); });
      };
      client.on('message', onMessage);
      await client.subscribeAsync(filter, { qos: opts.qos ?? 1 });
    },
    async stop() {
      stopped = true;
      if (onMessage) client.removeListener('message', onMessage);
      gate?.remove();
      await client.unsubscribeAsync(filter).catch(() => {});
    },
  };
}
