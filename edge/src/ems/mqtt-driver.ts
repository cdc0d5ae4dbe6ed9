/**
 * EMS over MQTT (the lab EMS API, hardware-sim ems-mqtt.ts): publish `{mode, setpointW}` (QoS 1)
 * on `commandTopic` (lab: `<base>/set`); the EMS publishes its state `{mode, setpointW, …}`
 * retained on `stateTopic` (lab: `<base>/state`). MQTT gives no request/response pairing, so
 * readback waits (up to `timeoutMs`) for a state that shows the last command, and otherwise
 * returns the latest state seen — the controller then reports a readback mismatch.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { LightNodeError } from '@lightnode/shared/errors';
import type { SetpointMode } from '@lightnode/shared/setpoint';
import type { EmsDriver, EmsState } from './driver.js';
import { parseEmsState } from './rest-driver.js';

export class MqttEmsDriver implements EmsDriver {
  #client: MqttClient | undefined;
  #state: EmsState | undefined;
  #last: { mode: SetpointMode; activePowerW: number } | undefined;

  constructor(private readonly cfg: { url: string; commandTopic: string; stateTopic: string; timeoutMs: number }) {}

  async #ensure(): Promise<MqttClient> {
    if (this.#client?.connected) return this.#client;
    try {
      const c = this.#client ?? (await mqtt.connectAsync(this.cfg.url, { reconnectPeriod: 1000, connectTimeout: this.cfg.timeoutMs, writeCache: false }));
      if (!this.#client) {
        c.on('message', (_t, payload) => {
          try {
            this.#state = parseEmsState(JSON.parse(payload.toString()));
          } catch { /* a malformed state is ignored; readback times out if nothing valid arrives */ }
        });
        await c.subscribeAsync(this.cfg.stateTopic, { qos: 1 });
        this.#client = c;
      }
      return c;
    } catch (err) {
      throw new LightNodeError('EDGE_EMS_UNREACHABLE', `EMS broker ${this.cfg.url}: ${(err as Error).message}`);
    }
  }

  async apply(cmd: { mode: SetpointMode; activePowerW: number }): Promise<void> {
    const c = await this.#ensure();
    this.#last = { ...cmd };
    await c.publishAsync(this.cfg.commandTopic, JSON.stringify({ mode: cmd.mode, setpointW: cmd.activePowerW }), { qos: 1 });
  }

  async readback(): Promise<EmsState> {
    await this.#ensure();
    const deadline = Date.now() + this.cfg.timeoutMs;
    const shows = (s: EmsState | undefined): boolean => !!s && (!this.#last || (s.mode === this.#last.mode && s.activePowerW === this.#last.activePowerW));
    while (!shows(this.#state)) {
      if (Date.now() > deadline) {
        if (this.#state) return this.#state;
        throw new LightNodeError('EDGE_EMS_TIMEOUT', `EMS state on ${this.cfg.stateTopic}: none within ${this.cfg.timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.#state!;
  }

  async close(): Promise<void> {
    await this.#client?.endAsync(true);
  }
}
