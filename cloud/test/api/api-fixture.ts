/**
 * Fixture for the API tests: a SQLite store filled with really signed readings (EIP-712 with a
 * test key), one anchor recorded and confirmed, the API app on a free port, and a validator
 * that checks every response against the served OpenAPI document (ajv, JSON Schema 2020-12).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { bytesToHex } from '@lightnode/shared/hex';
import { buildMerkleTree } from '@lightnode/shared/merkle';
import { makeDomain, readingDigest, signReading, addressOf } from '@lightnode/shared/eip712';
import type { Reading } from '@lightnode/shared/reading';
import { createApiApp, type ApiDeps } from '../../src/api/app.js';
import { listenApi, type ApiServer } from '../../src/api/server.js';
import { OPENAPI_DOCUMENT } from '../../src/api/openapi.js';
import { secretHash } from '../../src/api/auth.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { MetricsRegistry } from '../../src/metrics.js';
import type { BalStore, StoredReadingInput } from '../../src/store/types.js';
import type { Hex } from '@lightnode/shared/hex';
import type { ApiClient } from '../../src/config.js';
import type { TlsFiles } from '../../src/config.js';
import type { DataAccessService } from '../../src/access/service.js';
import type { Logger } from '../../src/log.js';

export const POD_A = 'IT001E00000001';
export const POD_B = 'IT001E00000002';
export const DEPLOYMENT = { chainId: 31337, podRegistry: `0x${'12'.repeat(20)}` as Hex, readingAnchor: `0x${'34'.repeat(20)}` as Hex };
export const DOMAIN = makeDomain(DEPLOYMENT.chainId, DEPLOYMENT.podRegistry);
export const KEY_A = new Uint8Array(32).fill(7);
export const KEY_B = new Uint8Array(32).fill(9);
export const KEYS = { dso: 'dso-secret-key', dsoToken: 'dso-ops-token' };
export const CLIENTS: ApiClient[] = [
  { name: 'dso', role: 'dso', apiKeyHash: secretHash(KEYS.dso) },
  { name: 'dso-ops', role: 'dso', tokenHash: secretHash(KEYS.dsoToken) },
];
export const ANCHOR_TX = `0x${'ee'.repeat(32)}` as Hex;
export const BASE_TS = 1_763_000_000_000;

export function signed(pod: string, seq: number, key: Uint8Array): StoredReadingInput {
  const r: Reading = { pod, meter: 'main', seq, timestamp: BASE_TS + seq * 60_000, source: 'modbus', values: [{ quantity: '1-0:1.8.0', value: 1000 + seq, scale: 0, unit: 'Wh' }] };
  const s = signReading(DOMAIN, r, key);
  return { reading: s, digest: bytesToHex(readingDigest(DOMAIN, r)), signer: addressOf(key), receivedAtMs: BASE_TS + seq * 60_000 + 500 };
}

export interface Fixture { store: BalStore; api: ApiServer; metrics: MetricsRegistry; ids: { a: number[]; b: number[] }; close(): Promise<void> }

/** Store 6 readings of A and 4 of B, anchor A's first 4 + B's first 2 (confirmed, block 12). */
export async function startFixture(opts: {
  tls?: TlsFiles; health?: Record<string, () => Promise<string>>;
  /** Data access over the fixture's store (absent: the access routes answer 503). */
  access?: (store: BalStore, metrics: MetricsRegistry) => DataAccessService;
  log?: Logger;
  /** Dashboard and event stream (issue 12). */
  dashboard?: ApiDeps['dashboard'];
  events?: ApiDeps['events'];
} = {}): Promise<Fixture> {
  const store = openSqliteStore({ path: ':memory:' });
  const a = await store.storeBatch([1, 2, 3, 4, 5, 6].map((s) => signed(POD_A, s, KEY_A)));
  const b = await store.storeBatch([1, 2, 3, 4].map((s) => signed(POD_B, s, KEY_B)));
  const leafIds = [...a.ids.slice(0, 4), ...b.ids.slice(0, 2)];
  const leaves = await Promise.all(leafIds.map(async (id) => (await store.readingById(id))!.digest));
  const tree = buildMerkleTree(leaves.map((h) => Buffer.from(h.slice(2), 'hex')));
  await store.recordAnchor({ index: 0, root: tree.root, leafCount: leaves.length, fromMs: BASE_TS, toMs: BASE_TS + 10 * 60_000, prevHash: `0x${'00'.repeat(32)}` }, leafIds, { transaction: ANCHOR_TX, blockNumber: null });
  await store.confirmAnchor(ANCHOR_TX, { blockNumber: 12 });
  const metrics = new MetricsRegistry();
  const access = opts.access?.(store, metrics);
  const app = createApiApp({ store, deployment: DEPLOYMENT, clients: CLIENTS, metrics, ...(opts.health ? { health: opts.health } : {}), ...(access ? { access } : {}), ...(opts.log ? { log: opts.log } : {}),
    ...(opts.dashboard ? { dashboard: opts.dashboard } : {}), ...(opts.events ? { events: opts.events } : {}) });
  const api = await listenApi(app, { host: '127.0.0.1', port: 0, tls: opts.tls ?? null, metrics });
  return { store, api, metrics, ids: { a: a.ids, b: b.ids }, async close() { await api.close(); await store.close(); } };
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

/** Validates responses against the OpenAPI document's response schemas. */
export class OpenApiValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  constructor(doc: object = OPENAPI_DOCUMENT) {
    addFormats(this.ajv);
    this.ajv.addSchema(doc as object, 'openapi');
  }

  /** Throws unless `status` is documented for the route's `method` and `body` matches its schema. */
  check(route: string, status: number, body: unknown, method: 'get' | 'post' | 'put' | 'patch' = 'get'): void {
    const doc = OPENAPI_DOCUMENT as unknown as { paths: Record<string, Record<string, { responses: Record<string, { $ref?: string; content?: Record<string, unknown> }> }>> };
    const op = doc.paths[route]?.[method];
    if (!op) throw new Error(`${method.toUpperCase()} ${route} not in the OpenAPI document`);
    const resp = op.responses[String(status)];
    if (!resp) throw new Error(`status ${status} not documented for ${method.toUpperCase()} ${route}`);
    if (!resp.$ref && !resp.content) {
      if (body !== '' && body !== undefined) throw new Error(`${method.toUpperCase()} ${route} ${status}: documented without a body, got ${JSON.stringify(body).slice(0, 200)}`);
      return;
    }
    const esc = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');
    const ptr = resp.$ref
      ? `${resp.$ref}/content/application~1json/schema`
      : `#/paths/${esc(route)}/${method}/responses/${status}/content/application~1json/schema`;
    const validate = this.ajv.compile({ $ref: `openapi${ptr}` });
    if (!validate(body)) throw new Error(`${method.toUpperCase()} ${route} ${status}: response does not match the schema: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
  }
}
