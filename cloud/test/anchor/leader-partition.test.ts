// A leader cut off from PostgreSQL stops anchoring before its lease ends. Two anchor candidates on
// one PostgreSQL schema and a real anvil; the leader (a) reaches PostgreSQL through a TCP proxy
// (@lightnode/test-kit/tcp-proxy), the other (b) directly. While readings keep arriving and a
// anchors, the test black-holes a's proxy (a network partition: packets vanish, nothing is
// refused). Then: a stops counting itself leader at its renew deadline; no anchor transaction of
// a's is broadcast after that, nor after its lease's end; b takes over within 10 s of the cut,
// with the next epoch; anchors stay contiguous with every reading in exactly one anchor. The
// partition heals: a's timed-out connections are dropped (store.queryTimeoutMs) and it renews
// again as a follower. Timings are printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { JsonRpcProvider, Wallet, FetchRequest } from 'ethers';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { startTcpProxy, type TcpProxy } from '@lightnode/test-kit/tcp-proxy';
import { readingAnchorAt } from '@lightnode/contracts/connect';
import { makeDomain, readingDigest, signReading } from '@lightnode/shared/eip712';
import { bytesToHex, hexToBytes, type Hex } from '@lightnode/shared/hex';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import type { BalStore, LeaseGrant, StoredReadingInput } from '../../src/store/types.js';
import { silentLogger } from '../../src/log.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { systemClock } from '../../src/clock.js';
import { startAnchorer, type Anchorer } from '../../src/anchor/anchorer.js';
import { startLease, type Lease } from '../../src/anchor/lease.js';

const pgUrl = (host: string) => `postgres://postgres@${host}/test`;
const direct = process.env.BAL_TEST_PG_HOST ?? '127.0.0.1:5432';
const schema = `bal_test_cut_${randomBytes(6).toString('hex')}`;
const TIMING = { ttlMs: 5000, renewMs: 1500, renewDeadlineMs: 4000 };
const key = Wallet.createRandom();
let seq = 0;
let chain: ChainFixture;
let proxy: TcpProxy;
const cleanups: (() => Promise<void>)[] = [];

test.before(async () => {
  chain = await startChain();
  const [host, port] = direct.split(':');
  proxy = await startTcpProxy({ host: host!, port: Number(port) });
});
test.after(async () => {
  proxy?.cut('drop');
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await proxy?.close();
  await chain?.stop();
  const c = new pg.Client({ connectionString: pgUrl(direct) });
  await c.connect();
  try { await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`); } finally { await c.end(); }
});

function readings(n: number): StoredReadingInput[] {
  const domain = makeDomain(chain.deployment.chainId, chain.deployment.podRegistry);
  return Array.from({ length: n }, () => {
    const r = { pod: 'IT001E00000051', meter: 'm1', seq: seq++, timestamp: 1_763_776_000_000 + seq * 1000, source: 'modbus',
      values: [{ quantity: '1-0:1.8.0', value: 1000 + seq, scale: 0, unit: 'Wh' }] };
    return { reading: signReading(domain, r, hexToBytes(key.privateKey)), digest: bytesToHex(readingDigest(domain, r)), signer: key.address.toLowerCase() as Hex, receivedAtMs: Date.now() };
  });
}

/** A provider that notes when each anchor transaction is broadcast through it. */
class RecordingProvider extends JsonRpcProvider {
  readonly broadcasts: number[] = [];
  override async broadcastTransaction(signed: string) {
    this.broadcasts.push(Date.now());
    return super.broadcastTransaction(signed);
  }
}

interface Candidate { store: BalStore; lease: Lease; anchorer: Anchorer; provider: RecordingProvider; metrics: MetricsRegistry; grants: { sentAtMs: number; grant: LeaseGrant }[] }

async function candidate(name: string, host: string): Promise<Candidate> {
  const store = await openPostgresStore({ url: pgUrl(host), schema, poolSize: 3, connectTimeoutMs: 2000, queryTimeoutMs: 3000 });
  const grants: Candidate['grants'] = [];
  const recording: BalStore = new Proxy(store, {
    get(target, prop, recv) {
      if (prop !== 'acquireLease') return Reflect.get(target, prop, recv) as unknown;
      return async (...a: Parameters<BalStore['acquireLease']>) => {
        const sentAtMs = Date.now();
        const g = await target.acquireLease(...a);
        if (g) grants.push({ sentAtMs, grant: g });
        return g;
      };
    },
  });
  const metrics = new MetricsRegistry({ constLabels: { instance_id: name, roles: 'anchor' } });
  const lease = startLease({ store: recording, holder: name, clock: systemClock, log: silentLogger, metrics, timing: TIMING });
  const req = new FetchRequest(chain.anvil.rpcUrl);
  const provider = new RecordingProvider(req, chain.anvil.chainId, { staticNetwork: true, cacheTimeout: -1 });
  const anchorer = startAnchorer({ store, signer: new Wallet(ANVIL_PRIVATE_KEYS[0], provider), readingAnchor: chain.deployment.readingAnchor, metrics, log: silentLogger, lease,
    config: { pollIntervalMs: 100, windowMs: 200, maxLeaves: 4 } });
  cleanups.push(async () => { await anchorer.stop(); await lease.stop(); await store.close(); provider.destroy(); });
  return { store, lease, anchorer, provider, metrics, grants };
}

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('a leader black-holed from PostgreSQL stops before its lease ends; the other takes over within 10 s', async () => {
  const a = await candidate('bal-a', proxy.address);
  await until('a leads', () => a.lease.isLeader());
  const b = await candidate('bal-b', direct);
  // Readings keep arriving (through b's connection, like another ingest instance).
  let feeding = true;
  const feeder = (async () => { while (feeding) { await b.store.storeBatch(readings(2)); await new Promise((r) => setTimeout(r, 150)); } })();
  await until('a anchors', () => a.provider.broadcasts.length >= 3);
  assert.is(b.provider.broadcasts.length, 0, 'b follows');

  const cutAt = Date.now();
  proxy.cut('blackhole');
  const last = a.grants[a.grants.length - 1]!; // a's last successful renewal before the cut
  const aDeadline = last.sentAtMs + TIMING.renewDeadlineMs; // a's own stop time
  const aLeaseEnd = last.sentAtMs + TIMING.ttlMs; // its lease ends no earlier than this (the database stamped it after the send)
  let aStopped: number | null = null;
  await until('a stops counting itself leader', () => { if (!a.lease.isLeader()) aStopped = Date.now(); return aStopped !== null; }, 20_000);
  await until('b leads', () => b.lease.isLeader(), 20_000);
  const bLeads = Date.now();
  const takeover = b.grants.find((g) => g.grant.takenOver)!;
  await until('b anchors', () => b.provider.broadcasts.length >= 2, 30_000);
  const bFirst = b.provider.broadcasts[0]!;
  feeding = false;
  await feeder;
  const aAfterCut = a.provider.broadcasts.filter((t) => t >= cutAt);
  const aLast = a.provider.broadcasts[a.provider.broadcasts.length - 1]!;

  process.stdout.write([
    `cut at t=0; a's last renewal sent at ${last.sentAtMs - cutAt} ms`,
    `a stopped leading at ${aStopped! - cutAt} ms (its renew deadline: ${aDeadline - cutAt} ms; its lease ends >= ${aLeaseEnd - cutAt} ms)`,
    `a's last anchor broadcast at ${aLast - cutAt} ms (${aAfterCut.length} after the cut)`,
    `b led at ${bLeads - cutAt} ms (epoch ${takeover.grant.epoch}, a's ${last.grant.epoch}); b's first anchor broadcast at ${bFirst - cutAt} ms`,
  ].join('\n') + '\n');
  assert.ok(aStopped! <= aDeadline + 150, 'a stopped at its renew deadline');
  assert.ok(aStopped! < aLeaseEnd, 'a stopped before its lease ended');
  assert.ok(aLast < aDeadline, "no anchor transaction of a's after its renew deadline");
  assert.ok(takeover.grant.epoch === last.grant.epoch + 1, 'b took over with the next epoch');
  assert.ok(bLeads - cutAt <= 10_000, `b led within 10 s of the cut (${bLeads - cutAt} ms)`);
  assert.ok(takeover.sentAtMs >= aStopped!, 'never two leaders (b asked after a stopped)');

  // Heal: a's hung calls time out (queryTimeoutMs), its broken connections are dropped, and it
  // renews again — as a follower, b holding the lease.
  proxy.restore();
  const healedAt = Date.now();
  const renewed = a.grants.length;
  const errs = () => a.metrics.counter('bal_lease_renew_errors_total', '', ['lease']).get({ lease: 'anchor' });
  await until('a talks to PostgreSQL again', async () => { try { await a.store.ping(); return true; } catch { return false; } }, 30_000);
  process.stdout.write(`partition healed: a's store answers again after ${Date.now() - healedAt} ms (renew errors meanwhile: ${errs()})\n`);
  await new Promise((r) => setTimeout(r, 2 * TIMING.renewMs));
  assert.is(a.grants.length, renewed, 'a got no grant: b holds the lease');
  assert.not.ok(a.lease.isLeader());
  assert.ok(b.lease.isLeader());

  // Contiguous, every reading exactly once.
  await until('all anchored', async () => (await b.store.counts()).pending === 0 && (await b.store.unconfirmedAnchors()).length === 0, 60_000);
  const ra = readingAnchorAt(chain.deployment.readingAnchor, b.provider);
  const count = Number(await ra.getFunction('anchorCount')());
  const seen = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const rec = await b.store.anchorByIndex(i);
    assert.ok(rec && rec.status === 'confirmed', `anchor ${i} recorded and confirmed`);
    for (const r of await b.store.readingsOfAnchor(i)) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
  }
  assert.is(seen.size, (await b.store.counts()).readings, 'every reading anchored');
  assert.ok([...seen.values()].every((n) => n === 1), 'no reading in two anchors');
});

test.run();
