// Issue 17 defects 3 and 4, through the real BAL (startBal) on real anvil processes:
// - a chain reset (anvil restarted empty on the same port) is reported by /healthz as
//   `chain: mismatch`, anchoring pauses with one BAL_CHAIN_MISMATCH line and a metric (not one
//   failure per pass), and resumes by itself when the original chain (anvil's dumped state, same
//   contracts and block hashes) is back;
// - a hung RPC (anvil under SIGSTOP) fails chain calls with BAL_CHAIN_TIMEOUT after
//   chain.rpcTimeoutMs, counted in the anchoring and registry error metrics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS, freePort, startAnvil, type AnvilHandle } from '@lightnode/contracts/anvil';
import { buildArtifacts } from '@lightnode/contracts/build';
import { jsonRpcProvider, readingAnchorAt } from '@lightnode/contracts/connect';
import { deployAll, writeDeployment, type Deployment } from '@lightnode/contracts/deploy';
import { makeDomain, readingDigest, signReading } from '@lightnode/shared/eip712';
import { bytesToHex, hexToBytes, type Hex } from '@lightnode/shared/hex';
import { parseConfig } from '../../src/config.js';
import { startBal, type RunningBal } from '../../src/bal.js';
import { createLogger } from '../../src/log.js';
import type { StoredReadingInput } from '../../src/store/types.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-chain-id-'));
const statePath = join(dir, 'anvil-state.json');
const key = Wallet.createRandom();
let port = 0;
let anvil: AnvilHandle | null = null;
let dep: Deployment;
let bal: RunningBal | null = null;
const lines: { level: string; msg: string; err?: { code: string; message: string } }[] = [];
let seq = 0;

test.after(async () => {
  if (anvil) { try { process.kill(anvil.pid, 'SIGCONT'); } catch { /* gone */ } }
  await bal?.stop();
  await anvil?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function readings(n: number): StoredReadingInput[] {
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  return Array.from({ length: n }, () => {
    const r = { pod: 'IT001E00000017', meter: 'm1', seq: seq++, timestamp: 1_763_776_000_000 + seq * 1000, source: 'modbus',
      values: [{ quantity: '1-0:1.8.0', value: 1000 + seq, scale: 0, unit: 'Wh' }] };
    return { reading: signReading(domain, r, hexToBytes(key.privateKey)), digest: bytesToHex(readingDigest(domain, r)), signer: key.address.toLowerCase() as Hex, receivedAtMs: Date.now() };
  });
}

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function healthz(): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  const r = await fetch(`${bal!.endpoints.api}/healthz`);
  return { status: r.status, body: await r.json() as { status: string; checks: Record<string, string> } };
}

// A BAL's series carry its instance_id and roles labels (cloud/README "Roles and the anchor lease").
const metric = (name: string): number => {
  const line = bal!.metrics.render().split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
};
const coded = (code: string): number => lines.filter((l) => l.err?.code === code).length;
const confirmed = async (): Promise<number> => (await bal!.store.listReadings({ status: 'confirmed', limit: 1000 })).items.length;
const pending = async (): Promise<number> => (await bal!.store.counts()).pending;

async function anchorsOnChain(): Promise<number> {
  const p = jsonRpcProvider(anvil!.rpcUrl, anvil!.chainId);
  try { return Number(await readingAnchorAt(dep.readingAnchor, p).getFunction('anchorCount')()); } finally { p.destroy(); }
}

test('a reset chain is a mismatch: anchoring pauses with one coded error and resumes on the original chain', async () => {
  buildArtifacts({ quiet: true });
  port = await freePort();
  anvil = await startAnvil({ port, args: ['--dump-state', statePath] });
  const provider = jsonRpcProvider(anvil.rpcUrl, anvil.chainId);
  dep = await deployAll(new Wallet(ANVIL_PRIVATE_KEYS[0], provider), { rpcUrl: anvil.rpcUrl });
  provider.destroy();
  assert.match(dep.deployBlockHash ?? '', /^0x[0-9a-f]{64}$/, 'the deployment file carries the deploy block hash');
  const deploymentPath = join(dir, 'deployment.json');
  writeDeployment(deploymentPath, dep);

  const config = parseConfig({
    chain: { deploymentPath, rpcTimeoutMs: 1000 },
    broker: { kind: 'embedded', port: 0 },
    store: { kind: 'sqlite', path: join(dir, 'bal.db') },
    anchoring: { windowMs: 100, pollIntervalMs: 100, confirmations: 1 },
    registry: { pollIntervalMs: 200 },
    ingest: { verifyThreads: 1 },
    api: { port: 0 },
  }, dir, { BAL_ANCHOR_KEY: ANVIL_PRIVATE_KEYS[0] });
  const log = createLogger({ level: 'info', write: (l) => { lines.push(JSON.parse(l)); } });
  bal = await startBal(config, { log });

  // The right chain: anchored, healthy.
  await bal.store.storeBatch(readings(3));
  await until('first readings anchored', async () => await confirmed() === 3);
  assert.equal((await healthz()).body.checks.chain, 'ok');
  assert.is(await anchorsOnChain(), 1);

  // Reset: anvil stops (dumping its state) and a fresh, empty one starts on the same port.
  await anvil.stop();
  assert.ok(existsSync(statePath), 'anvil dumped its state');
  anvil = await startAnvil({ port });
  await bal.store.storeBatch(readings(2));
  await until('healthz reports the mismatch', async () => (await healthz()).body.checks.chain === 'mismatch');
  const h = await healthz();
  assert.is(h.status, 503);
  assert.is(h.body.status, 'degraded');
  const skippedBefore = bal.metrics.counter('bal_anchor_skipped_passes_total', '', ['reason']).get({ reason: 'chain_mismatch' });
  await until('several anchoring passes skipped', () => bal!.metrics.counter('bal_anchor_skipped_passes_total', '', ['reason']).get({ reason: 'chain_mismatch' }) >= skippedBefore + 5);
  const chainErrors = metric('bal_anchor_chain_errors_total');
  await until('more passes skipped', () => bal!.metrics.counter('bal_anchor_skipped_passes_total', '', ['reason']).get({ reason: 'chain_mismatch' }) >= skippedBefore + 10);
  assert.is(metric('bal_anchor_chain_errors_total'), chainErrors, 'no failing pass (BAD_DATA on the empty chain) while paused');
  assert.is(metric('bal_chain_mismatch'), 1);
  assert.is(metric('bal_chain_mismatch_total'), 1);
  assert.is(coded('BAL_CHAIN_MISMATCH'), 1, 'the mismatch is logged once, not once per pass');
  assert.match(lines.find((l) => l.err?.code === 'BAL_CHAIN_MISMATCH')!.err!.message, /no block|deploy block|code/);
  assert.is(await pending(), 2, 'the new readings wait');
  assert.is(await anchorsOnChain().catch(() => -1), -1, 'nothing was sent to the empty chain (no ReadingAnchor there)');

  // The original chain is back (its dumped state: same contracts, same block hashes).
  await anvil.stop();
  anvil = await startAnvil({ port, args: ['--load-state', statePath] });
  await until('anchoring resumes', async () => await confirmed() === 5);
  assert.equal((await healthz()).body.checks.chain, 'ok');
  assert.is(metric('bal_chain_mismatch'), 0);
  assert.is(coded('BAL_CHAIN_MISMATCH'), 1);
  assert.is(lines.filter((l) => /anchoring resumes/.test(l.msg)).length, 1);
  assert.is(await anchorsOnChain(), 2, 'the second anchor chained on the original chain');
});

test('a hung RPC (SIGSTOP) fails chain calls with BAL_CHAIN_TIMEOUT, counted; SIGCONT recovers', async () => {
  assert.ok(bal && anvil, 'runs after the first test');
  const anchorErrors = metric('bal_anchor_chain_errors_total');
  const pollErrors = metric('bal_registry_poll_errors_total');
  const timeouts = bal!.metrics.counter('bal_chain_timeouts_total', '', ['component']);
  assert.is(timeouts.get({ component: 'anchor' }), 0);
  process.kill(anvil!.pid, 'SIGSTOP');
  try {
    await bal!.store.storeBatch(readings(2));
    await until('timeouts counted', () => timeouts.get({ component: 'anchor' }) >= 2 && timeouts.get({ component: 'registry' }) >= 1);
    assert.ok(metric('bal_anchor_chain_errors_total') >= anchorErrors + 2, 'anchoring timeouts are chain errors');
    assert.ok(metric('bal_registry_poll_errors_total') >= pollErrors + 1, 'registry poll timeouts are poll errors');
    assert.ok(coded('BAL_CHAIN_TIMEOUT') >= 3, 'logged with their code');
    assert.is(await pending(), 2);
    const h = await healthz();
    assert.is(h.status, 503);
    assert.is.not(h.body.checks.chain, 'ok');
  } finally {
    process.kill(anvil!.pid, 'SIGCONT');
  }
  await until('anchored after SIGCONT', async () => await confirmed() === 7);
  assert.equal((await healthz()).body.checks.chain, 'ok');
});

test.run();
