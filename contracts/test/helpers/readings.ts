// Readings for contract tests, hashed and signed with ethers' TypedDataEncoder (the independent
// implementation the Solidity digest is checked against, next to the committed shared vectors).
import { TypedDataEncoder, type Wallet } from 'ethers';

export interface Measurement { quantity: string; value: number; scale: number; unit: string }
export interface Reading { pod: string; meter: string; seq: number; timestamp: number; source: string; values: Measurement[] }
export interface Domain { name: string; version: string; chainId: number; verifyingContract: string }

/** EIP-712 types exactly as docs/interfaces.md. */
export const READING_TYPES = {
  Reading: [
    { name: 'pod', type: 'string' },
    { name: 'meter', type: 'string' },
    { name: 'seq', type: 'uint64' },
    { name: 'timestamp', type: 'uint64' },
    { name: 'source', type: 'string' },
    { name: 'values', type: 'Measurement[]' },
  ],
  Measurement: [
    { name: 'quantity', type: 'string' },
    { name: 'value', type: 'int64' },
    { name: 'scale', type: 'int8' },
    { name: 'unit', type: 'string' },
  ],
};

export function domainOf(chainId: number, podRegistry: string): Domain {
  return { name: 'LightNode', version: '1', chainId, verifyingContract: podRegistry };
}

/** The struct as the contract ABI takes it (no signature field). */
export function toStruct(r: Reading): Reading {
  return { pod: r.pod, meter: r.meter, seq: r.seq, timestamp: r.timestamp, source: r.source, values: r.values.map((v) => ({ ...v })) };
}

export function ethersDigest(domain: Domain, r: Reading): string {
  return TypedDataEncoder.hash(domain, READING_TYPES, toStruct(r));
}

export function ethersStructHash(r: Reading): string {
  return TypedDataEncoder.from(READING_TYPES).hash(toStruct(r));
}

export async function ethersSign(wallet: Wallet, domain: Domain, r: Reading): Promise<string> {
  return wallet.signTypedData(domain, READING_TYPES, toStruct(r));
}

/** A varied reading: 1..n measurements with negative values/scales and non-ASCII-free strings. */
export function sampleReading(pod: string, seq: number, timestamp: number, n = 3): Reading {
  const all: Measurement[] = [
    { quantity: '1-0:1.8.0', value: 123_456_789 + seq, scale: 0, unit: 'Wh' },
    { quantity: '1-0:16.7.0', value: -4520 - seq, scale: 0, unit: 'W' },
    { quantity: '1-0:32.7.0', value: 2301, scale: -1, unit: 'V' },
    { quantity: '1-0:14.7.0', value: 49_998, scale: -3, unit: 'Hz' },
    { quantity: '1-0:2.8.0', value: Number.MAX_SAFE_INTEGER, scale: 18, unit: 'Wh' },
    { quantity: '1-0:31.7.0', value: -Number.MAX_SAFE_INTEGER, scale: -18, unit: 'A' },
  ];
  return { pod, meter: `sunspec:40000.${seq % 7}`, seq, timestamp, source: seq % 2 ? 'modbus' : 'chain2', values: all.slice(0, Math.max(1, Math.min(n, all.length))) };
}
