/**
 * Merkle trees over reading digests, identical to OpenZeppelin's `SimpleMerkleTree.of(leaves)`
 * (@openzeppelin/merkle-tree, default options): leaves are the bytes32 values as-is, sorted
 * ascending (stable), placed at the end of one array in reverse order, every inner node
 * i = keccak256(sorted(node[2i+1], node[2i+2])). Same root, same proofs, so OpenZeppelin's
 * `MerkleProof.verify` (Solidity) and `SimpleMerkleTree.verify` (JS) accept ours.
 *
 * Built for a 1,000,000-leaf window: one flat buffer for the whole tree, an O(n) radix sort on
 * the first 32 bits of each leaf, and a 64-byte Keccak specialised for the node hash — in
 * WebAssembly (keccak-wasm.ts, native 64-bit rotations) with keccak64.ts as the pure-JS fallback.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { LightNodeError, ValidationError } from './errors.js';
import { bytesToHex, hexToBytes, isHex, type Hex } from './hex.js';
import { keccak64, keccak256Of64, IS_LITTLE_ENDIAN } from './keccak64.js';
import { instantiateMerkleWasm, RESERVED_BYTES } from './keccak-wasm.js';

/** Which hash loop builds the inner nodes: WebAssembly when available (`auto`), or forced. */
export type MerkleEngine = 'auto' | 'wasm' | 'js';
/** `auto` uses WebAssembly from this many leaves on. */
export const WASM_MIN_LEAVES = 2048;

/** A built tree. Node i of OpenZeppelin's array layout is `nodes[32i .. 32i+32)`. */
export interface MerkleTree {
  /** Root (= the single leaf when there is one leaf). */
  readonly root: Hex;
  readonly rootBytes: Uint8Array;
  readonly leafCount: number;
  /** All 2n-1 nodes, flat, in OpenZeppelin's order (root first, sorted leaves last, reversed). */
  readonly nodes: Uint8Array;
  /** Proof for a leaf given by its index in the input order, or by value (first match). */
  proof(leaf: Hex | number): Hex[];
  /** Index in `nodes` of the input leaf `inputIndex` (OpenZeppelin's `treeIndex`). */
  treeIndex(inputIndex: number): number;
  /** Node `i` as hex. */
  node(i: number): Hex;
}

/** keccak256 of the two 32-byte nodes in ascending byte order (OpenZeppelin `hashPair`). */
export function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== 32 || b.length !== 32) throw new ValidationError('PROTO_MERKLE_INVALID', 'node', '32 bytes', a.length !== 32 ? a : b);
  const buf = new Uint8Array(64);
  const aFirst = compareBytes(a, b) <= 0;
  buf.set(aFirst ? a : b, 0);
  buf.set(aFirst ? b : a, 32);
  return keccak256Of64(buf);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

const bswap = (x: number): number => ((x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;

/**
 * Stable sort of leaf indexes by leaf bytes: LSD radix on the big-endian first 32 bits (two
 * 16-bit passes), then runs with equal first words (rare for digests) sorted by full bytes.
 */
function sortLeafIndexes(leaves32: Uint32Array, n: number): Uint32Array {
  const key = new Uint32Array(n);
  for (let i = 0; i < n; i++) key[i] = bswap(leaves32[8 * i]!);
  let src = new Uint32Array(n);
  let dst = new Uint32Array(n);
  for (let i = 0; i < n; i++) src[i] = i;
  const count = new Uint32Array(65537);
  for (const shift of [0, 16]) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[((key[i]! >>> shift) & 0xffff) + 1]!++;
    for (let b = 1; b <= 65536; b++) count[b]! += count[b - 1]!;
    for (let i = 0; i < n; i++) {
      const idx = src[i]!;
      dst[count[(key[idx]! >>> shift) & 0xffff]!++] = idx;
    }
    [src, dst] = [dst, src];
  }
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && key[src[j]!] === key[src[i]!]) j++;
    if (j - i > 1) {
      const run = Array.from(src.subarray(i, j)).sort((x, y) => {
        for (let w = 1; w < 8; w++) {
          const a = leaves32[8 * x + w]!, b = leaves32[8 * y + w]!;
          if (a !== b) return bswap(a) - bswap(b);
        }
        return x - y; // stable, like Array.prototype.sort in OpenZeppelin's builder
      });
      src.set(run, i);
    }
    i = j;
  }
  return src;
}

/** Build from leaves given as separate 32-byte arrays. */
export function buildMerkleTree(leaves: Uint8Array[], opts: { engine?: MerkleEngine } = {}): MerkleTree {
  const flat = new Uint8Array(leaves.length * 32);
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i];
    if (!(leaf instanceof Uint8Array) || leaf.length !== 32) throw new ValidationError('PROTO_MERKLE_INVALID', `leaves[${i}]`, '32 bytes', leaf);
    flat.set(leaf, 32 * i);
  }
  return buildMerkleTreeFlat(flat, opts);
}

/**
 * Build from leaves packed in one buffer, 32 bytes each (no per-leaf arrays for big windows).
 * `engine`: 'auto' (default) uses the WebAssembly loop of keccak-wasm.ts for ≥ WASM_MIN_LEAVES
 * leaves when the runtime has WebAssembly, else the pure-JS loop; 'wasm' forces it (throws
 * `PROTO_MERKLE_ENGINE_UNAVAILABLE` without it); 'js' forces the pure-JS loop.
 */
export function buildMerkleTreeFlat(flatLeaves: Uint8Array, opts: { engine?: MerkleEngine } = {}): MerkleTree {
  if (flatLeaves.length === 0 || flatLeaves.length % 32 !== 0) {
    throw new ValidationError('PROTO_MERKLE_INVALID', 'leaves', 'at least one 32-byte leaf', flatLeaves);
  }
  const engine = opts.engine ?? 'auto';
  const n = flatLeaves.length / 32;
  const size = 2 * n - 1;
  // An aligned copy of the leaves so we can read them as 32-bit words.
  const leaves32 = new Uint32Array(8 * n);
  new Uint8Array(leaves32.buffer).set(flatLeaves);
  const order = sortLeafIndexes(leaves32, n);

  // Small trees (e.g. one receipt's window) stay in JS: a WebAssembly memory is at least 64 KiB
  // and lives as long as the tree, and the speed-up does not matter there.
  const useWasm = engine === 'wasm' || (engine === 'auto' && n >= WASM_MIN_LEAVES);
  const wasm = useWasm ? instantiateMerkleWasm(32 * size) : null;
  if (engine === 'wasm' && !wasm) throw new LightNodeError('PROTO_MERKLE_ENGINE_UNAVAILABLE', 'WebAssembly is not available in this runtime');
  const nodes32 = wasm ? new Uint32Array(wasm.memory.buffer, RESERVED_BYTES, 8 * size) : new Uint32Array(8 * size);
  const nodes = new Uint8Array(nodes32.buffer, nodes32.byteOffset, 32 * size);
  const treeIndexOf = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const src = order[k]!;
    const t = size - 1 - k;
    treeIndexOf[src] = t;
    nodes32.set(leaves32.subarray(8 * src, 8 * src + 8), 8 * t);
  }
  if (wasm) wasm.hashNodes(RESERVED_BYTES, n);
  else hashNodesJs(nodes32, nodes, n);
  return makeTree(nodes, n, treeIndexOf);
}

/** The inner-node loop in plain JS (keccak64 on 32-bit words). */
function hashNodesJs(nodes32: Uint32Array, nodes: Uint8Array, n: number): void {
  for (let i = n - 2; i >= 0; i--) {
    const l = 16 * i + 8; // word offset of node 2i+1
    const r = l + 8; // node 2i+2
    let leftFirst = true;
    for (let w = 0; w < 8; w++) {
      const a = nodes32[l + w]!, b = nodes32[r + w]!;
      if (a !== b) {
        leftFirst = IS_LITTLE_ENDIAN ? bswap(a) < bswap(b) : a < b;
        break;
      }
    }
    if (IS_LITTLE_ENDIAN) keccak64(nodes32, leftFirst ? l : r, leftFirst ? r : l, nodes32, 8 * i);
    else {
      const buf = new Uint8Array(64);
      buf.set(nodes.subarray(4 * (leftFirst ? l : r), 4 * (leftFirst ? l : r) + 32), 0);
      buf.set(nodes.subarray(4 * (leftFirst ? r : l), 4 * (leftFirst ? r : l) + 32), 32);
      nodes.set(keccak_256(buf), 32 * i);
    }
  }
}

function makeTree(nodes: Uint8Array, n: number, treeIndexOf: Uint32Array): MerkleTree {
  const size = 2 * n - 1;
  const node = (i: number): Hex => bytesToHex(nodes.subarray(32 * i, 32 * i + 32));
  const rootBytes = nodes.slice(0, 32);

  /** Lowest sorted position k whose leaf equals `leaf`, or -1 (leaf k is node size-1-k). */
  function findLeaf(leaf: Uint8Array): number {
    let lo = 0, hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = size - 1 - mid;
      if (compareBytes(nodes.subarray(32 * t, 32 * t + 32), leaf) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo < n && compareBytes(nodes.subarray(32 * (size - 1 - lo), 32 * (size - lo)), leaf) === 0) return lo;
    return -1;
  }

  function proofFromTreeIndex(t: number): Hex[] {
    const out: Hex[] = [];
    while (t > 0) {
      out.push(node(t % 2 === 1 ? t + 1 : t - 1));
      t = (t - 1) >> 1;
    }
    return out;
  }

  function treeIndex(inputIndex: number): number {
    if (!Number.isInteger(inputIndex) || inputIndex < 0 || inputIndex >= n) throw new ValidationError('PROTO_MERKLE_INVALID', 'index', `an integer 0..${n - 1}`, inputIndex);
    return treeIndexOf[inputIndex]!;
  }

  return {
    root: bytesToHex(rootBytes),
    rootBytes,
    leafCount: n,
    nodes,
    node,
    treeIndex,
    proof(leaf: Hex | number): Hex[] {
      if (typeof leaf === 'number') return proofFromTreeIndex(treeIndex(leaf));
      const k = findLeaf(hexToBytes(leaf, 32, 'leaf', 'PROTO_MERKLE_INVALID'));
      if (k < 0) throw new LightNodeError('PROTO_MERKLE_LEAF_UNKNOWN', 'leaf is not in the tree', { leaf });
      return proofFromTreeIndex(size - 1 - k);
    },
  };
}

/** Fold `proof` over `leaf` with sorted-pair keccak (OpenZeppelin `processProof`). */
export function processProof(leaf: Uint8Array, proof: Uint8Array[]): Uint8Array {
  let acc = leaf;
  for (const p of proof) acc = hashPair(acc, p);
  return acc;
}

/** True when `proof` links `leaf` to `root`. Malformed input (not 32-byte hex) is false, never a throw. */
export function verifyMerkleProof(root: Hex, leaf: Hex, proof: Hex[]): boolean {
  if (!isHex(root, 32) || !isHex(leaf, 32) || !Array.isArray(proof) || !proof.every((p) => isHex(p, 32))) return false;
  const got = processProof(hexToBytes(leaf), proof.map((p) => hexToBytes(p)));
  return bytesToHex(got) === root.toLowerCase();
}
