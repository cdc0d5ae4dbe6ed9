/**
 * The receipt (DESIGN §6): a self-contained JSON proof that one reading is authentic and
 * anchored. `validateReceipt` checks its shape; `verifyReceiptOffline` checks everything that
 * needs no chain (digest, signer, Merkle path to the root). What remains — that the root is
 * anchor `anchor.index` of ReadingAnchor and that the signer was the PoD's device at the
 * reading's time — is a JSON-RPC call (scripts' receipt verifier, or `verifyReading` on chain).
 */
import { LightNodeError, ValidationError } from './errors.js';
import { bytesToHex, isHex, normalizeAddress, type Hex } from './hex.js';
import { validateSignedReading, type SignedReading } from './reading.js';
import { makeDomain, readingDigest, recoverReadingSigner } from './eip712.js';
import { verifyMerkleProof } from './merkle.js';
import { cimPayloadHash, decodeCimPayload, recoverCimSigner } from './cim/signed-message.js';
import { MAX_IMPORT_READINGS, cimMessageToReadings } from './cim/import-map.js';
import type { Eip712Domain } from './eip712.js';

export interface ReceiptAnchor {
  index: number; root: Hex; leafCount: number; fromMs: number; toMs: number;
  prevHash: Hex; transaction: Hex; blockNumber: number;
}
/**
 * What a reading imported from a DSO data server (source `cim:<hash>`) carries instead of a
 * device signature: the server's signed message itself. `reading.signature` is then the
 * server's signature over the message (EIP-712 `CimMessage`), `signer` the server's key, and the
 * reading is the `index`-th of what the message maps to (cim/import-map.ts).
 */
export interface ReceiptCimMessage {
  serverId: string;
  /** DataServerRegistry address (key and PoD grants at the message time). */
  dataServerRegistry: Hex;
  /** The exact payload bytes, base64. */
  payload: string;
  /** Position of the reading in the message's mapping (= seq mod 2048). */
  index: number;
}
export interface Receipt {
  v: 1; reading: SignedReading; digest: Hex; signer: Hex; chainId: number;
  contracts: { podRegistry: Hex; readingAnchor: Hex };
  anchor: ReceiptAnchor;
  proof: Hex[];
  /** Only for readings of a data server's CIM message. */
  cim?: ReceiptCimMessage;
}

const CODE = 'PROTO_RECEIPT_INVALID';
/** A 2^64-leaf tree has 64 levels; longer proofs are junk. */
const MAX_PROOF = 64;

function fail(field: string, expected: string, found: unknown): never {
  throw new ValidationError(CODE, field, expected, found);
}
function obj(x: unknown, field: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail(field, 'an object', x);
  return x as Record<string, unknown>;
}
function keys(o: Record<string, unknown>, allowed: string[], prefix: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(`${prefix}${k}`, 'no such field', o[k]);
  for (const k of allowed) if (!(k in o)) fail(`${prefix}${k}`, 'a value (field is required)', undefined);
}
function hash32(x: unknown, field: string): Hex {
  if (!isHex(x, 32)) fail(field, '0x-prefixed 32-byte hex', x);
  return x.toLowerCase() as Hex;
}
function count(x: unknown, field: string, min = 0): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min) fail(field, `a safe integer >= ${min}`, x);
  return x;
}
function address(x: unknown, field: string): Hex {
  return normalizeAddress(x, field, CODE);
}

/** Validate an untrusted receipt's shape; hex is lower-cased. Throws `PROTO_RECEIPT_INVALID` naming the field. */
export function validateReceipt(x: unknown): Receipt {
  const o = obj(x, 'receipt');
  const { cim: rawCim, ...rest } = o;
  keys(rest, ['v', 'reading', 'digest', 'signer', 'chainId', 'contracts', 'anchor', 'proof'], '');
  if (o['v'] !== 1) fail('v', '1', o['v']);
  let reading: SignedReading;
  try {
    reading = validateSignedReading(o['reading']);
  } catch (e) {
    const d = (e as LightNodeError).details as { field?: string; expected?: string };
    fail(`reading.${d?.field ?? ''}`, d?.expected ?? 'a valid signed reading', (e as Error).message);
  }
  const c = obj(o['contracts'], 'contracts');
  keys(c, ['podRegistry', 'readingAnchor'], 'contracts.');
  const a = obj(o['anchor'], 'anchor');
  keys(a, ['index', 'root', 'leafCount', 'fromMs', 'toMs', 'prevHash', 'transaction', 'blockNumber'], 'anchor.');
  const anchor: ReceiptAnchor = {
    index: count(a['index'], 'anchor.index'),
    root: hash32(a['root'], 'anchor.root'),
    leafCount: count(a['leafCount'], 'anchor.leafCount', 1),
    fromMs: count(a['fromMs'], 'anchor.fromMs'),
    toMs: count(a['toMs'], 'anchor.toMs'),
    prevHash: hash32(a['prevHash'], 'anchor.prevHash'),
    transaction: hash32(a['transaction'], 'anchor.transaction'),
    blockNumber: count(a['blockNumber'], 'anchor.blockNumber'),
  };
  if (anchor.toMs < anchor.fromMs) fail('anchor.toMs', `>= anchor.fromMs (${anchor.fromMs})`, anchor.toMs);
  const proof = o['proof'];
  if (!Array.isArray(proof) || proof.length > MAX_PROOF) fail('proof', `an array of at most ${MAX_PROOF} hashes`, proof);
  let cim: ReceiptCimMessage | undefined;
  if (rawCim !== undefined) {
    const c2 = obj(rawCim, 'cim');
    keys(c2, ['serverId', 'dataServerRegistry', 'payload', 'index'], 'cim.');
    if (typeof c2['serverId'] !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(c2['serverId'])) fail('cim.serverId', '1..64 characters of [A-Za-z0-9._-]', c2['serverId']);
    if (typeof c2['payload'] !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(c2['payload'])) fail('cim.payload', 'base64 text', c2['payload']);
    cim = { serverId: c2['serverId'], dataServerRegistry: address(c2['dataServerRegistry'], 'cim.dataServerRegistry'), payload: c2['payload'], index: count(c2['index'], 'cim.index') };
  }
  return {
    ...(cim ? { cim } : {}),
    v: 1,
    reading,
    digest: hash32(o['digest'], 'digest'),
    signer: address(o['signer'], 'signer'),
    chainId: count(o['chainId'], 'chainId', 1),
    contracts: { podRegistry: address(c['podRegistry'], 'contracts.podRegistry'), readingAnchor: address(c['readingAnchor'], 'contracts.readingAnchor') },
    anchor,
    proof: proof.map((p, i) => hash32(p, `proof[${i}]`)),
  };
}

/**
 * Check a (validated) receipt without a chain: the digest is the reading's EIP-712 digest under
 * the receipt's chain id and PodRegistry, the signature recovers `signer`, and the proof links the
 * digest to `anchor.root`. (The anchor window's meaning — reading or arrival time — is the
 * BAL's, so it is not checked here.) Throws `PROTO_RECEIPT_DIGEST_MISMATCH`,
 * `PROTO_SIGNATURE_INVALID`, `PROTO_RECEIPT_SIGNER_MISMATCH` or `PROTO_RECEIPT_PROOF_INVALID`.
 */
export function verifyReceiptOffline(r: Receipt): void {
  const domain = makeDomain(r.chainId, r.contracts.podRegistry);
  const digest = bytesToHex(readingDigest(domain, r.reading));
  if (digest !== r.digest) throw new LightNodeError('PROTO_RECEIPT_DIGEST_MISMATCH', 'digest is not the reading\'s EIP-712 digest', { expected: digest, found: r.digest });
  const signer = r.cim ? cimMessageSigner(domain, r, r.cim) : recoverReadingSigner(domain, r.reading);
  if (signer !== r.signer) throw new LightNodeError('PROTO_RECEIPT_SIGNER_MISMATCH', 'signature does not recover the receipt\'s signer', { recovered: signer, found: r.signer });
  if (!verifyMerkleProof(r.anchor.root, r.digest, r.proof)) throw new LightNodeError('PROTO_RECEIPT_PROOF_INVALID', 'proof does not link the digest to the anchor root', { root: r.anchor.root });
}

/**
 * A data server's reading: the message maps to exactly this reading at `index`, and the
 * reading's signature (the message signature) recovers the signer. Throws
 * `PROTO_RECEIPT_CIM_MISMATCH` or the CIM decoders' codes.
 */
function cimMessageSigner(domain: Eip712Domain, r: Receipt, cim: ReceiptCimMessage): Hex {
  const payload = Uint8Array.from(atob(cim.payload), (c) => c.charCodeAt(0));
  const hash = cimPayloadHash(payload);
  const mapped = cimMessageToReadings(decodeCimPayload(payload).message, hash).readings[cim.index];
  const { signature: _sig, ...reading } = r.reading;
  if (!mapped || cim.index !== r.reading.seq % MAX_IMPORT_READINGS || JSON.stringify(mapped) !== JSON.stringify(reading)) {
    throw new LightNodeError('PROTO_RECEIPT_CIM_MISMATCH', `reading is not reading ${cim.index} of the signed message`, { index: cim.index, hash });
  }
  return recoverCimSigner(domain, cim.serverId, payload, r.reading.signature);
}
