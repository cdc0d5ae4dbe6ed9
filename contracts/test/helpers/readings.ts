// Readings for contract tests, hashed and signed with ethers' TypedDataEncoder (the independent
// implementation the Solidity digest is checked against, next to the committed shared vectors).
// The EIP-712 types, domain and reading model are shared's own (`@lightnode/shared/eip712`,
// `/reading`), so these Solidity tests check the shared type strings against the contracts.
import { TypedDataEncoder, type TypedDataField, type Wallet } from 'ethers';
import { READING_TYPES as SHARED_READING_TYPES, type Eip712Domain } from '@lightnode/shared/eip712';
import type { Measurement, Reading } from '@lightnode/shared/reading';

/** Shared's EIP-712 reading types, as the mutable records ethers takes. */
export const READING_TYPES: Record<string, TypedDataField[]> = {
  Reading: SHARED_READING_TYPES.Reading.map((f) => ({ ...f })),
  Measurement: SHARED_READING_TYPES.Measurement.map((f) => ({ ...f })),
};

/** The struct as the contract ABI takes it (no signature field). */
export function toStruct(r: Reading): Reading {
  return { pod: r.pod, meter: r.meter, seq: r.seq, timestamp: r.timestamp, source: r.source, values: r.values.map((v) => ({ ...v })) };
}

export function ethersDigest(domain: Eip712Domain, r: Reading): string {
  return TypedDataEncoder.hash(domain, READING_TYPES, toStruct(r));
}

export function ethersStructHash(r: Reading): string {
  return TypedDataEncoder.from(READING_TYPES).hash(toStruct(r));
}

export async function ethersSign(wallet: Wallet, domain: Eip712Domain, r: Reading): Promise<string> {
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
