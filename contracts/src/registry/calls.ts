/**
 * Ethers-free PodRegistry call encoding, for callers that must not load ethers (the edge agent,
 * DESIGN §2): the selectors they call and the decoding of the return data. The selectors are
 * constants (keccak256 of the signature, first 4 bytes) so the agent hashes nothing at start;
 * test/registry-abi.test.ts checks each against the compiled artifact. Imports no ABI library.
 */
import { LightNodeError } from '@lightnode/shared/errors';
import type { Hex } from '@lightnode/shared/hex';

/** 4-byte selectors of the PodRegistry views read over plain JSON-RPC `eth_call`. */
export const POD_REGISTRY_SELECTORS = {
  'setpointSigners()': '0xc1c77e14',
} as const satisfies Record<string, Hex>;

/** `eth_call` data of `setpointSigners()` (no arguments: the selector alone). */
export const SETPOINT_SIGNERS_CALL: Hex = POD_REGISTRY_SELECTORS['setpointSigners()'];

/** Largest array accepted: a bound on the work a hostile RPC answer can cause. */
const MAX_ARRAY_LENGTH = 10_000n;

/**
 * Decode the ABI-encoded return value of a function returning one `address[]`; addresses
 * lower-case. `fn` names the call in the error. Throws CONTRACTS_ABI_DECODE.
 */
export function decodeAddressArray(data: string, fn = 'address[]'): Hex[] {
  const hex = data.replace(/^0x/, '');
  const bad = (why: string): never => { throw new LightNodeError('CONTRACTS_ABI_DECODE', `${fn}: ${why}`, { fn }); };
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 64 !== 0 || hex.length < 128) bad('return data is not ABI words');
  const words = hex.length / 64;
  const word = (i: number): bigint => BigInt(`0x${hex.slice(i * 64, i * 64 + 64)}`);
  const offset = word(0);
  if (offset % 32n !== 0n || offset / 32n + 1n > BigInt(words)) bad('bad array offset');
  const at = Number(offset / 32n);
  const len = word(at);
  if (len > MAX_ARRAY_LENGTH || BigInt(at) + 1n + len > BigInt(words)) bad('bad array length');
  const out: Hex[] = [];
  for (let i = 0; i < Number(len); i++) {
    const w = hex.slice((at + 1 + i) * 64, (at + 2 + i) * 64);
    if (!/^0{24}/.test(w)) bad('address word with high bits set');
    out.push(`0x${w.slice(24).toLowerCase()}`);
  }
  return out;
}

/** Decode the return data of `setpointSigners()`. Throws CONTRACTS_ABI_DECODE. */
export function decodeSetpointSigners(data: string): Hex[] {
  return decodeAddressArray(data, 'setpointSigners()');
}
