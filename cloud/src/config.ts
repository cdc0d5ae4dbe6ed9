/**
 * The BAL's one config file (DESIGN §8): JSON, validated at start, failing closed with the
 * field, what was expected and what was found (`CONFIG_INVALID`). Relative paths resolve
 * against the config file's folder. Environment overrides:
 * - `BAL_CONFIG__<section>__<field>[__<field>…]=<value>` sets any field (value parsed as JSON
 *   when it parses, else taken as a string), e.g. `BAL_CONFIG__api__port=9090`;
 * - secrets never need to sit in the file: `BAL_ANCHOR_KEY` (anchoring private key, hex),
 *   `BAL_BROKER_PASSWORD` (external broker password).
 * Every field, its unit and default: cloud/README.md "Configuration".
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ValidationError } from '@lightnode/shared/errors';
import { POD_RE } from '@lightnode/shared/reading';
import type { Hex } from '@lightnode/shared/hex';
import type { StoreConfig } from './store/types.js';
import type { LogLevel } from './log.js';

export const CONFIG_INVALID = 'CONFIG_INVALID';

export type ApiRole = 'dso' | 'consumer';

export interface TlsFiles { certPath: string; keyPath: string; caPath?: string }

export type ChainConfig =
  | { kind: 'deployment'; deploymentPath: string; rpcUrl?: string; anchorKeyPath?: string; anchorKey?: string }
  | { kind: 'direct'; rpcUrl: string; chainId: number; podRegistry: Hex; readingAnchor: Hex; deployBlock: number; anchorKeyPath?: string; anchorKey?: string };

export type BrokerConfig =
  | { kind: 'embedded'; host: string; port: number | null; tls: (TlsFiles & { port: number }) | null; credentialsPath: string | null; maxPayloadBytes: number }
  | { kind: 'external'; url: string; username: string; password: string | null; caPath?: string; clientId: string };

export interface ApiClient {
  name: string;
  role: ApiRole;
  /** PoDs a consumer may read (ignored for dso). */
  pods: string[];
  /** `sha256:<64 hex>` of the API key (header `X-API-Key`). */
  apiKeyHash?: string;
  /** `sha256:<64 hex>` of the bearer token (header `Authorization: Bearer …`). */
  tokenHash?: string;
}

export interface BalConfig {
  /** Folder relative paths were resolved against. */
  baseDir: string;
  chain: ChainConfig;
  broker: BrokerConfig;
  store: StoreConfig;
  anchoring: { enabled: boolean; windowMs: number; maxLeaves: number; confirmations: number; pollIntervalMs: number; rebroadcastMs: number };
  ingest: { futureSkewMs: number; maxInFlightBatches: number; verifyThreads: number };
  registry: { pollIntervalMs: number; maxBlockRange: number; confirmations: number };
  api: { host: string; port: number; tls: TlsFiles | null; clients: ApiClient[]; metricsPublic: boolean; maxPageSize: number };
  log: { level: LogLevel };
}

type Obj = Record<string, unknown>;

const fail = (field: string, expected: string, found: unknown): never => { throw new ValidationError(CONFIG_INVALID, field, expected, found); };

function obj(v: unknown, field: string, known: readonly string[]): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'object', v);
  for (const k of Object.keys(v as Obj)) if (!known.includes(k)) fail(`${field}.${k}`, `one of the known fields (${known.join(', ')})`, k);
  return v as Obj;
}
function optObj(v: unknown, field: string, known: readonly string[]): Obj { return v === undefined ? {} : obj(v, field, known); }
function int(o: Obj, k: string, field: string, def: number | undefined, min: number, max: number): number {
  const v = o[k] ?? def;
  if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max) fail(`${field}.${k}`, `integer ${min}..${max}`, v);
  return v as number;
}
function str(o: Obj, k: string, field: string, def?: string, re?: RegExp, expected = 'non-empty string'): string {
  const v = o[k] ?? def;
  if (typeof v !== 'string' || v.length === 0 || (re && !re.test(v))) fail(`${field}.${k}`, expected, v);
  return v as string;
}
function optStr(o: Obj, k: string, field: string, re?: RegExp, expected?: string): string | undefined {
  return o[k] === undefined ? undefined : str(o, k, field, undefined, re, expected);
}
function bool(o: Obj, k: string, field: string, def: boolean): boolean {
  const v = o[k] ?? def;
  if (typeof v !== 'boolean') fail(`${field}.${k}`, 'boolean', v);
  return v as boolean;
}
function oneOf<T extends string>(o: Obj, k: string, field: string, values: readonly T[], def?: T): T {
  const v = o[k] ?? def;
  if (!values.includes(v as T)) fail(`${field}.${k}`, values.map((x) => `'${x}'`).join(' | '), v);
  return v as T;
}

const PORT = 65535;
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const HASH_RE = /^sha256:[0-9a-f]{64}$/;
const URL_RE = /^(https?|wss?):\/\//;

function tls(v: unknown, field: string, path: (p: string) => string, withPort: boolean): (TlsFiles & { port?: number }) | null {
  if (v === undefined || v === null) return null;
  const o = obj(v, field, withPort ? ['certPath', 'keyPath', 'caPath', 'port'] : ['certPath', 'keyPath', 'caPath']);
  const out: TlsFiles & { port?: number } = { certPath: path(str(o, 'certPath', field)), keyPath: path(str(o, 'keyPath', field)) };
  const ca = optStr(o, 'caPath', field);
  if (ca) out.caPath = path(ca);
  if (withPort) out.port = int(o, 'port', field, 8883, 0, PORT);
  return out;
}

/** Validate a parsed config object. `baseDir` anchors relative paths; `env` supplies secrets. */
export function parseConfig(raw: unknown, baseDir: string, env: Record<string, string | undefined> = {}): BalConfig {
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const root = obj(raw, 'config', ['$schema', 'chain', 'broker', 'store', 'anchoring', 'ingest', 'registry', 'api', 'log']);

  // chain
  const c = obj(root.chain, 'chain', ['deploymentPath', 'rpcUrl', 'chainId', 'podRegistry', 'readingAnchor', 'deployBlock', 'anchorKeyPath']);
  const anchorKeyPath = optStr(c, 'anchorKeyPath', 'chain');
  const keyFields = { ...(anchorKeyPath ? { anchorKeyPath: path(anchorKeyPath) } : {}), ...(env.BAL_ANCHOR_KEY ? { anchorKey: env.BAL_ANCHOR_KEY } : {}) };
  let chain: ChainConfig;
  if (c.deploymentPath !== undefined) {
    for (const k of ['chainId', 'podRegistry', 'readingAnchor', 'deployBlock']) if (c[k] !== undefined) fail(`chain.${k}`, 'absent when chain.deploymentPath is given', c[k]);
    const rpcUrl = optStr(c, 'rpcUrl', 'chain', URL_RE, 'http(s)/ws(s) URL');
    chain = { kind: 'deployment', deploymentPath: path(str(c, 'deploymentPath', 'chain')), ...(rpcUrl ? { rpcUrl } : {}), ...keyFields };
  } else {
    chain = {
      kind: 'direct', rpcUrl: str(c, 'rpcUrl', 'chain', undefined, URL_RE, 'http(s)/ws(s) URL (or chain.deploymentPath)'),
      chainId: int(c, 'chainId', 'chain', undefined, 1, Number.MAX_SAFE_INTEGER),
      podRegistry: str(c, 'podRegistry', 'chain', undefined, ADDRESS_RE, 'address').toLowerCase() as Hex,
      readingAnchor: str(c, 'readingAnchor', 'chain', undefined, ADDRESS_RE, 'address').toLowerCase() as Hex,
      deployBlock: int(c, 'deployBlock', 'chain', 0, 0, Number.MAX_SAFE_INTEGER), ...keyFields,
    };
  }

  // broker
  const b = optObj(root.broker, 'broker', ['kind', 'host', 'port', 'tls', 'credentialsPath', 'maxPayloadBytes', 'url', 'username', 'password', 'caPath', 'clientId']);
  const bkind = oneOf(b, 'kind', 'broker', ['embedded', 'external'] as const, 'embedded');
  let broker: BrokerConfig;
  if (bkind === 'embedded') {
    const t = tls(b.tls, 'broker.tls', path, true);
    const cred = optStr(b, 'credentialsPath', 'broker');
    broker = {
      kind: 'embedded', host: str(b, 'host', 'broker', '127.0.0.1'),
      port: b.port === null ? null : int(b, 'port', 'broker', 1883, 0, PORT),
      tls: t ? { ...t, port: t.port! } : null, credentialsPath: cred ? path(cred) : null,
      maxPayloadBytes: int(b, 'maxPayloadBytes', 'broker', 2 * 1024 * 1024, 1024, 256 * 1024 * 1024),
    };
    if (broker.port === null && !broker.tls) fail('broker.port', 'a port, or broker.tls', null);
  } else {
    const ca = optStr(b, 'caPath', 'broker');
    const password = env.BAL_BROKER_PASSWORD ?? (b.password === undefined ? null : str(b, 'password', 'broker'));
    broker = {
      kind: 'external', url: str(b, 'url', 'broker', undefined, /^(mqtts?|wss?):\/\//, 'mqtt(s):// or ws(s):// URL'),
      username: str(b, 'username', 'broker', 'bal'), password, clientId: str(b, 'clientId', 'broker', `bal-${process.pid}`),
      ...(ca ? { caPath: path(ca) } : {}),
    };
  }

  // store
  const s = optObj(root.store, 'store', ['kind', 'path', 'url', 'schema', 'poolSize']);
  const skind = oneOf(s, 'kind', 'store', ['sqlite', 'postgres'] as const, 'sqlite');
  const store: StoreConfig = skind === 'sqlite'
    ? { kind: 'sqlite', path: s.path === ':memory:' ? ':memory:' : path(str(s, 'path', 'store', 'data/bal.db')) }
    : { kind: 'postgres', url: str(s, 'url', 'store', undefined, /^postgres(ql)?:\/\//, 'postgres:// URL'),
        schema: str(s, 'schema', 'store', 'public', /^[a-z_][a-z0-9_]{0,62}$/, 'lower-case SQL identifier'), poolSize: int(s, 'poolSize', 'store', 4, 1, 100) };

  const a = optObj(root.anchoring, 'anchoring', ['enabled', 'windowMs', 'maxLeaves', 'confirmations', 'pollIntervalMs', 'rebroadcastMs']);
  const anchoring = {
    enabled: bool(a, 'enabled', 'anchoring', true),
    windowMs: int(a, 'windowMs', 'anchoring', 60_000, 100, 86_400_000),
    maxLeaves: int(a, 'maxLeaves', 'anchoring', 10_000, 1, 1_000_000),
    confirmations: int(a, 'confirmations', 'anchoring', 1, 0, 1000),
    pollIntervalMs: int(a, 'pollIntervalMs', 'anchoring', 1000, 10, 600_000),
    rebroadcastMs: int(a, 'rebroadcastMs', 'anchoring', 30_000, 100, 3_600_000),
  };

  const i = optObj(root.ingest, 'ingest', ['futureSkewMs', 'maxInFlightBatches', 'verifyThreads']);
  const ingest = {
    futureSkewMs: int(i, 'futureSkewMs', 'ingest', 60_000, 0, 86_400_000),
    maxInFlightBatches: int(i, 'maxInFlightBatches', 'ingest', 64, 1, 10_000),
    verifyThreads: int(i, 'verifyThreads', 'ingest', 2, 0, 64),
  };

  const r = optObj(root.registry, 'registry', ['pollIntervalMs', 'maxBlockRange', 'confirmations']);
  const registry = {
    pollIntervalMs: int(r, 'pollIntervalMs', 'registry', 1000, 10, 600_000),
    maxBlockRange: int(r, 'maxBlockRange', 'registry', 5000, 1, 1_000_000),
    confirmations: int(r, 'confirmations', 'registry', 0, 0, 1000),
  };

  const p = optObj(root.api, 'api', ['host', 'port', 'tls', 'clients', 'metricsPublic', 'maxPageSize']);
  const clientsRaw = p.clients ?? [];
  if (!Array.isArray(clientsRaw)) fail('api.clients', 'array', clientsRaw);
  const names = new Set<string>();
  const clients = (clientsRaw as unknown[]).map((x, n): ApiClient => {
    const f = `api.clients[${n}]`;
    const o = obj(x, f, ['name', 'role', 'pods', 'apiKeyHash', 'tokenHash']);
    const name = str(o, 'name', f, undefined, /^[A-Za-z0-9._:-]{1,64}$/, 'name of [A-Za-z0-9._:-], 1..64');
    if (names.has(name)) fail(`${f}.name`, 'unique name', name);
    names.add(name);
    const role = oneOf(o, 'role', f, ['dso', 'consumer'] as const);
    const pods = o.pods ?? [];
    if (!Array.isArray(pods) || pods.some((q) => typeof q !== 'string' || !POD_RE.test(q))) fail(`${f}.pods`, 'array of PoD codes', pods);
    if (role === 'consumer' && (pods as string[]).length === 0) fail(`${f}.pods`, 'at least one PoD for a consumer', pods);
    const apiKeyHash = optStr(o, 'apiKeyHash', f, HASH_RE, 'sha256:<64 lower-case hex> (see `bal api-key`)');
    const tokenHash = optStr(o, 'tokenHash', f, HASH_RE, 'sha256:<64 lower-case hex> (see `bal api-key`)');
    if (!apiKeyHash && !tokenHash) fail(`${f}.apiKeyHash`, 'apiKeyHash or tokenHash', undefined);
    return { name, role, pods: pods as string[], ...(apiKeyHash ? { apiKeyHash } : {}), ...(tokenHash ? { tokenHash } : {}) };
  });
  const apiTls = tls(p.tls, 'api.tls', path, false);
  const api = {
    host: str(p, 'host', 'api', '127.0.0.1'), port: int(p, 'port', 'api', 8080, 0, PORT), tls: apiTls, clients,
    metricsPublic: bool(p, 'metricsPublic', 'api', true), maxPageSize: int(p, 'maxPageSize', 'api', 1000, 1, 1000),
  };

  const l = optObj(root.log, 'log', ['level']);
  const log = { level: oneOf(l, 'level', 'log', ['debug', 'info', 'warn', 'error'] as const, 'info') };

  return { baseDir, chain, broker, store, anchoring, ingest, registry, api, log };
}

/** Apply `BAL_CONFIG__a__b=value` overrides to a parsed (not yet validated) config object. */
export function applyEnvOverrides(raw: unknown, env: Record<string, string | undefined>): unknown {
  const out = structuredClone(raw) as Obj;
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('BAL_CONFIG__') || v === undefined) continue;
    const keys = k.slice('BAL_CONFIG__'.length).split('__').filter(Boolean);
    if (keys.length === 0 || keys.some((x) => x === '__proto__' || x === 'constructor' || x === 'prototype')) fail(k, 'BAL_CONFIG__<section>__<field>', k);
    let value: unknown;
    try { value = JSON.parse(v); } catch { value = v; }
    let cur: Obj = out;
    for (const key of keys.slice(0, -1)) {
      if (typeof cur[key] !== 'object' || cur[key] === null) cur[key] = {};
      cur = cur[key] as Obj;
    }
    cur[keys[keys.length - 1]!] = value;
  }
  return out;
}

/** Read, override from the environment, and validate the config file. */
export function loadConfig(file: string, env: Record<string, string | undefined> = process.env): BalConfig {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (err) { return fail('config', 'a readable file', `${file} (${(err as Error).message})`); }
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (err) { return fail('config', 'JSON', `${file}: ${(err as Error).message}`); }
  return parseConfig(applyEnvOverrides(raw, env), dirname(resolve(file)), env);
}
