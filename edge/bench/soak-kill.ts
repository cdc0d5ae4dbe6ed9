/**
 * Soak version of the SIGKILL test: `pnpm --filter @lightnode/edge exec tsx bench/soak-kill.ts [iterations]`
 * (default 2000). Kills the spooling child at random moments, reopens, checks integrity, no lost
 * commit, no seq reuse. Prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killLoop } from '../test/helpers/kill-loop.js';

const iterations = Number(process.argv[2] ?? process.env.SOAK_ITERATIONS ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'ln-soak-'));
const t0 = performance.now();
try {
  const res = await killLoop({ dir, iterations, maxDelayMs: 60, onIteration: (i) => { if ((i + 1) % 100 === 0) process.stderr.write(`${i + 1}/${iterations}\n`); } });
  console.log(JSON.stringify({ bench: 'edge.soak_kill', iterations: res.iterations, committedReadings: res.committed, maxSeq: res.maxSeq, failures: res.failures, seconds: Number(((performance.now() - t0) / 1000).toFixed(1)) }));
  process.exitCode = res.failures.length ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
