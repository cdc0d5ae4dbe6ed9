/**
 * The agent's one config file (JSON) plus environment overrides (DESIGN §8). The fields are
 * declared once in config-schema.ts; `loadConfig` validates everything at start (CONFIG_INVALID
 * names the field), applies the cross-field rules and derives the runtime config: paths resolved
 * against `dataDir`, `…Sec`/`…Days` fields converted to ms. Every field, unit, default and env
 * variable is in edge/README.md "Configuration" (generated from the schema).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { LightNodeError, ValidationError } from '@lightnode/shared/errors';
import { parseConfigOf, type ConfigOf } from '@lightnode/shared/config';
import { applyEnvOverrides } from '@lightnode/shared/config-env';
import { EDGE_CONFIG } from './config-schema.js';
import type { Rating } from './meters/plausibility.js';

export type Obj = Record<string, unknown>;
/** The config file as validated (units as written: `ackTimeoutSec`, `maxAgeDays`, …). */
export type AgentConfigFile = ConfigOf<typeof EDGE_CONFIG.schema>;
/** The runtime config the agent runs on (derived by `validateConfig`). */
export type AgentConfig = ReturnType<typeof deriveConfig>;
export type MqttConfig = AgentConfig['mqtt'];
export type MeterConfig = AgentConfig['meters'][number];
export type EmsConfig = AgentConfig['ems'];
export type EmsModbusConfig = NonNullable<EmsConfig['modbus']>;

const DAY_MS = 24 * 3600 * 1000;

const fail = (field: string, expected: string, found: unknown): never => { throw new ValidationError('CONFIG_INVALID', field, expected, found); };

/** Apply the `LIGHTNODE_*` environment overrides (shared/src/config-env.ts) onto the parsed JSON, before validation. */
export function applyEnv(raw: Obj, env: Record<string, string | undefined>): Obj {
  return applyEnvOverrides(EDGE_CONFIG.schema, EDGE_CONFIG.envPrefix, raw, env);
}

/** Cross-field rules and derived values of a schema-valid file. */
function deriveConfig(c: AgentConfigFile, baseDir: string) {
  const dataDir = isAbsolute(c.dataDir) ? c.dataDir : resolve(baseDir, c.dataDir);
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(dataDir, p));

  const ch = c.chain;
  if (!ch.deploymentFile && (ch.chainId === undefined || !ch.podRegistry)) fail('chain', 'deploymentFile, or chainId + podRegistry (the EIP-712 domain)', ch);
  const chain = {
    ...(ch.deploymentFile ? { deploymentFile: path(ch.deploymentFile) } : {}),
    ...(ch.rpcUrl ? { rpcUrl: ch.rpcUrl } : {}),
    ...(ch.chainId !== undefined ? { chainId: ch.chainId } : {}),
    ...(ch.podRegistry ? { podRegistry: ch.podRegistry.toLowerCase() } : {}),
    rpcTimeoutMs: ch.rpcTimeoutMs,
  };

  const tls = c.mqtt.tls;
  if (Boolean(tls.certFile) !== Boolean(tls.keyFile)) fail('mqtt.tls', 'certFile and keyFile together', tls);
  const mq = c.mqtt;
  if (mq.reconnectMaxMs < mq.reconnectMinMs) fail('mqtt.reconnectMaxMs', `at least mqtt.reconnectMinMs (${mq.reconnectMinMs} ms)`, mq.reconnectMaxMs);
  if (mq.takeoverBackoffMaxMs < mq.takeoverBackoffMinMs) fail('mqtt.takeoverBackoffMaxMs', `at least mqtt.takeoverBackoffMinMs (${mq.takeoverBackoffMinMs} ms)`, mq.takeoverBackoffMaxMs);
  const mqtt = {
    url: mq.url, protocolVersion: mq.protocolVersion, clientId: mq.clientId ?? mq.username ?? `ln-${c.pod}`,
    ...(mq.username ? { username: mq.username } : {}),
    ...(mq.password ? { password: mq.password } : {}),
    tls: {
      ...(tls.caFile ? { caFile: path(tls.caFile) } : {}),
      ...(tls.certFile ? { certFile: path(tls.certFile) } : {}),
      ...(tls.keyFile ? { keyFile: path(tls.keyFile) } : {}),
      rejectUnauthorized: tls.rejectUnauthorized,
    },
    keepaliveSec: mq.keepaliveSec, batchSize: mq.batchSize, inFlightBatches: mq.inFlightBatches, ackTimeoutMs: mq.ackTimeoutSec * 1000,
    lingerMs: mq.lingerMs, reconnectMinMs: mq.reconnectMinMs, reconnectMaxMs: mq.reconnectMaxMs,
    takeoverBackoffMinMs: mq.takeoverBackoffMinMs, takeoverBackoffMaxMs: mq.takeoverBackoffMaxMs, statusIntervalMs: mq.statusIntervalSec * 1000,
  };

  const ids = new Set<string>();
  const meters = c.meters.map((m, i) => {
    const p = `meters[${i}].`;
    if (m.id === 'ems') fail(`${p}id`, 'an id other than "ems" (reserved for EMS readings)', m.id);
    if (ids.has(m.id)) fail(`${p}id`, 'a unique meter id', m.id);
    ids.add(m.id);
    if (m.kind === 'modbus' && m.cron === undefined && m.intervalMs === undefined) fail(`${p}intervalMs`, 'intervalMs or cron for a polled meter', undefined);
    /** `raw`: the whole entry, handed to the meter factory of its kind (which validates the rest). */
    return {
      id: m.id, kind: m.kind as string, ...(m.cron ? { cron: m.cron } : {}), ...(m.intervalMs !== undefined ? { intervalMs: m.intervalMs } : {}),
      ...(m.rating ? { rating: { ...m.rating } as Rating } : {}), raw: m as Obj,
    };
  });

  const em = c.ems;
  const transportOn = (t: typeof em.transport) => em.enabled && em.transport === t;
  const need = <T,>(t: typeof em.transport, v: T | undefined): T => v ?? fail(`ems.${t}`, `an object (ems.transport is ${t})`, undefined);
  const mb = transportOn('modbus') ? need('modbus', em.modbus) : undefined;
  const rest = transportOn('rest') ? need('rest', em.rest) : undefined;
  const emsMqtt = transportOn('mqtt') ? need('mqtt', em.mqtt) : undefined;
  const ems = {
    enabled: em.enabled, transport: em.transport, fallback: em.fallback, pollIntervalMs: em.pollIntervalMs,
    signersCacheFile: path(em.signersCacheFile), signersRefreshMs: em.signersRefreshSec * 1000, maxClockSkewMs: em.maxClockSkewMs,
    ...(mb ? {
      modbus: {
        host: mb.host, port: mb.port, unitId: mb.unitId, timeoutMs: mb.timeoutMs, modeRegister: mb.modeRegister, powerRegister: mb.powerRegister,
        readbackModeRegister: mb.readbackModeRegister ?? mb.modeRegister, readbackPowerRegister: mb.readbackPowerRegister ?? mb.powerRegister,
      },
    } : {}),
    ...(rest ? { rest: { url: rest.url, timeoutMs: rest.timeoutMs } } : {}),
    ...(emsMqtt ? { mqtt: { commandTopic: emsMqtt.commandTopic, stateTopic: emsMqtt.stateTopic, timeoutMs: emsMqtt.timeoutMs } } : {}),
  };

  return {
    pod: c.pod, dataDir,
    keystore: { path: path(c.keystore.path), ...(c.keystore.passwordFile ? { passwordFile: path(c.keystore.passwordFile) } : {}), scryptN: c.keystore.scryptN },
    chain,
    spool: {
      path: path(c.spool.path), maxBytes: c.spool.maxBytes, maxAgeMs: c.spool.maxAgeDays * DAY_MS, synchronous: c.spool.synchronous,
      boundsCheckIntervalMs: c.spool.boundsCheckIntervalSec * 1000, coalesceMs: c.spool.coalesceMs,
    },
    mqtt, meters, ems,
    http: { host: c.http.host, port: c.http.port, enabled: c.http.enabled },
    log: { level: c.log.level },
    watchdogIntervalMs: c.watchdogIntervalMs,
  };
}

/** Validate a parsed config object (after env overrides). `baseDir` resolves a relative dataDir. */
export function validateConfig(raw: unknown, baseDir = process.cwd()): AgentConfig {
  return deriveConfig(parseConfigOf(EDGE_CONFIG, raw), baseDir);
}

/** Read, env-override and validate a config file. Throws CONFIG_INVALID / CONFIG_READ. */
export function loadConfig(file: string, env: Record<string, string | undefined> = process.env): AgentConfig {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (err) {
    throw new LightNodeError('CONFIG_READ', `config ${file}: cannot read (${(err as Error).message})`, { path: file });
  }
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (err) {
    throw new LightNodeError('CONFIG_INVALID', `config ${file}: not JSON (${(err as Error).message})`, { path: file });
  }
  return deriveConfig(parseConfigOf(EDGE_CONFIG, raw, env), resolve(file, '..'));
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
