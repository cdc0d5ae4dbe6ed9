/**
 * The data-access service against the real SubscriptionRegistry on anvil (chain-certifier.ts over
 * the contracts client, the relay account holding TOPIC_ADMIN_ROLE), the embedded aedes broker
 * with its enforcer (real-parts.ts) and a SQLite file: custodial and bring-your-own decisions land on chain,
 * the DSO admin (DSO_ADMIN_ROLE) decides, a replayed signature is refused before relaying with
 * nothing changed, a contract refusal is BAL_ACCESS_CHAIN_REFUSED, and the seed's certification
 * reads back what the chain holds.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet } from 'ethers';
import { isLightNodeError } from '@lightnode/shared/errors';
import { certifiedTopic } from '@lightnode/shared/topics';
import type { Hex } from '@lightnode/shared/hex';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chainPerSuite, grantDsoAdmin } from '@lightnode/test-kit/chain';
import { subscriptionRegistryClient } from '@lightnode/contracts/subscriptions/client';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { createDataAccessService, type AccessUser, type DataAccessService } from '../../src/access/service.js';
import type { DecisionCertifier } from '../../src/access/types.js';
import type { BalStore } from '../../src/store/types.js';
import { TEST_SCRYPT, startAccessParts, type AccessParts } from './real-parts.js';

const chain = chainPerSuite(test);
const PW = 'correct horse battery';
const P1 = 'IT001E00000001';
const T1 = certifiedTopic(P1);
const BYO = new Wallet(`0x${'4d'.repeat(32)}`);
const dir = mkdtempSync(join(tmpdir(), 'bal-access-chain-'));
let store: BalStore;
let parts: AccessParts;
let certifier: DecisionCertifier;
let svc: DataAccessService;
const u: Record<string, AccessUser> = {};

async function refused(p: Promise<unknown>, code: string): Promise<void> {
  try { await p; } catch (err) { assert.ok(isLightNodeError(err, code as never), `${code}: ${String(err)}`); return; }
  assert.unreachable(`expected ${code}`);
}

test.before(async () => {
  const c = chain();
  store = openSqliteStore({ path: join(dir, 'bal.db') });
  parts = await startAccessParts(c);
  certifier = parts.certifier;
  // Anvil's blocks carry the host's time, so host-clock deadlines agree with the contract.
  const now = { now: () => Date.now() };
  svc = createDataAccessService({ store, certifier, enforcer: parts.enforcer, masterKey: new Uint8Array(32).fill(1), clock: now, metrics: new MetricsRegistry(), passwordParams: TEST_SCRYPT });
  parts.bind(svc);
  u.admin = await svc.createUser({ username: 'dso-admin', role: 'admin', password: PW });
  await grantDsoAdmin(c, u.admin.wallet);
  u.prod = await svc.createUser({ username: 'prod', role: 'producer', password: PW, pods: [P1] });
  u.cons = await svc.createUser({ username: 'cons', role: 'consumer', password: PW });
  u.byo = await svc.createUser({ username: 'byo', role: 'consumer', password: PW, wallet: BYO.address });
});
test.after(async () => { await parts?.close(); await store?.close(); rmSync(dir, { recursive: true, force: true }); });

test('custodial request, producer accept, admin revoke: recorded on chain with transaction and block', async () => {
  const client = subscriptionRegistryClient(chain().deployment.subscriptionRegistry!, chain().provider);
  assert.is(await client.topicProviderOf(T1), u.prod!.wallet);
  const r = await svc.request(u.cons!, T1);
  const a = await svc.decide(u.prod!, r.id, 'accept');
  assert.is(a.status, 'accepted');
  assert.ok(a.block! > 0);
  assert.ok(parts.broker.grants.has('cons', T1), 'the broker serves the accepted stream');
  const onChain = await client.subscriptionOf(u.prod!.wallet, u.cons!.wallet, T1);
  assert.is(onChain?.status, 'accepted');
  const c = await svc.certification(u.prod!.wallet, u.cons!.wallet, T1);
  assert.equal([c.status, c.transaction, c.block], ['accepted', a.transaction, a.block]);
  assert.is((await svc.decide(u.admin!, r.id, 'revoke')).status, 'revoked');
  assert.not.ok(parts.broker.grants.has('cons', T1));
  assert.equal((await svc.certifiedOfTopic(T1)).map((x) => [x.consumer, x.status]), [[u.cons!.wallet, 'revoked']]);
});

test('bring-your-own: signed typed data relayed; a replayed signature refused before the chain, nothing changed', async () => {
  const td = await svc.typedData(u.byo!, { topic: T1 }, 'request');
  const { EIP712Domain: _d, ...types } = td.typedData.types;
  const sig = await BYO.signTypedData(td.typedData.domain, types, td.typedData.message) as Hex;
  const r = await svc.request(u.byo!, T1, { signature: sig, deadline: td.deadline });
  assert.is(r.status, 'requested');
  await svc.decide(u.prod!, r.id, 'refuse');
  const nonce = await certifier.nonceOf(u.byo!.wallet);
  const subs = JSON.stringify(await store.listSubscriptions());
  await refused(svc.request(u.byo!, T1, { signature: sig, deadline: td.deadline }), 'BAL_ACCESS_SIGNATURE_INVALID');
  assert.is(await certifier.nonceOf(u.byo!.wallet), nonce);
  assert.is(JSON.stringify(await store.listSubscriptions()), subs);
});

test('a contract refusal is BAL_ACCESS_CHAIN_REFUSED naming the contract error', async () => {
  const d = { provider: u.prod!.wallet, consumer: u.cons!.wallet, topic: T1, status: 'accepted' as const, nonce: 0n, deadline: Math.floor(Date.now() / 1000) + 600 };
  const td = certifier.typedData(d);
  const { EIP712Domain: _d, ...types } = td.types;
  const sig = await Wallet.createRandom().signTypedData(td.domain, types, td.message) as Hex;
  try { await certifier.record(d, sig); assert.unreachable('refused'); } catch (err) {
    assert.ok(isLightNodeError(err, 'BAL_ACCESS_CHAIN_REFUSED'), String(err));
    assert.match(String(err.details.contractCode), /^CONTRACTS_SUBSCRIPTION_/);
  }
});

test.run();
