/**
 * The self-contained receipt of DESIGN §6 / docs/interfaces.md `Receipt`, built from the stored
 * reading, its anchor and the anchor's leaves (in leaf order), and the deployment. Trees are rebuilt with
 * `@lightnode/shared/merkle` (OpenZeppelin layout) and kept in a small cache: an anchor's
 * leaves never change once recorded.
 */
import { buildMerkleTreeFlat, type MerkleTree } from '@lightnode/shared/merkle';
import { hexToBytes } from '@lightnode/shared/hex';
import type { Receipt, ReceiptCimMessage } from '@lightnode/shared/receipt';
import { MAX_IMPORT_READINGS } from '@lightnode/shared/cim/import-map';
import type { SignedReading } from '@lightnode/shared/reading';
import { LightNodeError } from '@lightnode/shared/errors';
import type { AnchorRecord, CimMessageRecord, StoredReading } from '../store/types.js';
import type { Hex } from '@lightnode/shared/hex';

export type { Receipt };

export interface DeploymentInfo { chainId: number; podRegistry: Hex; readingAnchor: Hex; dataServerRegistry?: Hex | null }

/** Loads a data server's stored message by payload hash (store.cimMessage). */
export type CimMessageLoader = (hash: Hex) => Promise<CimMessageRecord | null>;

export class ReceiptBuilder {
  private readonly trees = new Map<string, MerkleTree>();
  constructor(private readonly deployment: DeploymentInfo, private readonly cacheSize = 16) {}

  /**
   * The receipt of an anchored reading, or null when it is pending or its anchor's block is not
   * known yet. `loadLeaves` is called only when the anchor's tree is not cached.
   */
  async build(reading: StoredReading, anchor: AnchorRecord | null, loadLeaves: (index: number) => Promise<Hex[]>, loadCim?: CimMessageLoader): Promise<Receipt | null> {
    if (!anchor || reading.leafIndex === null || anchor.blockNumber === null || reading.anchorIndex !== anchor.index) return null;
    const tree = await this.tree(anchor, loadLeaves);
    const cim = await this.cimPart(reading, loadCim);
    return {
      ...(cim ? { cim } : {}),
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

  /** The signed message behind a data server's reading (source `cim:<hash>`), else null. */
  private async cimPart(reading: StoredReading, loadCim: CimMessageLoader | undefined): Promise<ReceiptCimMessage | null> {
    const source = reading.reading.source;
    if (!source.startsWith('cim:')) return null;
    const hash = `0x${source.slice(4)}` as Hex;
    const msg = loadCim ? await loadCim(hash) : null;
    if (!msg || !this.deployment.dataServerRegistry) {
      throw new LightNodeError('BAL_INTERNAL', `reading ${reading.id}: its data-server message ${hash} or the DataServerRegistry is not known`);
    }
    return {
      serverId: msg.serverId, dataServerRegistry: this.deployment.dataServerRegistry,
      payload: Buffer.from(msg.payload).toString('base64'), index: reading.seq % MAX_IMPORT_READINGS,
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
