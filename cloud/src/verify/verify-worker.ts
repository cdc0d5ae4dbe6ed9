/**
 * Worker-thread entry of the verification pool (./pool.ts). Receives arrays of jobs per
 * message (coalesced by the pool) and answers with the results in the same order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createBatchVerifier } from './verify-core.js';
import type { PoolRequest, PoolResponse, WorkerInit } from './pool-protocol.js';

const init = workerData as WorkerInit;
const verifier = createBatchVerifier(Uint8Array.from(Buffer.from(init.separatorHex.slice(2), 'hex')), init.secp);
parentPort!.postMessage({ kind: 'ready', secp: verifier.secp } satisfies PoolResponse);

parentPort!.on('message', (req: PoolRequest) => {
  if (req.kind === 'jobs') {
    const { pods, ends, bytes } = req.jobs;
    const all = new Uint8Array(bytes);
    const results = pods.map((pod, i) => verifier.verifyPayload(pod, all.subarray(i === 0 ? 0 : ends[i - 1], ends[i])));
    parentPort!.postMessage({ kind: 'results', seq: req.seq, results } satisfies PoolResponse);
  } else if (req.kind === 'ceiling') {
    let ok = 0;
    const t0 = performance.now();
    for (let round = 0; round < req.rounds; round++) {
      for (const s of verifier.verifyReadings(req.readings)) if (s !== null) ok++;
    }
    parentPort!.postMessage({ kind: 'ceiling', seq: req.seq, verified: ok, ms: performance.now() - t0 } satisfies PoolResponse);
  }
});
