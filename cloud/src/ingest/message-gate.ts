/**
 * Backpressure on an mqtt.js client, through its documented hook: MQTT.js 5 README,
 * "mqtt.Client#handleMessage(packet, callback): Handle messages with backpressure support, one
 * at a time. Override at will, but always call `callback`, or the client will hang." The
 * client reads the next packet (and sends a QoS 1 PUBACK) only after that callback, so holding
 * it holds the broker's stream. This module is the one place that overrides the hook.
 */
import type { MqttClient } from 'mqtt';

type HandleMessage = MqttClient['handleMessage'];
type PublishPacket = Parameters<HandleMessage>[0];

/** A gate installed on one client's message hook. */
export interface MessageGate {
  /** Let held messages go, oldest first, while `isFull()` is false. */
  release(): void;
  /** Restore the previous hook and let every held message go. */
  remove(): void;
}

/**
 * Hold the client's read loop after each message that `applies(packet)` while `isFull()`;
 * other messages (other subscriptions on the same client) pass straight on.
 */
export function installMessageGate(client: MqttClient, applies: (packet: PublishPacket) => boolean, isFull: () => boolean): MessageGate {
  const previous: HandleMessage = client.handleMessage;
  const held: (() => void)[] = [];
  client.handleMessage = (packet, callback) => {
    previous.call(client, packet, (err) => {
      if (err || !isFull() || !applies(packet)) callback(err);
      else held.push(() => callback());
    });
  };
  return {
    release() {
      while (held.length > 0 && !isFull()) held.shift()!();
    },
    remove() {
      client.handleMessage = previous;
      while (held.length > 0) held.shift()!();
    },
  };
}
