// Stateless API instances, the live view: an `api`-only BAL and an `ingest`+`anchor` BAL on one
// PostgreSQL schema (and a real anvil). The api instance stores and anchors nothing itself; its
// dashboard stream (GET /api/events) still shows the readings the other instance stored, their
// node's row, a status change, and the anchor the other confirmed — fed from the store
// (events/store-feed.ts). Nothing from before the stream's feed started is replayed. A ticket
// issued by one api instance opens the stream on another, once.
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
import { secretHash } from '../../src/api/auth.js';

const url = process.env.BAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bal_test_feed_${randomBytes(6).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'bal-feed-'));
const KEY = 'dso-feed-key';
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

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
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
    anchoring: { windowMs: 300, pollIntervalMs: 100 },
    ingest: { verifyThreads: 0 },
    api: { port: 0, clients: [{ name: 'dso', role: 'dso', apiKeyHash: secretHash(KEY) }] },
    dashboard: { enabled: true, eventHeartbeatMs: 1000 },
  }, dir, { BAL_ANCHOR_KEY: ANVIL_PRIVATE_KEYS[0] });
  const b = await startBal(config, { log: silentLogger });
  bals.push(b);
  return b;
}

type Ev = { type: string; data: any; atMs: number };
async function ticketOf(api: string): Promise<string> {
  return (await (await fetch(`${api}/api/events/ticket`, { method: 'POST', headers: { 'x-api-key': KEY } })).json() as { ticket: string }).ticket;
}

async function stream(api: string, ticketFrom = api): Promise<{ events: Ev[]; stop(): void }> {
  const ticket = await ticketOf(ticketFrom);
  const ctl = new AbortController();
  const res = await fetch(`${api}/api/events?ticket=${ticket}`, { signal: ctl.signal });
  assert.is(res.status, 200);
  const events: Ev[] = [];
  void (async () => {
    let buf = '';
    const dec = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += dec.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i); buf = buf.slice(i + 2);
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (type && data) events.push({ type, data: JSON.parse(data), atMs: Date.now() });
        }
      }
    } catch { /* aborted */ }
  })();
  return { events, stop: () => ctl.abort() };
}

test('an api-only instance streams readings, node changes and anchors that another instance stored and confirmed', async () => {
  const work = await bal('bal-work-1', ['ingest', 'anchor']);
  const domain = makeDomain(chain.deployment.chainId, chain.deployment.podRegistry);
  const key = Wallet.createRandom();
  const signer = key.address.toLowerCase() as Hex;
  const input = (pod: string, seq: number) => {
    const r = { pod, meter: 'm1', seq, timestamp: 1_763_776_000_000 + seq * 1000, source: 'modbus', values: [{ quantity: '1-0:1.8.0', value: 100 + seq, scale: 0, unit: 'Wh' }] };
    return { reading: signReading(domain, r, hexToBytes(key.privateKey)), digest: bytesToHex(readingDigest(domain, r)), signer, receivedAtMs: Date.now() };
  };
  // Before the api instance starts: stored and anchored, never replayed on its stream.
  await work.store.storeBatch([input('IT001E00000041', 0)]);
  await until('the first reading confirmed', async () => (await work.store.listReadings({ status: 'confirmed', limit: 10 })).items.length === 1);

  const api = await bal('bal-api-1', ['api']);
  assert.is(api.ingest, null);
  assert.is(api.anchorer, null);
  const s = await stream(api.endpoints.api);
  await until('hello', () => s.events.some((e) => e.type === 'hello'));

  const storedAt = Date.now();
  const res = await work.store.storeBatch([input('IT001E00000042', 1), input('IT001E00000042', 2)]);
  const ids = res.ids;
  await until('the readings on the api stream', () => s.events.some((e) => e.type === 'readings'));
  const readingsEv = s.events.find((e) => e.type === 'readings')!;
  const readingLatency = readingsEv.atMs - storedAt;
  assert.is(readingsEv.data.pod, 'IT001E00000042');
  assert.equal(readingsEv.data.readings.map((r: { id: number }) => r.id), ids);
  assert.equal(readingsEv.data.readings.map((r: { seq: number }) => r.seq), [1, 2]);
  assert.is(readingsEv.data.readings[0].signer, signer);
  await until('the node row', () => s.events.some((e) => e.type === 'node' && e.data.pod === 'IT001E00000042'));

  const statusAt = Date.now();
  await work.store.recordNodeStatus({ pod: 'IT001E00000043', device: signer, state: 'online', ts: Date.now(), lastSeq: 0, spoolDepth: 3, quarantined: 0, agentVersion: '0.1.0' }, Date.now());
  await until('the status change', () => s.events.some((e) => e.type === 'node' && e.data.pod === 'IT001E00000043'));
  const nodeLatency = s.events.find((e) => e.type === 'node' && e.data.pod === 'IT001E00000043')!.atMs - statusAt;
  assert.is(s.events.find((e) => e.type === 'node' && e.data.pod === 'IT001E00000043')!.data.spoolDepth, 3);

  await until('the anchor on the api stream', () => s.events.some((e) => e.type === 'anchor'));
  const anchors = s.events.filter((e) => e.type === 'anchor');
  const rec = (await work.store.anchorByIndex(anchors[0]!.data.index))!;
  assert.is(rec.status, 'confirmed');
  assert.is(anchors[0]!.data.index, 1, 'anchor 0 (before the api instance started) not replayed');
  assert.is(anchors[0]!.data.transaction, rec.transaction);
  const confirmedReadings = await work.store.readingsOfAnchor(1);
  assert.equal(confirmedReadings.map((r) => r.id), ids);
  assert.is(s.events.filter((e) => e.type === 'readings').length, 1, 'each reading once');
  assert.not.ok(s.events.some((e) => e.type === 'readings' && e.data.pod === 'IT001E00000041'), 'nothing from before');
  process.stdout.write(`live feed on the api instance: readings after ${readingLatency} ms, a status change after ${nodeLatency} ms (poll 1000 ms)\n`);
  assert.match(api.metrics.render(), /bal_events_feed_events_total\{instance_id="bal-api-1",roles="api",type="anchor"\} 1/);
  s.stop();
});

test('a ticket from one api instance opens the stream on another (tickets live in the store), once', async () => {
  const api1 = bals.find((b) => b.instance.id === 'bal-api-1')!;
  const api2 = await bal('bal-api-2', ['api']);
  const s = await stream(api2.endpoints.api, api1.endpoints.api);
  await until('hello on api-2', () => s.events.some((e) => e.type === 'hello'));
  assert.equal(s.events.find((e) => e.type === 'hello')!.data, { user: 'dso', role: 'dso', pods: null });
  const t = await ticketOf(api2.endpoints.api);
  const first = await fetch(`${api1.endpoints.api}/api/events?ticket=${t}`);
  assert.is(first.status, 200);
  await first.body?.cancel();
  const again = await fetch(`${api2.endpoints.api}/api/events?ticket=${t}`);
  assert.is(again.status, 401, 'used on api-1: refused on api-2');
  assert.is((await again.json() as { code: string }).code, 'BAL_API_EVENT_TICKET_INVALID');
  s.stop();
});

test.run();
