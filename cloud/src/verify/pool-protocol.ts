/** Messages between the verification pool (./pool.ts) and its workers (./verify-worker.ts). */
import type { SignedReading } from '@lightnode/shared/reading';
import type { SecpImpl } from './recover.js';
import type { CoreBatchResult } from './verify-core.js';

/** workerData of each worker. */
export interface WorkerInit { separatorHex: `0x${string}`; secp: 'auto' | SecpImpl }

/**
 * Jobs of one postMessage: every payload copied once into one ArrayBuffer that is transferred
 * (not cloned): job i is `bytes[ends[i-1] ?? 0 .. ends[i]]` of the topic PoD `pods[i]`. (Cloning
 * an MQTT payload Buffer would copy its whole backing socket chunk, 64 KiB, per job.)
 */
export interface PoolJobs { pods: string[]; ends: number[]; bytes: ArrayBuffer }

export type PoolRequest =
  | { kind: 'jobs'; seq: number; jobs: PoolJobs }
  | { kind: 'ceiling'; seq: number; readings: SignedReading[]; rounds: number };

export type PoolResponse =
  | { kind: 'ready'; secp: SecpImpl }
  | { kind: 'results'; seq: number; results: CoreBatchResult[] }
  | { kind: 'ceiling'; seq: number; verified: number; ms: number };
