/** Picks the EMS transport named by config (`ems.transport`). */
import { LightNodeError } from '@lightnode/shared/errors';
import type { EmsConfig } from '../config.js';
import type { EmsDriver } from './driver.js';
import { ModbusEmsDriver } from './modbus-driver.js';
import { RestEmsDriver } from './rest-driver.js';
import { MqttEmsDriver } from './mqtt-driver.js';

export function createEmsDriver(cfg: EmsConfig, mqttUrl?: string): EmsDriver {
  if (cfg.transport === 'modbus' && cfg.modbus) return new ModbusEmsDriver(cfg.modbus);
  if (cfg.transport === 'rest' && cfg.rest) return new RestEmsDriver(cfg.rest);
  if (cfg.transport === 'mqtt' && cfg.mqtt) return new MqttEmsDriver({ url: mqttUrl ?? 'mqtt://127.0.0.1:1883', ...cfg.mqtt });
  throw new LightNodeError('CONFIG_INVALID', `ems.${cfg.transport}: missing section for the chosen transport`, { field: `ems.${cfg.transport}` });
}
