/**
 * The receipt checks of a reading a DSO data server sent as CIM (issue 13 §4; receipt `cim`):
 * the chain from the server's signed message to the stored reading.
 * - cim-payload: keccak256 of the payload is the hash the reading's source names (ethers).
 * - signature: the server's signature over the EIP-712 CimMessage digest recovers `signer` (ethers).
 * - cim-reading: the message, decoded and mapped, gives exactly this reading at `cim.index`. This
 *   one check runs our CIM decoder and mapping (@lightnode/shared/cim): there is no second CIM
 *   implementation here; the cryptographic checks above stay independent.
 * - signer-registered (on chain): `keyAt(serverId, message time)` is the signer and the server
 *   may speak for the PoD then (`maySpeakFor`), message time = seq div 2048.
 * - contract-verify (on chain): ReadingAnchor.verifyInclusion of the digest (verifyReading checks
 *   Light Node signatures, which a data server's reading does not have).
 */
import { Contract, Signature, TypedDataEncoder, keccak256, recoverAddress, type JsonRpcProvider } from 'ethers';
import { decodeCimPayload } from '@lightnode/shared/cim/signed-message';
import { cimMessageToReadings } from '@lightnode/shared/cim/import-map';
import { CIM_SEQ_FACTOR, DOMAIN_NAME, DOMAIN_VERSION, cimMessageTypes, dataServerRegistryAbi } from './receipt-abi.js';
import { receiptReadingDigest } from './offline-checks.js';
import type { ReceiptCheck, ReceiptLike } from './receipt-types.js';

type CimReceipt = ReceiptLike & { cim: NonNullable<ReceiptLike['cim']> };
const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

function payloadOf(r: CimReceipt): Uint8Array {
  return new Uint8Array(Buffer.from(r.cim.payload, 'base64'));
}

/** The offline checks of a CIM receipt (replacing `signature`). */
export function cimOfflineChecks(r: CimReceipt): ReceiptCheck[] {
  const out: ReceiptCheck[] = [];
  let payload: Uint8Array;
  let hash: string;
  try {
    payload = payloadOf(r);
    hash = keccak256(payload).toLowerCase();
  } catch (err) {
    return [{ name: 'cim-payload', ok: false, detail: `payload is not base64: ${(err as Error).message}` }];
  }
  const named = `cim:${hash.slice(2)}`;
  out.push({ name: 'cim-payload', ok: r.reading.source === named, detail: r.reading.source === named ? `payload hash ${hash} is the reading's source` : `reading source ${r.reading.source}, payload hashes to ${hash}` });
  out.push(signatureCheck(r, hash));
  return [...out, ...readingCheck(r, payload, hash)];
}

/** The server's signature over the EIP-712 CimMessage digest recovers the receipt's signer (ethers). */
function signatureCheck(r: CimReceipt, hash: string): ReceiptCheck {
  const name = 'signature';
  try {
    const sig = String(r.reading.signature);
    if (BigInt(Signature.from(sig).s) > SECP256K1_HALF_N) return { name, ok: false, detail: 'high-s signature (malleable) refused' };
    const domain = { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId: r.chainId, verifyingContract: r.contracts.podRegistry };
    const digest = TypedDataEncoder.hash(domain, cimMessageTypes, { serverId: r.cim.serverId, payloadHash: hash });
    const recovered = recoverAddress(digest, sig).toLowerCase();
    const ok = recovered === String(r.signer).toLowerCase();
    return { name, ok, detail: ok ? `data server ${r.cim.serverId}'s message signature recovers to ${recovered}` : `message signature recovers to ${recovered}, receipt names ${r.signer}` };
  } catch (err) {
    return { name, ok: false, detail: `cannot recover the message signer: ${(err as Error).message}` };
  }
}

/** The message maps to exactly the receipt's reading at `cim.index` (our CIM decoder and mapping). */
function readingCheck(r: CimReceipt, payload: Uint8Array, hash: string): ReceiptCheck[] {
  const out: ReceiptCheck[] = [];
  try {
    const mapped = cimMessageToReadings(decodeCimPayload(payload).message, hash as `0x${string}`).readings[r.cim.index];
    const { signature: _s, ...reading } = r.reading;
    const ok = mapped !== undefined && r.cim.index === r.reading.seq % CIM_SEQ_FACTOR && JSON.stringify(mapped) === JSON.stringify(reading);
    out.push({ name: 'cim-reading', ok, detail: ok ? `the message maps to this reading at index ${r.cim.index}` : `reading ${r.cim.index} of the message is ${mapped ? JSON.stringify(mapped) : 'missing'}` });
  } catch (err) {
    out.push({ name: 'cim-reading', ok: false, detail: `message does not decode: ${(err as Error).message}` });
  }
  return out;
}

/** The server's key at the message time is the signer and it may speak for the PoD (DataServerRegistry). */
export async function checkCimServerRegistered(provider: JsonRpcProvider, r: CimReceipt, expected?: string): Promise<ReceiptCheck> {
  const name = 'signer-registered';
  const registry = r.cim.dataServerRegistry.toLowerCase();
  if (expected && expected.toLowerCase() !== registry) return { name, ok: false, detail: `receipt names DataServerRegistry ${registry}, expected ${expected.toLowerCase()}` };
  try {
    const c = new Contract(registry, dataServerRegistryAbi, provider);
    const ms = Math.floor(r.reading.seq / CIM_SEQ_FACTOR);
    const at = new Date(ms).toISOString();
    const key = String(await c.getFunction('keyAt')(r.cim.serverId, BigInt(ms))).toLowerCase();
    if (key !== String(r.signer).toLowerCase()) return { name, ok: false, detail: `data server ${r.cim.serverId}'s key at ${at} is ${key}, not ${r.signer}` };
    const may = Boolean(await c.getFunction('maySpeakFor')(r.cim.serverId, r.reading.pod, BigInt(ms)));
    if (!may) return { name, ok: false, detail: `data server ${r.cim.serverId} could not speak for ${r.reading.pod} at ${at}` };
    return { name, ok: true, detail: `${r.signer} was data server ${r.cim.serverId}'s key, allowed for ${r.reading.pod}, at ${at}` };
  } catch (err) {
    return { name, ok: false, detail: `DataServerRegistry read failed: ${(err as Error).message}` };
  }
}

/** ReadingAnchor.verifyInclusion of the recomputed digest. */
export async function checkCimOnChainInclusion(anchorC: Contract, r: ReceiptLike): Promise<ReceiptCheck> {
  const name = 'contract-verify';
  try {
    const ok = Boolean(await anchorC.getFunction('verifyInclusion')(BigInt(r.anchor.index), receiptReadingDigest(r), r.proof));
    return { name, ok, detail: ok ? 'ReadingAnchor.verifyInclusion: Ok' : 'ReadingAnchor.verifyInclusion refuses the proof' };
  } catch (err) {
    return { name, ok: false, detail: `verifyInclusion failed: ${(err as Error).message}` };
  }
}

/** True for a receipt of a data server's reading. */
export function isCimReceipt(r: ReceiptLike): r is CimReceipt {
  return r.cim !== undefined && r.cim !== null;
}
