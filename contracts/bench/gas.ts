// Gas figures of the contracts on a local anvil: per anchor, per registration (single and per PoD in
// a batch of 100), per rotation/revocation, per on-chain verifyReading (estimateGas), and per
// SubscriptionRegistry.record (a first request, an accept, a re-request). Baseline
// measured in the same run: a plain 21,000-gas transfer and a trivial view call.
// Usage: pnpm --filter @lightnode/contracts bench   (prints a table and one JSON line)
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import { TypedDataEncoder, Wallet, getAddress, hexlify, randomBytes, type Contract, type TransactionReceipt } from 'ethers';
import { ANVIL_PRIVATE_KEYS, startAnvil } from '../src/anvil.js';
import { buildArtifacts } from '../src/build.js';
import { jsonRpcProvider, podRegistryAt, readingAnchorAt, subscriptionRegistryAt } from '../src/connect.js';
import { deployAll } from '../src/deploy.js';
import { READING_TYPES } from '../test/helpers/readings.js'; // shared's EIP-712 types, in ethers' mutable form
import { DECISION_TYPES } from '../test/helpers/decisions.js';
import { subscriptionDomain } from '../src/subscriptions/decision.js';

const QUANTITIES = ['1-0:1.8.0', '1-0:2.8.0', '1-0:1.7.0', '1-0:2.7.0', '1-0:32.7.0', '1-0:31.7.0', '1-0:14.7.0', '1-0:3.8.0'];

async function mined(p: Promise<unknown>): Promise<TransactionReceipt> {
  const tx = (await p) as { wait(): Promise<TransactionReceipt | null> };
  const rc = await tx.wait();
  if (!rc || rc.status !== 1) throw new Error('transaction failed');
  return rc;
}
const randomAddress = (): string => getAddress(hexlify(randomBytes(20)));
const pod = (i: number): string => `IT${String(100 + (i % 900)).padStart(3, '0')}E${String(20_000_000 + i).padStart(8, '0')}`;
const mean = (xs: bigint[]): number => Number(xs.reduce((a, b) => a + b, 0n)) / xs.length;

async function main(): Promise<void> {
  buildArtifacts({ quiet: true });
  const anvil = await startAnvil();
  try {
    const provider = jsonRpcProvider(anvil.rpcUrl, anvil.chainId);
    const admin = new Wallet(ANVIL_PRIVATE_KEYS[0], provider);
    const d = await deployAll(admin);
    const registry: Contract = podRegistryAt(d.podRegistry, admin);
    const anchor: Contract = readingAnchorAt(d.readingAnchor, admin);
    const deployGas = {
      podRegistry: Number((await provider.getTransactionReceipt((await provider.getBlock(d.deployBlock))!.transactions[0]!))!.gasUsed),
      readingAnchor: Number((await provider.getTransactionReceipt((await provider.getBlock(d.deployBlock + 1))!.transactions[0]!))!.gasUsed),
    };

    // Baseline: a plain transfer (21,000 by protocol) and the call overhead of a trivial view.
    const transfer = Number((await mined(admin.sendTransaction({ to: randomAddress(), value: 1n }))).gasUsed);
    const viewBaseline = Number(await anchor.getFunction('anchorCount').estimateGas());

    // Registration: 20 single registrations, then a batch of 100.
    const single: bigint[] = [];
    for (let i = 0; i < 20; i++) single.push((await mined(registry.getFunction('register')(pod(i), randomAddress()))).gasUsed);
    const batchPods = Array.from({ length: 100 }, (_, i) => pod(1000 + i));
    const batch = (await mined(registry.getFunction('registerBatch')(batchPods, batchPods.map(randomAddress)))).gasUsed;
    const rotate = (await mined(registry.getFunction('rotate')(pod(0), randomAddress()))).gasUsed;
    const revoke = (await mined(registry.getFunction('revoke')(pod(1)))).gasUsed;

    // Anchors: the first (no predecessor) and the mean of 20 more.
    const root = (): string => hexlify(randomBytes(32));
    const firstAnchor = (await mined(anchor.getFunction('anchor')(root(), 1000, 1, 2))).gasUsed;
    const anchors: bigint[] = [];
    for (let i = 0; i < 20; i++) anchors.push((await mined(anchor.getFunction('anchor')(root(), 1000, 3 + i, 4 + i))).gasUsed);

    // verifyReading: a device, readings with 1/3/8 measurements in a 1,024-leaf tree (proof length 10).
    const device = new Wallet(hexlify(randomBytes(32)));
    await mined(registry.getFunction('register')('IT001E99999999', device.address));
    const t0 = (await provider.getBlock('latest'))!.timestamp * 1000;
    const domain = { name: 'LightNode', version: '1', chainId: d.chainId, verifyingContract: d.podRegistry };
    const sized = [1, 3, 8].map((n, k) => ({
      pod: 'IT001E99999999', meter: 'sdm630:1', seq: k, timestamp: t0 + k, source: 'modbus',
      values: QUANTITIES.slice(0, n).map((q, j) => ({ quantity: q, value: 123_456 + j, scale: -1, unit: 'Wh' })),
    }));
    const leaves = [...sized.map((r) => TypedDataEncoder.hash(domain, READING_TYPES, r))];
    while (leaves.length < 1024) leaves.push(hexlify(randomBytes(32)));
    const tree = SimpleMerkleTree.of(leaves);
    const index = Number(await anchor.getFunction('anchorCount')());
    await mined(anchor.getFunction('anchor')(tree.root, leaves.length, t0, t0 + 2));
    const verifyGas: Record<string, number> = {};
    for (const [k, r] of sized.entries()) {
      const sig = await device.signTypedData(domain, READING_TYPES, r);
      const proof = tree.getProof(k);
      const [ok, reason] = (await anchor.getFunction('verifyReading')(r, sig, index, proof)) as [boolean, bigint];
      if (!ok) throw new Error(`verifyReading refused the bench reading (reason ${reason})`);
      verifyGas[`values${r.values.length}`] = Number(await anchor.getFunction('verifyReading').estimateGas(r, sig, index, proof));
    }
    const inclusion = Number(await anchor.getFunction('verifyInclusion').estimateGas(index, leaves[0], tree.getProof(0)));

    // SubscriptionRegistry.record: 20 first requests (new subscription, first nonce of the signer,
    // a new entry in the topic's list), 20 accepts by one provider, then 20 re-requests after a refusal.
    const subs: Contract = subscriptionRegistryAt(d.subscriptionRegistry!, admin);
    const topic = 'certified/v1/IT001E12345678/readings';
    const providerKey = new Wallet(hexlify(randomBytes(32)));
    await mined(subs.getFunction('setTopicProvider')(topic, providerKey.address));
    const sdomain = subscriptionDomain(d.chainId, d.subscriptionRegistry!);
    const deadline = (await provider.getBlock('latest'))!.timestamp + 3600;
    const consumers = Array.from({ length: 20 }, () => new Wallet(hexlify(randomBytes(32))));
    let providerNonce = 0n;
    const decide = async (signer: Wallet, consumer: string, status: number, nonce: bigint): Promise<bigint> => {
      const dec = { provider: providerKey.address, consumer, topic, status, nonce, deadline };
      return (await mined(subs.getFunction('record')(dec, await signer.signTypedData(sdomain, DECISION_TYPES, dec)))).gasUsed;
    };
    const firstRequest: bigint[] = [];
    const accept: bigint[] = [];
    const reRequest: bigint[] = [];
    for (const c of consumers) firstRequest.push(await decide(c, c.address, 1, 0n));
    for (const c of consumers) accept.push(await decide(providerKey, c.address, 2, providerNonce++));
    for (const c of consumers) await decide(c, c.address, 5, 1n);
    for (const c of consumers) reRequest.push(await decide(c, c.address, 1, 2n));

    const result = {
      bench: 'contracts-gas',
      baseline: { transfer, viewCall: viewBaseline },
      deploy: deployGas,
      register: { single: mean(single), perPodInBatchOf100: Number(batch) / 100, batchOf100: Number(batch) },
      rotate: Number(rotate),
      revoke: Number(revoke),
      anchor: { first: Number(firstAnchor), mean: mean(anchors) },
      verifyReading: { ...verifyGas, proofLength: tree.getProof(0).length },
      verifyInclusion1024: inclusion,
      subscriptionRecord: { firstRequest: mean(firstRequest), accept: mean(accept), reRequest: mean(reRequest) },
    };
    console.log('contracts gas (anvil, solc 0.8.28, optimizer 200 runs)');
    console.log(`  baseline transfer              ${transfer}`);
    console.log(`  baseline view call (estimate)  ${viewBaseline}`);
    console.log(`  deploy PodRegistry             ${deployGas.podRegistry}`);
    console.log(`  deploy ReadingAnchor           ${deployGas.readingAnchor}`);
    console.log(`  register (single, mean of 20)  ${result.register.single.toFixed(0)}`);
    console.log(`  register per PoD (batch 100)   ${result.register.perPodInBatchOf100.toFixed(0)}`);
    console.log(`  rotate                         ${result.rotate}`);
    console.log(`  revoke                         ${result.revoke}`);
    console.log(`  anchor (first)                 ${result.anchor.first}`);
    console.log(`  anchor (mean of 20)            ${result.anchor.mean.toFixed(0)}`);
    for (const [k, v] of Object.entries(verifyGas)) console.log(`  verifyReading ${k.padEnd(17)}${v}  (estimateGas, proof of ${result.verifyReading.proofLength})`);
    console.log(`  verifyInclusion (1,024 leaves) ${inclusion}`);
    console.log(`  record: 1st request (mean 20)  ${result.subscriptionRecord.firstRequest.toFixed(0)}`);
    console.log(`  record: accept (mean 20)       ${result.subscriptionRecord.accept.toFixed(0)}`);
    console.log(`  record: re-request (mean 20)   ${result.subscriptionRecord.reRequest.toFixed(0)}`);
    console.log(JSON.stringify(result));
    provider.destroy();
  } finally {
    await anvil.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
