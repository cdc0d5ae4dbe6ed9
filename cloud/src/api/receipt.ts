/**
 * The self-contained receipt of DESIGN §6 / docs/interfaces.md `Receipt`, built from the store's
 * proof material (the anchor's leaves in leaf order) and the deployment. Trees are rebuilt with
 * `@lightnode/shared/merkle` (OpenZeppelin layout) and kept in a small cache: an anchor's
 * leaves never change once recorded.
 */
import { buildMerkleTreeFlat, type MerkleTree } from '@lightnode/shared/merkle';
import { hexToBytes } from '@lightnode/shared/hex';
import type { Receipt } from '@lightnode/shared/receipt';
import type { SignedReading } from '@lightnode/shared/reading';
import type { Hex, ProofMaterial } from '../store/types.js';

export type { Receipt };

export interface DeploymentInfo { chainId: number; podRegistry: Hex; readingAnchor: Hex }

export class ReceiptBuilder {
  private readonly trees = new Map<string, MerkleTree>();
  constructor(private readonly deployment: DeploymentInfo, private readonly cacheSize = 16) {}

  /** The receipt, or null when the anchor's block is not known yet. */
  build(m: ProofMaterial): Receipt | null {
    if (m.anchor.blockNumber === null) return null;
    const tree = this.tree(m);
    return {
      v: 1,
      reading: m.reading.reading as SignedReading,
      digest: m.reading.digest,
      signer: m.reading.device,
      chainId: this.deployment.chainId,
      contracts: { podRegistry: this.deployment.podRegistry, readingAnchor: this.deployment.readingAnchor },
      anchor: {
        index: m.anchor.index, root: m.anchor.root, leafCount: m.anchor.leafCount, fromMs: m.anchor.fromMs, toMs: m.anchor.toMs,
        prevHash: m.anchor.prevHash, transaction: m.anchor.transaction, blockNumber: m.anchor.blockNumber,
      },
      proof: tree.proof(m.leafIndex),
    };
  }

  private tree(m: ProofMaterial): MerkleTree {
    const key = `${m.anchor.index}:${m.anchor.root}:${m.anchor.transaction}`;
    const hit = this.trees.get(key);
    if (hit) { this.trees.delete(key); this.trees.set(key, hit); return hit; }
    const flat = new Uint8Array(m.leaves.length * 32);
    m.leaves.forEach((l, i) => flat.set(hexToBytes(l, 32, `leaves[${i}]`), i * 32));
    const tree = buildMerkleTreeFlat(flat);
    if (tree.root !== m.anchor.root.toLowerCase()) {
      throw new Error(`anchor ${m.anchor.index}: rebuilt root ${tree.root} differs from recorded ${m.anchor.root}`);
    }
    this.trees.set(key, tree);
    if (this.trees.size > this.cacheSize) this.trees.delete(this.trees.keys().next().value!);
    return tree;
  }
}
