/**
 * A data server's signed CIM message (issue 13 §4): the exact payload bytes (a MeterReadings
 * document, XML or JSON) and a detached secp256k1 signature over them, in one MQTT payload that
 * works on MQTT 3.1.1 as on 5 (no user properties needed):
 *
 *   bytes 0..3   magic `LNC` + version 0x01
 *   bytes 4..68  signature r||s||v (65 bytes, v ∈ {27, 28}, low s)
 *   bytes 69..   the payload, unchanged
 *
 * What is signed is an EIP-712 digest, so one key cannot be replayed across protocols or chains:
 * domain = the Light Node domain (`makeDomain(chainId, PodRegistry)`), struct
 * `CimMessage(string serverId,bytes32 payloadHash)`, payloadHash = keccak256(payload bytes).
 * ethers' `TypedDataEncoder` computes the same digest (shared/test/cim-signed-message.test.ts).
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { ValidationError } from '../errors.js';
import { bytesToHex, hexToBytes, type Hex } from '../hex.js';
import { domainSeparator, recoverDigestSigner, signDigest, type Eip712Domain } from '../eip712.js';
import { decodeCimXml } from './xml-codec.js';
import { decodeCimJson } from './json-codec.js';
import type { CimMessage } from './model.js';

export const CIM_MESSAGE_TYPE = 'CimMessage(string serverId,bytes32 payloadHash)';
/** The struct for ethers' TypedDataEncoder (independent checks). */
export const CIM_MESSAGE_TYPES = { CimMessage: [{ name: 'serverId', type: 'string' }, { name: 'payloadHash', type: 'bytes32' }] } as const;
export const SIGNED_CIM_MAGIC = Uint8Array.of(0x4c, 0x4e, 0x43, 0x01);
const HEADER = SIGNED_CIM_MAGIC.length + 65;
const TEXT = new TextEncoder();
const TYPEHASH = keccak_256(TEXT.encode(CIM_MESSAGE_TYPE));

/** keccak256 of the payload bytes, lower-case hex: the message hash of provenance and receipts. */
export function cimPayloadHash(payload: Uint8Array): Hex {
  return bytesToHex(keccak_256(payload));
}

/** The EIP-712 digest a data server signs for `payload`. */
export function cimMessageDigest(domain: Eip712Domain, serverId: string, payloadHash: Hex): Uint8Array {
  const struct = new Uint8Array(96);
  struct.set(TYPEHASH, 0);
  struct.set(keccak_256(TEXT.encode(serverId)), 32);
  struct.set(hexToBytes(payloadHash, 32, 'payloadHash'), 64);
  const out = new Uint8Array(66);
  out[0] = 0x19; out[1] = 0x01;
  out.set(domainSeparator(domain), 2);
  out.set(keccak_256(struct), 34);
  return keccak_256(out);
}

/** Sign `payload` as data server `serverId` and wrap both in the wire format above. */
export function signCimMessage(domain: Eip712Domain, serverId: string, payload: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const sig = signDigest(cimMessageDigest(domain, serverId, cimPayloadHash(payload)), privateKey);
  return wrapSignedCim(payload, sig);
}

/** The wire bytes of `payload` with `signature` (any 65 bytes: the fault simulator sends bad ones). */
export function wrapSignedCim(payload: Uint8Array, signature: Hex): Uint8Array {
  const out = new Uint8Array(HEADER + payload.length);
  out.set(SIGNED_CIM_MAGIC, 0);
  out.set(hexToBytes(signature, 65, 'signature'), SIGNED_CIM_MAGIC.length);
  out.set(payload, HEADER);
  return out;
}

/** Split the wire bytes; throws `CIM_ENVELOPE_INVALID` for a wrong magic or a short message. */
export function unwrapSignedCim(bytes: Uint8Array): { signature: Hex; payload: Uint8Array } {
  if (bytes.length <= HEADER || SIGNED_CIM_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new ValidationError('CIM_ENVELOPE_INVALID', 'message', `"LNC\\x01" + 65-byte signature + a non-empty payload (${HEADER + 1}+ bytes)`, `${bytes.length} bytes starting ${bytesToHex(bytes.subarray(0, 4))}`);
  }
  return { signature: bytesToHex(bytes.subarray(4, HEADER)), payload: bytes.subarray(HEADER) };
}

/** The signer of a data server's message (lower-case address). Throws `PROTO_SIGNATURE_INVALID`. */
export function recoverCimSigner(domain: Eip712Domain, serverId: string, payload: Uint8Array, signature: Hex): Hex {
  return recoverDigestSigner(cimMessageDigest(domain, serverId, cimPayloadHash(payload)), signature);
}

/** Content types of a payload, told by its first non-blank byte (`<` XML, `{` JSON). */
export type CimContentType = 'application/xml' | 'application/json';

/** Decode a payload as XML or JSON by its first non-blank byte; the codecs' `CIM_` codes otherwise. */
export function decodeCimPayload(payload: Uint8Array): { contentType: CimContentType; message: CimMessage } {
  let i = 0;
  if (payload[0] === 0xef && payload[1] === 0xbb && payload[2] === 0xbf) i = 3; // UTF-8 BOM
  while (i < payload.length && (payload[i] === 0x20 || payload[i] === 0x0a || payload[i] === 0x0d || payload[i] === 0x09)) i++;
  if (payload[i] === 0x7b) return { contentType: 'application/json', message: decodeCimJson(payload) };
  return { contentType: 'application/xml', message: decodeCimXml(payload) };
}
