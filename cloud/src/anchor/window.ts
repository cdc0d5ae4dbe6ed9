/** Pure helpers of an anchor window (DESIGN §6): time bounds and the on-chain anchor hash chain. */
import { AbiCoder, keccak256 } from 'ethers';
import type { Hex } from '@lightnode/shared/hex';

/** [fromMs, toMs] = earliest and latest reading timestamp of the window (ReadingAnchor requires fromMs ≤ toMs). */
export function windowBounds(timestampsMs: readonly number[]): { fromMs: number; toMs: number } {
  if (timestampsMs.length === 0) throw new Error('windowBounds: empty window');
  let fromMs = Infinity, toMs = -Infinity;
  for (const t of timestampsMs) { if (t < fromMs) fromMs = t; if (t > toMs) toMs = t; }
  return { fromMs, toMs };
}

/**
 * The anchor hash ReadingAnchor.anchor computes and emits:
 * keccak256(abi.encode(bytes32 prevHash, bytes32 root, uint32 leafCount, uint64 fromMs, uint64 toMs)).
 */
export function computeAnchorHash(prevHash: Hex, root: Hex, leafCount: number, fromMs: number, toMs: number): Hex {
  const enc = AbiCoder.defaultAbiCoder().encode(['bytes32', 'bytes32', 'uint32', 'uint64', 'uint64'], [prevHash, root, leafCount, fromMs, toMs]);
  return keccak256(enc).toLowerCase() as Hex;
}
