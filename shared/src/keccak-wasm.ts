/**
 * The Merkle inner-node loop as a tiny WebAssembly module, assembled here from TypeScript at load
 * time (no binary blob, no native dependency). Why: Keccak-f[1600] is 64-bit arithmetic; plain JS
 * has to emulate every 64-bit rotation with four 32-bit shifts, while WebAssembly has `i64.rotl`,
 * so the same permutation takes about a third of the instructions. keccak64.ts stays as the
 * pure-JS fallback (and reference) when WebAssembly is unavailable.
 *
 * Exports `hashNodes(base, n)`: for i = n-2 … 0, node[i] = keccak256(sorted(node[2i+1], node[2i+2]))
 * over OpenZeppelin's array of 32-byte nodes at byte offset `base` of the imported memory —
 * exactly the loop of merkle.ts. Round constants live in memory bytes 0..191 (data segment), so
 * `base` must be ≥ RESERVED_BYTES. Checked against noble and OpenZeppelin in test/merkle.test.ts.
 */

/** Bytes at the start of memory the module owns (round constants). */
export const RESERVED_BYTES = 256;

// FIPS 202: round constants, ρ offsets R[x][y], lane index x + 5y.
const RC = [
  0x0000000000000001n, 0x0000000000008082n, 0x800000000000808an, 0x8000000080008000n, 0x000000000000808bn, 0x0000000080000001n,
  0x8000000080008081n, 0x8000000000008009n, 0x000000000000008an, 0x0000000000000088n, 0x0000000080008009n, 0x000000008000000an,
  0x000000008000808bn, 0x800000000000008bn, 0x8000000000008089n, 0x8000000000008003n, 0x8000000000008002n, 0x8000000000000080n,
  0x000000000000800an, 0x800000008000000an, 0x8000000080008081n, 0x8000000000008080n, 0x0000000080000001n, 0x8000000080008008n,
];
const R = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]];

// ---------------------------------------------------------------- minimal encoder
const uleb = (n: number): number[] => { const out: number[] = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return out; };
const sleb = (v: bigint): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

const I32 = 0x7f, I64 = 0x7e, VOID = 0x40;
const op = {
  get: (i: number) => [0x20, ...uleb(i)], set: (i: number) => [0x21, ...uleb(i)], tee: (i: number) => [0x22, ...uleb(i)],
  i32: (n: number) => [0x41, ...sleb(BigInt(n))], i64: (n: bigint) => [0x42, ...sleb(BigInt.asIntN(64, n))],
  load64: (offset: number) => [0x29, 3, ...uleb(offset)], store64: (offset: number) => [0x37, 3, ...uleb(offset)],
  load8u: (offset: number) => [0x2d, 0, ...uleb(offset)],
  xor64: [0x85], and64: [0x83], rotl64: [0x89],
  add32: [0x6a], sub32: [0x6b], shl32: [0x74], ne32: [0x47], ltS32: [0x48], leU32: [0x4d], ltU32: [0x49],
  block: [0x02, VOID], loop: [0x03, VOID], if: [0x04, VOID], else: [0x05], end: [0x0b],
  br: (d: number) => [0x0c, ...uleb(d)], brIf: (d: number) => [0x0d, ...uleb(d)], call: (f: number) => [0x10, ...uleb(f)],
};

/** k64(a, b, dst): keccak256(mem[a..a+32) ‖ mem[b..b+32)) → mem[dst..dst+32). */
function keccakBody(): number[] {
  // params 0 a, 1 b, 2 dst; locals: 3..27 state s, 28..52 B, 53..57 C, 58..62 D (i64), 63 round (i32)
  const s = (i: number) => 3 + i, B = (i: number) => 28 + i, C = (x: number) => 53 + x, D = (x: number) => 58 + x, round = 63;
  const code: number[] = [];
  const emit = (...parts: number[][]) => { for (const p of parts) code.push(...p); };
  for (let j = 0; j < 4; j++) emit(op.get(0), op.load64(8 * j), op.set(s(j)));
  for (let j = 0; j < 4; j++) emit(op.get(1), op.load64(8 * j), op.set(s(4 + j)));
  emit(op.i64(1n), op.set(s(8)), op.i64(0x8000000000000000n), op.set(s(16))); // pad10*1 for a 64-byte message, rate 136
  emit(op.loop);
  for (let x = 0; x < 5; x++) { // θ
    emit(op.get(s(x)));
    for (let y = 1; y < 5; y++) emit(op.get(s(x + 5 * y)), op.xor64);
    emit(op.set(C(x)));
  }
  for (let x = 0; x < 5; x++) emit(op.get(C((x + 4) % 5)), op.get(C((x + 1) % 5)), op.i64(1n), op.rotl64, op.xor64, op.set(D(x)));
  for (let x = 0; x < 5; x++) for (let y = 0; y < 5; y++) { // θ applied, then ρ and π: B[y][2x+3y] = rot(A[x][y] ^ D[x], R[x][y])
    emit(op.get(s(x + 5 * y)), op.get(D(x)), op.xor64);
    if (R[x]![y]! !== 0) emit(op.i64(BigInt(R[x]![y]!)), op.rotl64);
    emit(op.set(B(y + 5 * ((2 * x + 3 * y) % 5))));
  }
  for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) { // χ
    emit(op.get(B(x + 5 * y)), op.get(B(((x + 1) % 5) + 5 * y)), op.i64(-1n), op.xor64, op.get(B(((x + 2) % 5) + 5 * y)), op.and64, op.xor64, op.set(s(x + 5 * y)));
  }
  emit(op.get(s(0)), op.get(round), op.i32(3), op.shl32, op.load64(0), op.xor64, op.set(s(0))); // ι
  emit(op.get(round), op.i32(1), op.add32, op.tee(round), op.i32(24), op.ne32, op.brIf(0), op.end);
  for (let j = 0; j < 4; j++) emit(op.get(2), op.get(s(j)), op.store64(8 * j));
  emit(op.end);
  return [...vec([[...uleb(60), I64], [...uleb(1), I32]]), ...code];
}

/** hashNodes(base, n): the inner-node loop of merkle.ts, calling k64 (function 0). */
function hashNodesBody(): number[] {
  // params 0 base, 1 n; locals 2 i, 3 l, 4 r, 5 k, 6 x, 7 y (i32)
  const [base, n, i, l, r, k, x, y] = [0, 1, 2, 3, 4, 5, 6, 7];
  const code = [
    op.get(n), op.i32(2), op.sub32, op.set(i),
    op.block, op.loop,
    op.get(i), op.i32(0), op.ltS32, op.brIf(1),
    op.get(base), op.get(i), op.i32(6), op.shl32, op.add32, op.i32(32), op.add32, op.tee(l), op.i32(32), op.add32, op.set(r),
    op.i32(0), op.set(k),
    op.block, op.loop, // first differing byte, big-endian order
    op.get(l), op.get(k), op.add32, op.load8u(0), op.set(x),
    op.get(r), op.get(k), op.add32, op.load8u(0), op.tee(y), op.get(x), op.ne32, op.brIf(1),
    op.get(k), op.i32(1), op.add32, op.tee(k), op.i32(32), op.ltU32, op.brIf(0),
    op.end, op.end,
    op.get(x), op.get(y), op.leU32, op.if,
    op.get(l), op.get(r), op.get(base), op.get(i), op.i32(5), op.shl32, op.add32, op.call(0),
    op.else,
    op.get(r), op.get(l), op.get(base), op.get(i), op.i32(5), op.shl32, op.add32, op.call(0),
    op.end,
    op.get(i), op.i32(1), op.sub32, op.set(i),
    op.br(0),
    op.end, op.end, op.end,
  ].flat();
  return [...vec([[...uleb(6), I32]]), ...code];
}

function assemble(): Uint8Array {
  const rcBytes: number[] = [];
  for (const c of RC) for (let b = 0; b < 8; b++) rcBytes.push(Number((c >> BigInt(8 * b)) & 0xffn));
  const body = (b: number[]) => [...uleb(b.length), ...b];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32]]), 0x00], [0x60, ...vec([[I32], [I32]]), 0x00]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])), // memory, min 1 page
    ...section(3, vec([[0], [1]])),
    ...section(7, vec([[...name('hashNodes'), 0x00, 1]])),
    ...section(10, vec([body(keccakBody()), body(hashNodesBody())])),
    ...section(11, vec([[0x00, ...op.i32(0), ...op.end, ...uleb(rcBytes.length), ...rcBytes]])),
  ]);
}

// The few WebAssembly JS-API members we use (the workspace's TS lib has no DOM/WebAssembly types).
interface WasmMemory { readonly buffer: ArrayBuffer }
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

/** The compiled module, or null when this runtime has no WebAssembly (callers fall back to JS). */
export function merkleWasmModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = wasmApi ? new wasmApi.Module(assemble()) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * Memory sized for `nodeBytes` after the reserved prefix, plus the bound `hashNodes`; null when
 * WebAssembly is unavailable or the memory cannot be had.
 */
export function instantiateMerkleWasm(nodeBytes: number): { memory: WasmMemory; hashNodes: (base: number, n: number) => void } | null {
  const module = merkleWasmModule();
  if (!module || !wasmApi) return null;
  try {
    const memory = new wasmApi.Memory({ initial: Math.ceil((RESERVED_BYTES + nodeBytes) / 65536) });
    const instance = new wasmApi.Instance(module, { env: { memory } });
    return { memory, hashNodes: instance.exports['hashNodes'] as (base: number, n: number) => void };
  } catch {
    return null;
  }
}
