/**
 * Picks the EMS transport named by config (`ems.transport`). Each driver is loaded only when
 * chosen (modbus-serial pulls serialport's native bindings: several MB of RSS a REST site never needs).
 */
import { LightNodeError } from '@lightnode/shared/errors';
import type { EmsConfig } from '../config.js';
import type { EmsDriver } from './driver.js';

/** The EMS driver for `cfg`; `mqttUrl` is the broker of the `mqtt` transport (the uplink's). */
export async function createEmsDriver(cfg: EmsConfig, mqttUrl: string): Promise<EmsDriver> {
  if (cfg.transport === 'modbus' && cfg.modbus) return new (await import('./modbus-driver.js')).ModbusEmsDriver(cfg.modbus);
  if (cfg.transport === 'rest' && cfg.rest) return new (await import('./rest-driver.js')).RestEmsDriver(cfg.rest);
  if (cfg.transport === 'mqtt' && cfg.mqtt) return new (await import('./mqtt-driver.js')).MqttEmsDriver({ url: mqttUrl, ...cfg.mqtt });
  throw new LightNodeError('CONFIG_INVALID', `ems.${cfg.transport}: missing section for the chosen transport`, { field: `ems.${cfg.transport}` });
}
