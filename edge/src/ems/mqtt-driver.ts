/**
 * EMS over MQTT: publish `{mode, activePowerW}` (QoS 1) on `commandTopic`; the EMS publishes its
 * state `{mode, activePowerW, measuredPowerW?}` retained on `stateTopic`; readback waits for a
 * state newer than the last command (up to `timeoutMs`).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { LightNodeError } from '@lightnode/shared/errors';
import type { SetpointMode } from '@lightnode/shared/setpoint';
import { MODE_CODES, type EmsDriver, type EmsState } from './driver.js';

export class MqttEmsDriver implements EmsDriver {
  #client: MqttClient | undefined;
  #state: EmsState | undefined;
  #stateSeq = 0;
  #commandSeq = 0;

  constructor(private readonly cfg: { url: string; commandTopic: string; stateTopic: string; timeoutMs: number }) {}

  async #ensure(): Promise<MqttClient> {
    if (this.#client?.connected) return this.#client;
    try {
      const c = await mqtt.connectAsync(this.cfg.url, { reconnectPeriod: 1000, connectTimeout: this.cfg.timeoutMs });
      c.on('message', (_t, payload) => {
        try {
          const s = JSON.parse(payload.toString()) as EmsState;
          if (typeof s.mode === 'string' && s.mode in MODE_CODES && Number.isSafeInteger(s.activePowerW)) {
            this.#state = s;
            this.#stateSeq += 1;
          }
        } catch { /* ignore malformed state */ }
      });
      await c.subscribeAsync(this.cfg.stateTopic, { qos: 1 });
      this.#client = c;
      return c;
    } catch (err) {
      throw new LightNodeError('EDGE_EMS_UNREACHABLE', `EMS broker ${this.cfg.url}: ${(err as Error).message}`);
    }
  }

  async apply(cmd: { mode: SetpointMode; activePowerW: number }): Promise<void> {
    const c = await this.#ensure();
    this.#commandSeq = this.#stateSeq;
    await c.publishAsync(this.cfg.commandTopic, JSON.stringify(cmd), { qos: 1 });
  }

  async readback(): Promise<EmsState> {
    await this.#ensure();
    const deadline = Date.now() + this.cfg.timeoutMs;
    while (this.#stateSeq <= this.#commandSeq || !this.#state) {
      if (Date.now() > deadline) {
        if (this.#state) return this.#state;
        throw new LightNodeError('EDGE_EMS_TIMEOUT', `EMS state on ${this.cfg.stateTopic}: none within ${this.cfg.timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.#state;
  }

  async close(): Promise<void> {
    await this.#client?.endAsync(true);
  }
}
