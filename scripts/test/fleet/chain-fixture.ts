/**
 * Readings on the test-kit chain fixture (`@lightnode/test-kit/chain`: anvil with PodRegistry +
 * ReadingAnchor, account 0 is admin, DSO and BAL, deployment.json in a scratch dir): sign them
 * and anchor them the way the BAL does (OpenZeppelin SimpleMerkleTree over EIP-712 digests, one
 * anchor tx per window), and read chain time.
 */
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import { hexlify } from 'ethers';
import { readingDigest, signReading } from '@lightnode/shared/eip712';
import type { Reading, SignedReading } from '@lightnode/shared/reading';
import type { ChainFixture } from '@lightnode/test-kit/chain';
import type { ReceiptLike } from '../../src/verify/receipt-types.js';

/** Latest block's time in ms (chain time = block.timestamp × 1000). */
export async function chainNowMs(f: ChainFixture): Promise<number> {
  const b = await f.provider.getBlock('latest');
  return Number(b!.timestamp) * 1000;
}

/** A reading of `pod` at `timestamp`, with two measurements. */
export function makeReading(pod: string, seq: number, timestamp: number, energyWh = 123_456): Reading {
  return {
    pod, meter: 'main', seq, timestamp, source: 'modbus',
    values: [
      { quantity: '1-0:1.8.0', value: energyWh, scale: 0, unit: 'Wh' },
      { quantity: '1-0:1.7.0', value: 1520, scale: 0, unit: 'W' },
    ],
  };
}

/** Sign with the shared (edge) signer — the verifier recomputes with ethers, so this cross-checks both. */
export function sign(f: ChainFixture, reading: Reading, deviceKey: string): SignedReading {
  return signReading(f.domain, reading, Buffer.from(deviceKey.slice(2), 'hex'));
}

/** Anchor a window of signed readings on chain and return one receipt per reading. */
export async function anchorReadings(f: ChainFixture, signed: SignedReading[], signers: string[]): Promise<ReceiptLike[]> {
  const digests = signed.map((r) => hexlify(readingDigest(f.domain, r)));
  const tree = SimpleMerkleTree.of(digests);
  const fromMs = Math.min(...signed.map((r) => r.timestamp));
  const toMs = Math.max(...signed.map((r) => r.timestamp));
  const index = Number(await f.anchor.getFunction('anchorCount')());
  const prevHash = String(await f.anchor.getFunction('lastAnchorHash')());
  const tx = await f.anchor.getFunction('anchor')(tree.root, signed.length, fromMs, toMs);
  const rc = await tx.wait();
  return signed.map((reading, i) => ({
    v: 1,
    reading,
    digest: digests[i]!,
    signer: signers[i]!.toLowerCase(),
    chainId: f.deployment.chainId,
    contracts: { podRegistry: f.deployment.podRegistry, readingAnchor: f.deployment.readingAnchor },
    anchor: { index, root: tree.root, leafCount: signed.length, fromMs, toMs, prevHash, transaction: tx.hash, blockNumber: rc.blockNumber },
    proof: tree.getProof(digests[i]!),
  }));
}
