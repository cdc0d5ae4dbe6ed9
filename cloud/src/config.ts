/**
 * The BAL's one config file (DESIGN §8): JSON, validated at start against the schema declared
 * once in config-schema.ts, failing closed with the field, what was expected and what was found
 * (`CONFIG_INVALID`). Relative paths resolve against the config file's folder. Environment
 * overrides follow the workspace's one rule, `BAL_` + the field path in upper snake case
 * (`BAL_API_PORT`, `BAL_STORE_URL`, `BAL_BROKER_PASSWORD`; `BAL_ANCHOR_KEY` is the anchoring key,
 * which is never in the file). Every field, its unit, default and variable: cloud/README.md
 * "Configuration" (generated from the schema).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LightNodeError, ValidationError } from '@lightnode/shared/errors';
import { parseConfigOf, type ConfigOf } from '@lightnode/shared/config';
import { applyEnvOverrides as applyEnv } from '@lightnode/shared/config-env';
import type { Hex } from '@lightnode/shared/hex';
import type { StoreConfig } from './store/types.js';
import { BAL_CONFIG } from './config-schema.js';
import { clientIdAllowed, suffixedClientId } from './broker/client-id.js';
import { plaintextExposures } from './plaintext.js';

export const CONFIG_INVALID = 'CONFIG_INVALID';

/** The config file as validated (before paths are resolved and variants chosen). */
export type BalConfigFile = ConfigOf<typeof BAL_CONFIG.schema>;
/** The runtime config the BAL runs on (derived by `parseConfig`). */
export type BalConfig = ReturnType<typeof deriveConfig>;
export type ChainConfig = BalConfig['chain'];
export type BrokerConfig = BalConfig['broker'];
export type ApiClient = BalConfig['api']['clients'][number];
export type ApiRole = ApiClient['role'];
export interface TlsFiles { certPath: string; keyPath: string; caPath?: string }

/** The chain fields every variant may carry: the two accounts' keys and the SubscriptionRegistry. */
interface ChainKeys { anchorKeyPath?: string; anchorKey?: string; relayKeyPath?: string; relayKey?: string; subscriptionRegistry?: Hex; dataServerRegistry?: Hex; rpcTimeoutMs: number }

const fail = (field: string, expected: string, found: unknown): never => { throw new ValidationError(CONFIG_INVALID, field, expected, found); };

/** Cross-field rules and derived values (resolved paths, the chain/broker/store variants) of a schema-valid file. */
function deriveConfig(c: BalConfigFile, baseDir: string) {
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const tls = (t: { certPath: string; keyPath: string; caPath?: string | undefined } | null | undefined): TlsFiles | null =>
    (t ? { certPath: path(t.certPath), keyPath: path(t.keyPath), ...(t.caPath ? { caPath: path(t.caPath) } : {}) } : null);

  const ch = c.chain;
  const keyFields = {
    ...(ch.anchorKeyPath ? { anchorKeyPath: path(ch.anchorKeyPath) } : {}), ...(c.anchorKey ? { anchorKey: c.anchorKey } : {}),
    ...(ch.relayKeyPath ? { relayKeyPath: path(ch.relayKeyPath) } : {}), ...(c.relayKey ? { relayKey: c.relayKey } : {}),
    ...(ch.subscriptionRegistry ? { subscriptionRegistry: ch.subscriptionRegistry.toLowerCase() as Hex } : {}),
    ...(ch.dataServerRegistry ? { dataServerRegistry: ch.dataServerRegistry.toLowerCase() as Hex } : {}),
    rpcTimeoutMs: ch.rpcTimeoutMs,
  };
  let chain:
    | ({ kind: 'deployment'; deploymentPath: string; rpcUrl?: string } & ChainKeys)
    | ({ kind: 'direct'; rpcUrl: string; chainId: number; podRegistry: Hex; readingAnchor: Hex; deployBlock: number; deployBlockHash: Hex | null } & ChainKeys);
  if (ch.deploymentPath !== undefined) {
    for (const k of ['chainId', 'podRegistry', 'readingAnchor', 'deployBlock', 'deployBlockHash'] as const) if (ch[k] !== undefined) fail(`chain.${k}`, 'absent when chain.deploymentPath is given', ch[k]);
    chain = { kind: 'deployment', deploymentPath: path(ch.deploymentPath), ...(ch.rpcUrl ? { rpcUrl: ch.rpcUrl } : {}), ...keyFields };
  } else {
    chain = {
      kind: 'direct',
      rpcUrl: ch.rpcUrl ?? fail('chain.rpcUrl', 'http(s)/ws(s) URL (or chain.deploymentPath)', undefined),
      chainId: ch.chainId ?? fail('chain.chainId', 'integer 1..9007199254740991', undefined),
      podRegistry: (ch.podRegistry ?? fail('chain.podRegistry', 'address', undefined)).toLowerCase() as Hex,
      readingAnchor: (ch.readingAnchor ?? fail('chain.readingAnchor', 'address', undefined)).toLowerCase() as Hex,
      deployBlock: ch.deployBlock ?? 0, deployBlockHash: ch.deployBlockHash ? (ch.deployBlockHash.toLowerCase() as Hex) : null, ...keyFields,
    };
  }

  const instanceId = c.instanceId ?? `${hostname().replace(/[^A-Za-z0-9._:-]/g, '_').slice(0, 50)}-${process.pid}`;
  const shareGroup = c.ingest.shareGroup ?? null;
  const b = c.broker;
  let broker:
    | { kind: 'embedded'; host: string; port: number | null; tls: (TlsFiles & { port: number }) | null; credentialsPath: string | null; maxPayloadBytes: number }
    | { kind: 'external'; url: string; username: string; password: string | null; caPath?: string; clientId: string; clean: boolean; dynsec: { username: string; password: string } | null };
  if (b.kind === 'embedded') {
    // aedes has no `$share` (aedes#228): a shared group would silently give every instance every reading.
    if (shareGroup !== null) fail('ingest.shareGroup', 'null with the embedded broker (aedes has no shared subscriptions; use broker.kind external, Mosquitto)', shareGroup);
    const t = tls(b.tls);
    broker = {
      kind: 'embedded', host: b.host, port: b.port, tls: t && b.tls ? { ...t, port: b.tls.port } : null,
      credentialsPath: b.credentialsPath ? path(b.credentialsPath) : null, maxPayloadBytes: b.maxPayloadBytes,
    };
    if (broker.port === null && !broker.tls) fail('broker.port', 'a port, or broker.tls', null);
  } else {
    // Shared ingest (issue 16): every instance needs its own id (the same id would take the other's
    // session over) and a clean session (a dead member must leave the group at once, or Mosquitto
    // keeps queueing its share for it: reference/scale-out.md §1).
    const sharedId = suffixedClientId(b.username, instanceId);
    if (shareGroup !== null && b.clientId !== undefined && b.clientId !== sharedId) {
      fail('broker.clientId', `absent with ingest.shareGroup (the id is <broker.username>@<instanceId>, here ${sharedId})`, b.clientId);
    }
    const clientId = shareGroup !== null ? sharedId : b.clientId ?? suffixedClientId(b.username, process.pid);
    // The BAL's ids are reserved to its account (client-id.ts): another id could be a device's or a data user's.
    if (!clientIdAllowed('bal', b.username, clientId)) fail('broker.clientId', `broker.username (${b.username}) or ${b.username}@<suffix of [A-Za-z0-9._:-]>`, clientId);
    broker = {
      kind: 'external', url: b.url ?? fail('broker.url', 'mqtt(s):// or ws(s):// URL', undefined),
      username: b.username, password: b.password ?? null, clientId, clean: shareGroup !== null,
      dynsec: b.dynsecUsername ? { username: b.dynsecUsername, password: b.dynsecPassword ?? fail('broker.dynsecPassword', 'the password of broker.dynsecUsername', undefined) } : null,
      ...(b.caPath ? { caPath: path(b.caPath) } : {}),
    };
  }

  const s = c.store;
  const store: StoreConfig = s.kind === 'sqlite'
    ? { kind: 'sqlite', path: s.path === ':memory:' ? ':memory:' : path(s.path) }
    : { kind: 'postgres', url: s.url ?? fail('store.url', 'postgres:// URL', undefined), schema: s.schema, poolSize: s.poolSize,
      connectTimeoutMs: s.connectTimeoutMs, queryTimeoutMs: s.queryTimeoutMs };

  const names = new Set<string>();
  const clients = c.api.clients.map((x, n) => {
    const f = `api.clients[${n}]`;
    if (names.has(x.name)) fail(`${f}.name`, 'unique name', x.name);
    names.add(x.name);
    if (!x.apiKeyHash && !x.tokenHash) fail(`${f}.apiKeyHash`, 'apiKeyHash or tokenHash', undefined);
    return { name: x.name, role: x.role, ...(x.apiKeyHash ? { apiKeyHash: x.apiKeyHash } : {}), ...(x.tokenHash ? { tokenHash: x.tokenHash } : {}) };
  });
  const a = c.api;
  const api = { host: a.host, port: a.port, tls: tls(a.tls), clients, metricsPublic: a.metricsPublic, maxPageSize: a.maxPageSize };

  const d = c.dataAccess;
  const dataAccess = { ...d, walletKeyPath: path(d.walletKeyPath) };
  if (d.enabled && broker.kind === 'external' && !broker.dynsec) fail('broker.dynsecUsername', 'a Mosquitto dynamic-security admin account while dataAccess.enabled (the ACL must follow the decisions)', undefined);

  // S-BAP-01: nothing in clear off this machine unless the operator says so.
  if (!c.allowPlaintext) {
    const exposed = plaintextExposures({ broker, api });
    if (exposed.length) {
      const [first] = exposed;
      throw new LightNodeError(CONFIG_INVALID, `${first!.field}: expected TLS off loopback, or allowPlaintext: true; found ${exposed.map((e) => e.detail).join('; ')}`, { field: first!.field, exposed });
    }
  }

  const dashboard = { enabled: c.dashboard.enabled, offlineAfterMs: c.dashboard.offlineAfterMs, explorerBaseUrl: c.dashboard.explorerBaseUrl ?? null, eventHeartbeatMs: c.dashboard.eventHeartbeatMs };

  const retention = { ...c.retention, archiveDir: path(c.retention.archiveDir) };

  const roles = checkRoles(c.roles, 'roles');
  const an = c.anchoring;
  if (!(an.leaseRenewMs < an.leaseRenewDeadlineMs && an.leaseRenewDeadlineMs < an.leaseTtlMs)) {
    fail('anchoring.leaseRenewDeadlineMs', `between anchoring.leaseRenewMs (${an.leaseRenewMs}) and anchoring.leaseTtlMs (${an.leaseTtlMs}), exclusive`, an.leaseRenewDeadlineMs);
  }

  const ingest = { ...c.ingest, shareGroup, jetstream: jetstreamConfig(c.ingest.jetstream, path) };
  if (ingest.jetstream && broker.kind !== 'external') fail('broker.kind', "'external' with ingest.jetstream (the BAL's MQTT client connects to NATS's MQTT listener)", broker.kind);
  if (ingest.jetstream && shareGroup !== null) fail('ingest.shareGroup', 'null with ingest.jetstream (readings come from the JetStream consumer, not from an MQTT subscription)', shareGroup);

  return { baseDir, allowPlaintext: c.allowPlaintext, roles, instanceId, chain, broker, store, retention, anchoring: c.anchoring, ingest, registry: c.registry, api, dataAccess, dashboard, log: c.log };
}

/** The roles of `bal run` (cloud/README "Roles and the anchor lease"). */
export const BAL_ROLES = ['ingest', 'api', 'anchor'] as const;
export type BalRole = (typeof BAL_ROLES)[number];

/** At least one role, none twice. */
function checkRoles(list: readonly string[], field: string): readonly BalRole[] {
  if (list.length === 0) fail(field, `one or more of ${BAL_ROLES.join(', ')}`, '[]');
  for (const r of list) if (!(BAL_ROLES as readonly string[]).includes(r)) fail(field, `roles among ${BAL_ROLES.join(', ')}`, r);
  if (new Set(list).size !== list.length) fail(field, 'each role once', list.join(','));
  return list as readonly BalRole[];
}

/** `bal run --roles ingest,api`: the config with its roles replaced. */
export function withRoles(config: BalConfig, text: string): BalConfig {
  return { ...config, roles: checkRoles(text.split(',').map((r) => r.trim()).filter((r) => r !== ''), '--roles') };
}

/** Validate a parsed config object. `baseDir` anchors relative paths; `env` supplies the `BAL_*` overrides (secrets). */
export function parseConfig(raw: unknown, baseDir: string, env: Record<string, string | undefined> = {}): BalConfig {
  return deriveConfig(parseConfigOf(BAL_CONFIG, raw, env), baseDir);
}

/** Apply the `BAL_*` overrides (shared/src/config-env.ts) to a parsed, not yet validated config object. */
export function applyEnvOverrides(raw: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw; // parseConfig reports it
  return applyEnv(BAL_CONFIG.schema, BAL_CONFIG.envPrefix, raw as Record<string, unknown>, env);
}

/** Read, override from the environment, and validate the config file. */
export function loadConfig(file: string, env: Record<string, string | undefined> = process.env): BalConfig {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (err) { return fail('config', 'a readable file', `${file} (${(err as Error).message})`); }
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (err) { return fail('config', 'JSON', `${file}: ${(err as Error).message}`); }
  return parseConfig(raw, dirname(resolve(file)), env);
}

/** The runtime form of `ingest.jetstream` (null when absent): paths resolved, one password source. */
export interface JetStreamConfig {
  servers: string[]; stream: string; consumer: string; replicas: number; ackWaitMs: number; maxAckPending: number; nakDelayMs: number;
  username: string | null; password: string | null; passwordPath: string | null;
}

function jetstreamConfig(j: BalConfigFile['ingest']['jetstream'], path: (p: string) => string): JetStreamConfig | null {
  if (!j) return null;
  if (j.servers.length === 0) fail('ingest.jetstream.servers', 'at least one nats:// URL', j.servers);
  if (j.password !== undefined && j.passwordPath !== undefined) fail('ingest.jetstream.passwordPath', 'absent when ingest.jetstream.password is given', j.passwordPath);
  return {
    servers: [...j.servers], stream: j.stream, consumer: j.consumer, replicas: j.replicas, ackWaitMs: j.ackWaitMs, maxAckPending: j.maxAckPending, nakDelayMs: j.nakDelayMs,
    username: j.username ?? null, password: j.password ?? null, passwordPath: j.passwordPath ? path(j.passwordPath) : null,
  };
}
