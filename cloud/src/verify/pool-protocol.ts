/** Messages between the verification pool (./pool.ts) and its workers (./verify-worker.ts). */
import type { SignedReading } from '@lightnode/shared/reading';
import type { SecpImpl } from './recover.js';
import type { CoreBatchResult } from './verify-core.js';

/** workerData of each worker. */
export interface WorkerInit { separatorHex: `0x${string}`; secp: 'auto' | SecpImpl }

export interface PoolJob { pod: string; payload: Uint8Array | string }

export type PoolRequest =
  | { kind: 'jobs'; seq: number; jobs: PoolJob[] }
  | { kind: 'ceiling'; seq: number; readings: SignedReading[]; rounds: number };

export type PoolResponse =
  | { kind: 'ready'; secp: SecpImpl }
  | { kind: 'results'; seq: number; results: CoreBatchResult[] }
  | { kind: 'ceiling'; seq: number; verified: number; ms: number };
