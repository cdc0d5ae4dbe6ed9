/**
 * MQTT adapter of the EMS: subscribes to `<topic>/set` (`{ mode?, setpointW? }` JSON),
 * answers each command on `<topic>/result` (`{ ok: true, state }` or `{ ok: false, code, message }`)
 * and publishes the state, retained, on `<topic>/state` after every change and periodically.
 */
import mqtt from 'mqtt';
import { isLightNodeError, LightNodeError } from '@lightnode/shared/errors';
import type { SimEms } from './sim-ems.js';

export interface EmsMqttOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  url: string;
  /** Base topic (default `sim/ems/<id>`). */
  topic?: string;
  /** Period of state publications in real ms (default 5000; 0 = only on change). */
  publishIntervalMs?: number;
}

export interface EmsMqtt { topic: string; stop(): Promise<void> }

/** Connects, subscribes and resolves once the subscription is active. */
export async function startEmsMqtt(ems: SimEms, o: EmsMqttOptions): Promise<EmsMqtt> {
  const topic = o.topic ?? `sim/ems/${ems.id}`;
  let client: mqtt.MqttClient;
  try {
    client = await mqtt.connectAsync(o.url, { clientId: `sim-ems-${ems.id}-${process.pid}`, reconnectPeriod: 1000 });
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new LightNodeError('SIM_MQTT_UNREACHABLE', `EMS "${ems.id}": cannot connect to the MQTT broker ${o.url} (${why})`, { id: ems.id, url: o.url }, { cause: e });
  }
  const publishState = () => { client.publish(`${topic}/state`, JSON.stringify(ems.view()), { retain: true, qos: 1 }); };
  client.on('message', (_t, payload) => {
    let result: unknown;
    try {
      const cmd = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
      if (typeof cmd !== 'object' || cmd === null) throw new SyntaxError('not an object');
      result = { ok: true, state: ems.change({ mode: cmd.mode, setpointW: cmd.setpointW }) };
    } catch (e) {
      result = isLightNodeError(e) ? { ok: false, ...e.toJSON() } : { ok: false, code: 'SIM_REQUEST_INVALID', message: (e as Error).message };
    }
    client.publish(`${topic}/result`, JSON.stringify(result), { qos: 1 });
  });
  const off = ems.onChange(publishState);
  await client.subscribeAsync(`${topic}/set`, { qos: 1 });
  publishState();
  const period = o.publishIntervalMs ?? 5000;
  const timer = period > 0 ? setInterval(publishState, period) : undefined;
  return {
    topic,
    async stop() {
      clearInterval(timer);
      off();
      await client.endAsync(true);
    },
  };
}
