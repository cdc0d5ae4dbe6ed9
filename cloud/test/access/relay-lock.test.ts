// Several API instances with data access send from the one relay account: their transactions
// must not pick the same nonce. Two "instances" (each its own PostgreSQL pool and its own relay
// Wallet over its own provider, one key) register topic providers at the same time on a real
// anvil: through the store's `withLock('relay')` every call lands; the store lock itself is
// exclusive across connections. Without it (shown first) concurrent sends collide.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Wallet } from 'ethers';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { jsonRpcProvider } from '@lightnode/contracts/connect';
import { subscriptionRegistryClient } from '@lightnode/contracts/subscriptions/client';
import type { Hex } from '@lightnode/shared/hex';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import type { BalStore } from '../../src/store/types.js';
import { createChainCertifier, serialisedCertifier } from '../../src/access/chain-certifier.js';
import type { DecisionCertifier } from '../../src/access/types.js';

const url = process.env.BAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bal_test_relay_${randomBytes(6).toString('hex')}`;
let chain: ChainFixture;
const stores: BalStore[] = [];
test.before(async () => { chain = await startChain(); });
test.after(async () => {
  for (const s of stores) await s.close().catch(() => {});
  await chain?.stop();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try { await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`); } finally { await c.end(); }
});

async function instance(locked: boolean): Promise<DecisionCertifier> {
  // wallets[0] holds TOPIC_ADMIN_ROLE in the fixture; each instance has its own Wallet and provider.
  const relay = new Wallet(chain.wallets[0]!.privateKey, jsonRpcProvider(chain.anvil.rpcUrl, chain.anvil.chainId));
  const certifier = await createChainCertifier(subscriptionRegistryClient(chain.deployment.subscriptionRegistry!, relay));
  if (!locked) return certifier;
  const store = await openPostgresStore({ url, schema, poolSize: 2 });
  stores.push(store);
  return serialisedCertifier(certifier, (fn) => store.withLock('relay', fn));
}

const provider = (n: number): Hex => `0x${(0x1000 + n).toString(16).padStart(40, '0')}` as Hex;
const topic = (tag: string, n: number): string => `certified/v1/IT001E${tag}${String(n).padStart(4, '0')}/readings`;

async function race(a: DecisionCertifier, b: DecisionCertifier, tag: string): Promise<PromiseSettledResult<unknown>[]> {
  const calls: Promise<unknown>[] = [];
  for (let i = 0; i < 4; i++) { calls.push(a.setTopicProvider(topic(tag, 2 * i), provider(2 * i))); calls.push(b.setTopicProvider(topic(tag, 2 * i + 1), provider(2 * i + 1))); }
  return Promise.allSettled(calls);
}

test('without the lock, concurrent relay sends of two instances collide', async () => {
  const res = await race(await instance(false), await instance(false), '10');
  const failed = res.filter((r) => r.status === 'rejected');
  process.stdout.write(`unlocked: ${failed.length} of ${res.length} sends failed (${failed.map((f) => String((f as PromiseRejectedResult).reason?.message ?? '').slice(0, 60))[0] ?? ''})\n`);
  assert.ok(failed.length > 0, 'nonces collide (this is what the lock is for)');
});

test('with the store lock, every send of both instances lands', async () => {
  const a = await instance(true);
  const b = await instance(true);
  const res = await race(a, b, '20');
  assert.equal(res.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)), []);
  const reader = subscriptionRegistryClient(chain.deployment.subscriptionRegistry!, chain.provider);
  for (let i = 0; i < 8; i++) assert.is((await reader.topicProviderOf(topic('20', i)))?.toLowerCase(), provider(i));
});

test('withLock is exclusive across store connections, and released after a failure', async () => {
  const s1 = await openPostgresStore({ url, schema, poolSize: 2 });
  const s2 = await openPostgresStore({ url, schema, poolSize: 2 });
  stores.push(s1, s2);
  const log: string[] = [];
  const job = (s: BalStore, tag: string) => s.withLock('job', async () => { log.push(`${tag}+`); await new Promise((r) => setTimeout(r, 50)); log.push(`${tag}-`); });
  await Promise.all([job(s1, 'a'), job(s2, 'b'), job(s1, 'c'), job(s2, 'd')]);
  for (let i = 0; i < log.length; i += 2) assert.is(log[i]!.slice(0, 1), log[i + 1]!.slice(0, 1), `no overlap: ${log.join(' ')}`);
  let thrown: unknown = null;
  try { await s1.withLock('job', async () => { throw new Error('boom'); }); } catch (err) { thrown = err; }
  assert.match(String(thrown), /boom/);
  const t0 = Date.now();
  await s2.withLock('job', async () => {});
  assert.ok(Date.now() - t0 < 2000, 'released after the failure');
});

test.run();
