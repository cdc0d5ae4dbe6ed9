/**
 * The self-contained receipt of DESIGN §6 / docs/interfaces.md `Receipt`, built from the stored
 * reading, its anchor and the anchor's leaves (in leaf order), and the deployment. Trees are rebuilt with
 * `@lightnode/shared/merkle` (OpenZeppelin layout) and kept in a small cache: an anchor's
 * leaves never change once recorded.
 */
import { buildMerkleTreeFlat, type MerkleTree } from '@lightnode/shared/merkle';
import { hexToBytes } from '@lightnode/shared/hex';
import type { Receipt } from '@lightnode/shared/receipt';
import type { SignedReading } from '@lightnode/shared/reading';
import { LightNodeError } from '@lightnode/shared/errors';
import type { AnchorRecord, StoredReading } from '../store/types.js';
import type { Hex } from '@lightnode/shared/hex';

export type { Receipt };

export interface DeploymentInfo { chainId: number; podRegistry: Hex; readingAnchor: Hex }

export class ReceiptBuilder {
  private readonly trees = new Map<string, MerkleTree>();
  constructor(private readonly deployment: DeploymentInfo, private readonly cacheSize = 16) {}

  /**
   * The receipt of an anchored reading, or null when it is pending or its anchor's block is not
   * known yet. `loadLeaves` is called only when the anchor's tree is not cached.
   */
  async build(reading: StoredReading, anchor: AnchorRecord | null, loadLeaves: (index: number) => Promise<Hex[]>): Promise<Receipt | null> {
    if (!anchor || reading.leafIndex === null || anchor.blockNumber === null || reading.anchorIndex !== anchor.index) return null;
    const tree = await this.tree(anchor, loadLeaves);
    return {
      v: 1,
      reading: reading.reading as SignedReading,
      digest: reading.digest,
      signer: reading.device,
      chainId: this.deployment.chainId,
      contracts: { podRegistry: this.deployment.podRegistry, readingAnchor: this.deployment.readingAnchor },
      anchor: {
        index: anchor.index, root: anchor.root, leafCount: anchor.leafCount, fromMs: anchor.fromMs, toMs: anchor.toMs,
        prevHash: anchor.prevHash, transaction: anchor.transaction, blockNumber: anchor.blockNumber,
      },
      proof: tree.proof(reading.leafIndex),
    };
  }

  private async tree(anchor: AnchorRecord, loadLeaves: (index: number) => Promise<Hex[]>): Promise<MerkleTree> {
    const key = `${anchor.index}:${anchor.root}:${anchor.transaction}`;
    const hit = this.trees.get(key);
    if (hit) { this.trees.delete(key); this.trees.set(key, hit); return hit; }
    const leaves = await loadLeaves(anchor.index);
    const flat = new Uint8Array(leaves.length * 32);
    leaves.forEach((l, i) => flat.set(hexToBytes(l, 32, `leaves[${i}]`), i * 32));
    const tree = buildMerkleTreeFlat(flat);
    if (tree.root !== anchor.root.toLowerCase()) {
      throw new LightNodeError('BAL_ANCHOR_ROOT_MISMATCH', `anchor ${anchor.index}: rebuilt root ${tree.root} differs from recorded ${anchor.root}`);
    }
    this.trees.set(key, tree);
    if (this.trees.size > this.cacheSize) this.trees.delete(this.trees.keys().next().value!);
    return tree;
  }
}
