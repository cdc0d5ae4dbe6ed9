/**
 * The agent's one config file (JSON) plus environment overrides (DESIGN §8). `loadConfig`
 * validates everything at start and fails with CONFIG_INVALID naming the field; paths are
 * resolved against `dataDir`. Every field, unit and default is listed in edge/README.md.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { LightNodeError, ValidationError } from '@lightnode/shared/errors';
import { POD_RE, METER_RE } from '@lightnode/shared/reading';
import { bool, configFail, int, known, obj, oneOf, oneOfNum, optStr, str, type Obj } from './config-fields.js';

export interface MqttConfig {
  url: string; protocolVersion: 4 | 5; clientId: string; username?: string; password?: string;
  tls: { caFile?: string; certFile?: string; keyFile?: string; rejectUnauthorized: boolean };
  keepaliveSec: number; batchSize: number; inFlightBatches: number; ackTimeoutMs: number;
  reconnectMinMs: number; reconnectMaxMs: number; statusIntervalMs: number;
}

export interface MeterConfig {
  id: string; kind: string;
  /** Poll period, ms (used when `cron` is absent). */
  intervalMs?: number;
  /** node-cron expression with seconds, e.g. `0 *\/15 * * * *`. */
  cron?: string;
  /** The rest of the entry, handed to the meter factory of its kind. */
  raw: Obj;
}

export interface EmsModbusConfig {
  host: string; port: number; unitId: number; timeoutMs: number;
  modeRegister: number; powerRegister: number; readbackModeRegister: number; readbackPowerRegister: number;
}

export interface EmsConfig {
  enabled: boolean; transport: 'modbus' | 'rest' | 'mqtt';
  modbus?: EmsModbusConfig; rest?: { url: string; timeoutMs: number }; mqtt?: { commandTopic: string; stateTopic: string; timeoutMs: number };
  fallback: 'release' | 'hold'; pollIntervalMs: number; signersCacheFile: string; signersRefreshMs: number;
  maxClockSkewMs: number;
}

export interface AgentConfig {
  pod: string; dataDir: string;
  keystore: { path: string; passwordFile?: string; scryptN: number };
  chain: { deploymentFile?: string; rpcUrl?: string; chainId?: number; podRegistry?: string; rpcTimeoutMs: number };
  spool: { path: string; maxBytes: number; maxAgeMs: number; synchronous: 'full' | 'normal'; boundsCheckIntervalMs: number; coalesceMs: number };
  mqtt: MqttConfig;
  meters: MeterConfig[];
  ems: EmsConfig;
  http: { host: string; port: number; enabled: boolean };
  log: { level: 'debug' | 'info' | 'warn' | 'error' };
  watchdogIntervalMs: number;
}

const DAY_MS = 24 * 3600 * 1000;

function path(dataDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(dataDir, p);
}

/** Apply LIGHTNODE_* environment overrides onto the parsed JSON (before validation). */
export function applyEnv(raw: Obj, env: NodeJS.ProcessEnv): Obj {
  const out: Obj = structuredClone(raw);
  const sub = (k: string): Obj => {
    const v = out[k];
    if (v === undefined) out[k] = {};
    return (out[k] ?? {}) as Obj;
  };
  const num = (name: string, v: string): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new ValidationError('CONFIG_INVALID', name, 'an integer', v);
    return n;
  };
  if (env.LIGHTNODE_POD) out.pod = env.LIGHTNODE_POD;
  if (env.LIGHTNODE_DATA_DIR) out.dataDir = env.LIGHTNODE_DATA_DIR;
  if (env.LIGHTNODE_MQTT_URL) sub('mqtt').url = env.LIGHTNODE_MQTT_URL;
  if (env.LIGHTNODE_MQTT_USERNAME) sub('mqtt').username = env.LIGHTNODE_MQTT_USERNAME;
  if (env.LIGHTNODE_MQTT_PASSWORD) sub('mqtt').password = env.LIGHTNODE_MQTT_PASSWORD;
  if (env.LIGHTNODE_RPC_URL) sub('chain').rpcUrl = env.LIGHTNODE_RPC_URL;
  if (env.LIGHTNODE_HTTP_PORT) sub('http').port = num('LIGHTNODE_HTTP_PORT', env.LIGHTNODE_HTTP_PORT);
  if (env.LIGHTNODE_LOG_LEVEL) sub('log').level = env.LIGHTNODE_LOG_LEVEL;
  return out;
}

/** Validate a parsed config object (after env overrides). `baseDir` resolves a relative dataDir. */
export function validateConfig(raw: unknown, baseDir = process.cwd()): AgentConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) configFail('config', 'a JSON object', raw);
  const r = raw as Obj;
  known(r, '', ['$schema', 'pod', 'dataDir', 'keystore', 'chain', 'spool', 'mqtt', 'meters', 'ems', 'http', 'log', 'watchdogIntervalMs']);
  const pod = str(r, 'pod', '', undefined, POD_RE);
  const dataDir = path(baseDir, str(r, 'dataDir', '', '.'));

  const ks = obj(r, 'keystore', '');
  known(ks, 'keystore.', ['path', 'passwordFile', 'scryptN']);
  const passwordFile = optStr(ks, 'passwordFile', 'keystore.');
  const keystore = {
    path: path(dataDir, str(ks, 'path', 'keystore.', 'keystore.json')),
    ...(passwordFile ? { passwordFile: path(dataDir, passwordFile) } : {}),
    scryptN: int(ks, 'scryptN', 'keystore.', 1 << 15, 1 << 10, 1 << 20),
  };

  const ch = obj(r, 'chain', '');
  known(ch, 'chain.', ['deploymentFile', 'rpcUrl', 'chainId', 'podRegistry', 'rpcTimeoutMs']);
  const deploymentFile = optStr(ch, 'deploymentFile', 'chain.');
  const rpcUrl = optStr(ch, 'rpcUrl', 'chain.');
  const podRegistry = optStr(ch, 'podRegistry', 'chain.');
  if (podRegistry !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(podRegistry)) configFail('chain.podRegistry', 'a 20-byte 0x address', podRegistry);
  const chain = {
    ...(deploymentFile ? { deploymentFile: path(dataDir, deploymentFile) } : {}),
    ...(rpcUrl ? { rpcUrl } : {}),
    ...(ch.chainId !== undefined ? { chainId: int(ch, 'chainId', 'chain.', undefined, 1, 2 ** 48) } : {}),
    ...(podRegistry ? { podRegistry: podRegistry.toLowerCase() } : {}),
    rpcTimeoutMs: int(ch, 'rpcTimeoutMs', 'chain.', 5000, 100, 120_000),
  };
  if (!chain.deploymentFile && (chain.chainId === undefined || !chain.podRegistry)) {
    configFail('chain', 'deploymentFile, or chainId + podRegistry (the EIP-712 domain)', ch);
  }

  const sp = obj(r, 'spool', '');
  known(sp, 'spool.', ['path', 'maxBytes', 'maxAgeDays', 'synchronous', 'boundsCheckIntervalSec', 'coalesceMs']);
  const spool = {
    path: path(dataDir, str(sp, 'path', 'spool.', 'spool.db')),
    maxBytes: int(sp, 'maxBytes', 'spool.', 512 * 1024 * 1024, 64 * 1024, 2 ** 45),
    maxAgeMs: int(sp, 'maxAgeDays', 'spool.', 30, 1, 3650) * DAY_MS,
    synchronous: oneOf(sp, 'synchronous', 'spool.', ['full', 'normal'] as const, 'full'),
    boundsCheckIntervalMs: int(sp, 'boundsCheckIntervalSec', 'spool.', 60, 1, 86_400) * 1000,
    coalesceMs: int(sp, 'coalesceMs', 'spool.', 50, 0, 5000),
  };

  const mq = obj(r, 'mqtt', '');
  known(mq, 'mqtt.', ['url', 'protocolVersion', 'clientId', 'username', 'password', 'tls', 'keepaliveSec', 'batchSize', 'inFlightBatches', 'ackTimeoutSec', 'reconnectMinMs', 'reconnectMaxMs', 'statusIntervalSec']);
  const tls = obj(mq, 'tls', 'mqtt.');
  known(tls, 'mqtt.tls.', ['caFile', 'certFile', 'keyFile', 'rejectUnauthorized']);
  const tlsCfg = {
    ...(optStr(tls, 'caFile', 'mqtt.tls.') ? { caFile: path(dataDir, tls.caFile as string) } : {}),
    ...(optStr(tls, 'certFile', 'mqtt.tls.') ? { certFile: path(dataDir, tls.certFile as string) } : {}),
    ...(optStr(tls, 'keyFile', 'mqtt.tls.') ? { keyFile: path(dataDir, tls.keyFile as string) } : {}),
    rejectUnauthorized: bool(tls, 'rejectUnauthorized', 'mqtt.tls.', true),
  };
  if (Boolean(tlsCfg.certFile) !== Boolean(tlsCfg.keyFile)) configFail('mqtt.tls', 'certFile and keyFile together', tls);
  const username = optStr(mq, 'username', 'mqtt.');
  const password = optStr(mq, 'password', 'mqtt.');
  const mqtt: MqttConfig = {
    url: str(mq, 'url', 'mqtt.', 'mqtt://127.0.0.1:1883', /^(mqtts?|wss?|tcp|ssl):\/\/.+/),
    protocolVersion: oneOfNum(mq, 'protocolVersion', 'mqtt.', [4, 5] as const, 5),
    clientId: str(mq, 'clientId', 'mqtt.', `ln-${pod}`, /^[A-Za-z0-9._:-]{1,64}$/),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    tls: tlsCfg,
    keepaliveSec: int(mq, 'keepaliveSec', 'mqtt.', 30, 5, 3600),
    batchSize: int(mq, 'batchSize', 'mqtt.', 200, 1, 1000),
    inFlightBatches: int(mq, 'inFlightBatches', 'mqtt.', 8, 1, 64),
    ackTimeoutMs: int(mq, 'ackTimeoutSec', 'mqtt.', 30, 1, 3600) * 1000,
    reconnectMinMs: int(mq, 'reconnectMinMs', 'mqtt.', 1000, 50, 600_000),
    reconnectMaxMs: int(mq, 'reconnectMaxMs', 'mqtt.', 60_000, 50, 3_600_000),
    statusIntervalMs: int(mq, 'statusIntervalSec', 'mqtt.', 60, 1, 86_400) * 1000,
  };

  const metersRaw = r.meters ?? [];
  if (!Array.isArray(metersRaw)) configFail('meters', 'an array', metersRaw);
  const ids = new Set<string>();
  const meters: MeterConfig[] = (metersRaw as unknown[]).map((m, i) => {
    const p = `meters[${i}].`;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) return configFail(`meters[${i}]`, 'an object', m);
    const mo = m as Obj;
    const id = str(mo, 'id', p, undefined, METER_RE);
    if (id === 'ems') configFail(`${p}id`, 'an id other than "ems" (reserved for EMS readings)', id);
    if (ids.has(id)) configFail(`${p}id`, 'a unique meter id', id);
    ids.add(id);
    const kind = str(mo, 'kind', p, undefined, /^(modbus|chain2)$/);
    const cron = optStr(mo, 'cron', p);
    const intervalMs = mo.intervalMs === undefined ? undefined : int(mo, 'intervalMs', p, undefined, 100, 86_400_000);
    if (kind === 'modbus' && cron === undefined && intervalMs === undefined) configFail(`${p}intervalMs`, 'intervalMs or cron for a polled meter', undefined);
    return { id, kind, ...(cron ? { cron } : {}), ...(intervalMs !== undefined ? { intervalMs } : {}), raw: mo };
  });

  const em = obj(r, 'ems', '');
  known(em, 'ems.', ['enabled', 'transport', 'modbus', 'rest', 'mqtt', 'fallback', 'pollIntervalMs', 'signersCacheFile', 'signersRefreshSec', 'maxClockSkewMs']);
  const emsEnabled = bool(em, 'enabled', 'ems.', false);
  const transport = oneOf(em, 'transport', 'ems.', ['modbus', 'rest', 'mqtt'] as const, 'modbus');
  const ems: EmsConfig = {
    enabled: emsEnabled,
    transport,
    fallback: oneOf(em, 'fallback', 'ems.', ['release', 'hold'] as const, 'release'),
    pollIntervalMs: int(em, 'pollIntervalMs', 'ems.', 0, 0, 86_400_000),
    signersCacheFile: path(dataDir, str(em, 'signersCacheFile', 'ems.', 'setpoint-signers.json')),
    signersRefreshMs: int(em, 'signersRefreshSec', 'ems.', 300, 1, 86_400) * 1000,
    maxClockSkewMs: int(em, 'maxClockSkewMs', 'ems.', 5000, 0, 3_600_000),
  };
  if (emsEnabled && transport === 'modbus') {
    const mb = obj(em, 'modbus', 'ems.', false);
    const p = 'ems.modbus.';
    known(mb, p, ['host', 'port', 'unitId', 'timeoutMs', 'modeRegister', 'powerRegister', 'readbackModeRegister', 'readbackPowerRegister']);
    const modeRegister = int(mb, 'modeRegister', p, 0, 0, 65535);
    const powerRegister = int(mb, 'powerRegister', p, 1, 0, 65534);
    ems.modbus = {
      host: str(mb, 'host', p, '127.0.0.1'), port: int(mb, 'port', p, 502, 1, 65535), unitId: int(mb, 'unitId', p, 1, 0, 255),
      timeoutMs: int(mb, 'timeoutMs', p, 1000, 10, 60_000), modeRegister, powerRegister,
      readbackModeRegister: int(mb, 'readbackModeRegister', p, modeRegister, 0, 65535),
      readbackPowerRegister: int(mb, 'readbackPowerRegister', p, powerRegister, 0, 65534),
    };
  } else if (emsEnabled && transport === 'rest') {
    const rs = obj(em, 'rest', 'ems.', false);
    known(rs, 'ems.rest.', ['url', 'timeoutMs']);
    ems.rest = { url: str(rs, 'url', 'ems.rest.', undefined, /^https?:\/\//), timeoutMs: int(rs, 'timeoutMs', 'ems.rest.', 2000, 10, 60_000) };
  } else if (emsEnabled && transport === 'mqtt') {
    const mt = obj(em, 'mqtt', 'ems.', false);
    known(mt, 'ems.mqtt.', ['commandTopic', 'stateTopic', 'timeoutMs']);
    ems.mqtt = { commandTopic: str(mt, 'commandTopic', 'ems.mqtt.'), stateTopic: str(mt, 'stateTopic', 'ems.mqtt.'), timeoutMs: int(mt, 'timeoutMs', 'ems.mqtt.', 2000, 10, 60_000) };
  }

  const ht = obj(r, 'http', '');
  known(ht, 'http.', ['host', 'port', 'enabled']);
  const http = { host: str(ht, 'host', 'http.', '127.0.0.1'), port: int(ht, 'port', 'http.', 9464, 0, 65535), enabled: bool(ht, 'enabled', 'http.', true) };
  const lg = obj(r, 'log', '');
  known(lg, 'log.', ['level']);
  const log = { level: oneOf(lg, 'level', 'log.', ['debug', 'info', 'warn', 'error'] as const, 'info') };
  const watchdogIntervalMs = int(r, 'watchdogIntervalMs', '', 10_000, 1000, 600_000);
  return { pod, dataDir, keystore, chain, spool, mqtt, meters, ems, http, log, watchdogIntervalMs };
}

/** Read, env-override and validate a config file. Throws CONFIG_INVALID / CONFIG_READ. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (err) {
    throw new LightNodeError('CONFIG_READ', `config ${file}: cannot read (${(err as Error).message})`, { path: file });
  }
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (err) {
    throw new LightNodeError('CONFIG_INVALID', `config ${file}: not JSON (${(err as Error).message})`, { path: file });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) configFail('config', 'a JSON object', raw);
  return validateConfig(applyEnv(raw as Obj, env), resolve(file, '..'));
}

/** A commented-by-README skeleton written by `lightnode init`. */
export function configSkeleton(pod: string): Obj {
  return {
    pod,
    dataDir: '.',
    keystore: { path: 'keystore.json', passwordFile: 'keystore.password' },
    chain: { deploymentFile: 'deployment.json' },
    spool: { path: 'spool.db', maxBytes: 512 * 1024 * 1024, maxAgeDays: 30, synchronous: 'full' },
    mqtt: { url: 'mqtt://127.0.0.1:1883', protocolVersion: 5, batchSize: 200, inFlightBatches: 8, ackTimeoutSec: 30 },
    meters: [
      { id: 'main', kind: 'modbus', template: 'sdm630', link: { kind: 'tcp', host: '127.0.0.1', port: 502 }, device: { unitId: 1 }, intervalMs: 1000 },
    ],
    ems: { enabled: false, transport: 'modbus', fallback: 'release', modbus: { host: '127.0.0.1', port: 1502, unitId: 1 } },
    http: { host: '127.0.0.1', port: 9464 },
    log: { level: 'info' },
  };
}
