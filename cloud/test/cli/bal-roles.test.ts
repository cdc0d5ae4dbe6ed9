// Roles in one binary: two BAL instances on one PostgreSQL schema, one `ingest` only, one
// `api` + `anchor`. The ingest instance serves only /healthz and /metrics and never anchors; the
// other consumes nothing, serves the REST API, leads the anchor lease and anchors what the first
// stored. /healthz names instance, roles and leadership; every metric carries instance_id and roles.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { writeDeployment } from '@lightnode/contracts/deploy';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { makeDomain, readingDigest, signReading } from '@lightnode/shared/eip712';
import { bytesToHex, hexToBytes, type Hex } from '@lightnode/shared/hex';
import { parseConfig } from '../../src/config.js';
import { startBal, type RunningBal } from '../../src/bal.js';
import { silentLogger } from '../../src/log.js';

const url = process.env.BAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bal_test_roles_${randomBytes(6).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'bal-roles-'));
let chain: ChainFixture;
const bals: RunningBal[] = [];

test.before(async () => { chain = await startChain(); });
test.after(async () => {
  for (const b of bals.reverse()) await b.stop().catch(() => {});
  await chain?.stop();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try { await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`); } finally { await c.end(); }
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function bal(instanceId: string, roles: string[]): Promise<RunningBal> {
  const deploymentPath = join(dir, 'deployment.json');
  writeDeployment(deploymentPath, chain.deployment);
  const config = parseConfig({
    roles, instanceId,
    chain: { deploymentPath },
    broker: { kind: 'embedded', port: 0 },
    store: { kind: 'postgres', url, schema, poolSize: 2 },
    anchoring: { windowMs: 100, pollIntervalMs: 100 },
    ingest: { verifyThreads: 0 },
    api: { port: 0 },
    dashboard: { enabled: false },
  }, dir, { BAL_ANCHOR_KEY: ANVIL_PRIVATE_KEYS[0] });
  const b = await startBal(config, { log: silentLogger });
  bals.push(b);
  return b;
}

test('an ingest-only and an api+anchor instance share one store; each does only its part', async () => {
  const ing = await bal('bal-ingest-1', ['ingest']);
  const api = await bal('bal-api-1', ['api', 'anchor']);
  assert.ok(ing.ingest, 'ingest instance consumes');
  assert.is(ing.anchorer, null, 'ingest instance never anchors');
  assert.is(ing.lease, null);
  assert.is(api.ingest, null, 'api+anchor instance consumes nothing');
  assert.ok(api.anchorer);

  // ingest-only: health and metrics only.
  const h1 = await (await fetch(`${ing.endpoints.api}/healthz`)).json() as { status: string; instance: unknown };
  assert.is(h1.status, 'ok');
  assert.equal(h1.instance, { id: 'bal-ingest-1', roles: ['ingest'] });
  const nodes = await fetch(`${ing.endpoints.api}/api/nodes`);
  assert.is(nodes.status, 404);
  assert.is((await nodes.json() as { code: string }).code, 'BAL_API_NOT_FOUND');
  assert.match(await (await fetch(`${ing.endpoints.api}/metrics`)).text(), /bal_store_readings\{instance_id="bal-ingest-1",roles="ingest"\} \d+/);

  // api+anchor: leads the lease, serves the API, anchors what the ingest instance stored.
  await until('the anchor instance leads', () => api.lease!.isLeader());
  const h2 = await (await fetch(`${api.endpoints.api}/healthz`)).json() as { instance: unknown };
  assert.equal(h2.instance, { id: 'bal-api-1', roles: ['api', 'anchor'], anchor: { role: 'leader', epoch: 1 } });
  const domain = makeDomain(chain.deployment.chainId, chain.deployment.podRegistry);
  const key = Wallet.createRandom();
  const inputs = [0, 1, 2].map((seq) => {
    const r = { pod: 'IT001E00000031', meter: 'm1', seq, timestamp: 1_763_776_000_000 + seq * 1000, source: 'modbus', values: [{ quantity: '1-0:1.8.0', value: seq, scale: 0, unit: 'Wh' }] };
    return { reading: signReading(domain, r, hexToBytes(key.privateKey)), digest: bytesToHex(readingDigest(domain, r)), signer: key.address.toLowerCase() as Hex, receivedAtMs: Date.now() };
  });
  await ing.store.storeBatch(inputs);
  await until('anchored and confirmed', async () => (await ing.store.listReadings({ status: 'confirmed', limit: 10 })).items.length === 3);
  const list = await fetch(`${api.endpoints.api}/api/nodes`);
  assert.is(list.status, 401, 'the api instance serves the REST API (credentials needed)');
  assert.match(api.metrics.render(), /bal_anchor_sent_total\{instance_id="bal-api-1",roles="api,anchor"\} [1-9]/);
});

test.run();
