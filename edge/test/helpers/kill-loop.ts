/**
 * The SIGKILL-during-spooling loop shared by the CI test and the soak bench: bundle the spool
 * child with esbuild (so each start costs a plain `node` start, not a TypeScript compile),
 * start it, kill -9 at a random moment, reopen the spool and check the invariants:
 * integrity_check ok; the seq high-water mark ≥ every reported commit; every committed seq
 * that was not (possibly) acked is still there with its own body; every new row's EIP-712
 * signature recovers to the key of the run that wrote it (signed before commit); no row above
 * the mark; no seq ever reported committed twice (no reuse).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Reading, SignedReading } from '@lightnode/shared/reading';
import { makeDomain, recoverReadingSigner } from '@lightnode/shared/eip712';
import { Spool } from '../../src/spool/spool.js';

const edgeDir = fileURLToPath(new URL('../../', import.meta.url));

export interface KillLoopResult { iterations: number; committed: number; maxSeq: number; failures: string[] }

/** Bundle the child into edge/node_modules/.cache (so `better-sqlite3` resolves). */
export async function bundleChild(): Promise<{ file: string; cleanup: () => void }> {
  const cache = join(edgeDir, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'ln-kill-'));
  const file = join(dir, 'spool-child.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./spool-child.ts', import.meta.url))],
    bundle: true, platform: 'node', format: 'esm', outfile: file, external: ['better-sqlite3'], logLevel: 'silent',
  });
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function runOnce(child: string, spoolPath: string, maxDelayMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, spoolPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // Kill at a random moment after the first commit: on a loaded machine a window that starts
      // at "ready" can end before anything is spooled, and the loop would test nothing.
      if (timer === undefined && /^k 0x[0-9a-f]{40}\nr\n/.test(out) && /\nc \d/.test(out)) {
        timer = setTimeout(() => p.kill('SIGKILL'), Math.random() * maxDelayMs);
      }
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (_code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited without being killed: ${err.slice(0, 500)}`));
      else resolve(out.split('\n'));
    });
  });
}

/** Run `iterations` kill cycles on one spool file in `dir`; collects invariant failures. */
export async function killLoop(opts: { dir: string; iterations: number; maxDelayMs?: number; onIteration?: (i: number) => void }): Promise<KillLoopResult> {
  const { file, cleanup } = await bundleChild();
  const spoolPath = join(opts.dir, 'kill.db');
  const committedEver = new Set<number>();
  const maybeAcked = new Set<number>(); // intent seen: may be gone
  const acked = new Set<number>(); // ack committed: must be gone
  const failures: string[] = [];
  const sign = (r: Reading): SignedReading => ({ ...r, signature: `0x${'00'.repeat(65)}` });
  let committed = 0;
  let maxSeq = -1;
  let verifiedUpTo = -1;
  const domain = makeDomain(31337, '0x5fbdb2315678afecb367f032d93f642f64180aa3');
  const runKeys = new Set<string>(); // the device address of every child run
  try {
    for (let i = 0; i < opts.iterations && failures.length < 5; i++) {
      const lines = await runOnce(file, spoolPath, opts.maxDelayMs ?? 40);
      for (const line of lines) {
        const [kind, a, b] = line.split(' ');
        if (kind === 'k') runKeys.add(a!);
        if (kind === 'c') {
          for (let s = Number(a); s <= Number(b); s++) {
            if (committedEver.has(s)) failures.push(`iteration ${i}: seq ${s} committed twice (reuse)`);
            committedEver.add(s);
            committed += 1;
            if (s > maxSeq) maxSeq = s;
          }
        } else if (kind === 'A') for (const s of a!.split(',').filter(Boolean)) maybeAcked.add(Number(s));
        else if (kind === 'a') for (const s of a!.split(',').filter(Boolean)) acked.add(Number(s));
      }
      const spool = Spool.open({ path: spoolPath, pod: 'IT001E12345678', sign });
      try {
        const integrity = spool.integrityCheck();
        if (integrity !== 'ok') failures.push(`iteration ${i}: integrity_check ${integrity}`);
        const st = spool.status();
        if ((st.lastSeq ?? -1) < maxSeq) failures.push(`iteration ${i}: high-water mark ${st.lastSeq} < reported commit ${maxSeq}`);
        const present = new Set<number>();
        for (const row of spool.readings()) {
          present.add(row.seq);
          const body = JSON.parse(row.body) as SignedReading;
          if (body.seq !== row.seq) failures.push(`iteration ${i}: row ${row.seq} holds reading seq ${body.seq}`);
          if (row.seq > (st.lastSeq ?? -1)) failures.push(`iteration ${i}: row ${row.seq} above high-water mark`);
          if (acked.has(row.seq)) failures.push(`iteration ${i}: acked seq ${row.seq} still spooled`);
          if (row.seq > verifiedUpTo) {
            // Every committed row, reported or not, carries a valid signature by a run's device key.
            let who = '';
            try { who = recoverReadingSigner(domain, body); } catch { who = 'invalid'; }
            if (!runKeys.has(who)) failures.push(`iteration ${i}: row ${row.seq} signed by ${who}`);
          }
        }
        verifiedUpTo = Math.max(verifiedUpTo, st.lastSeq ?? -1);
        for (const row of spool.quarantined()) present.add(row.seq);
        for (const s of committedEver) {
          if (!maybeAcked.has(s) && !present.has(s)) failures.push(`iteration ${i}: committed seq ${s} lost`);
        }
      } finally {
        spool.close();
      }
      opts.onIteration?.(i);
    }
  } finally {
    cleanup();
  }
  return { iterations: opts.iterations, committed, maxSeq, failures };
}
