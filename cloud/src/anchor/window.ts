/**
 * Pure helpers of an anchor window (DESIGN §6): when it closes, its time bounds and the on-chain
 * anchor hash chain.
 */
import { AbiCoder, keccak256 } from 'ethers';
import { LightNodeError } from '@lightnode/shared/errors';
import type { Hex } from '@lightnode/shared/hex';

/** [fromMs, toMs] = earliest and latest reading timestamp of the window (ReadingAnchor requires fromMs ≤ toMs). */
export function windowBounds(timestampsMs: readonly number[]): { fromMs: number; toMs: number } {
  if (timestampsMs.length === 0) throw new LightNodeError('BAL_ANCHOR_EMPTY_WINDOW', 'windowBounds: empty window');
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

/** A window closes when it holds `maxLeaves` readings or its oldest reading arrived `windowMs` ago. */
export function windowClosed(leaves: number, oldestReceivedMs: number, nowMs: number, windowMs: number, maxLeaves: number): boolean {
  return leaves >= maxLeaves || nowMs - oldestReceivedMs >= windowMs;
}

/**
 * Throttle for re-reading an open window in full (up to maxLeaves rows) to see whether it is
 * full: at most every `intervalMs`, unless `force` (the window aged, or a full one just went).
 */
export function createSizeProbe(intervalMs: number): { take(nowMs: number, force: boolean): boolean; reset(): void } {
  let lastMs = -Infinity;
  return {
    take(nowMs, force) {
      if (!force && nowMs - lastMs < intervalMs) return false;
      lastMs = nowMs;
      return true;
    },
    reset() { lastMs = -Infinity; },
  };
}

/** How often an open window is re-read in full: a tenth of the window, within [poll interval, 5 s]. */
export function sizeProbeIntervalMs(pollMs: number, windowMs: number): number {
  return Math.min(5_000, Math.max(pollMs, windowMs / 10));
}
