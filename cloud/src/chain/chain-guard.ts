/**
 * The chain guard (issue 17 defect 3): asks the RPC whether it still serves the configured chain
 * (identity.ts) and keeps the verdict for /healthz and the anchorer. A reset chain is reported as
 * `mismatch` — once per change of state, as a `BAL_CHAIN_MISMATCH` error line, and on the gauge
 * `bal_chain_mismatch` — and the anchorer pauses until the right chain answers again.
 *
 * Cost: while the chain is known good a check is two small calls (chain id, deploy block); the
 * contracts' code is fetched only when the last verdict was not `ok` (start, after an outage or a
 * mismatch), since a chain whose deploy block hash is unchanged still holds what was deployed.
 */
import { LightNodeError } from '@lightnode/shared/errors';
import type { Hex } from '@lightnode/shared/hex';
import type { Logger } from '../log.js';
import type { MetricsRegistry } from '../metrics.js';
import { identityProblems, type ExpectedChain } from './identity.js';
import { chainError } from './rpc-error.js';

/** The calls the guard needs (an ethers JsonRpcProvider has them). */
export interface ChainReader {
  send(method: string, params: unknown[]): Promise<unknown>;
  getBlock(block: number): Promise<{ hash: string | null } | null>;
  getCode(address: string): Promise<string>;
}

export type ChainVerdict =
  | { state: 'ok' }
  | { state: 'mismatch'; problems: string[] }
  | { state: 'unreachable'; error: unknown };

export interface ChainGuard {
  /** Ask the chain now (joins a check already running). Never throws. */
  check(): Promise<ChainVerdict>;
  /** The last verdict, null before the first check. */
  last(): ChainVerdict | null;
}

export interface ChainGuardOptions {
  reader: ChainReader;
  expected: ExpectedChain;
  log: Logger;
  metrics: MetricsRegistry;
}

/** Create the guard (no I/O until the first `check`). */
export function createChainGuard(opts: ChainGuardOptions): ChainGuard {
  const { reader, log } = opts;
  const expected: ExpectedChain = { ...opts.expected };
  let last: ChainVerdict | null = null;
  let known: 'ok' | 'mismatch' | null = null; // last identity verdict (an outage says nothing about identity)
  let running: Promise<ChainVerdict> | null = null;
  const mismatches = opts.metrics.counter('bal_chain_mismatch_total', 'Times the chain behind the RPC URL turned out not to be the configured one (chain id, contract code or deploy block hash)');
  opts.metrics.gauge('bal_chain_mismatch', '1 while the chain behind the RPC URL is not the configured one (anchoring paused)', [], () => (known === 'mismatch' ? 1 : 0));

  async function observe(full: boolean): Promise<ChainVerdict> {
    const names = full ? Object.keys(expected.contracts) : [];
    let chainId: unknown; let block: { hash: string | null } | null; let codes: string[];
    try {
      [chainId, block, codes] = await Promise.all([
        reader.send('eth_chainId', []),
        reader.getBlock(expected.deployBlock),
        Promise.all(names.map((n) => reader.getCode(expected.contracts[n]!))),
      ]);
    } catch (err) {
      return { state: 'unreachable', error: chainError(err, 'chain identity check') };
    }
    const codeBytes: Record<string, number> = {};
    names.forEach((n, i) => { codeBytes[n] = Math.max(0, (codes[i]!.length - 2) / 2); });
    const observedHash = block?.hash ? (block.hash.toLowerCase() as Hex) : null;
    const problems = identityProblems(expected, { chainId: Number(BigInt(String(chainId))), codeBytes, deployBlockHash: observedHash });
    if (problems.length > 0) return { state: 'mismatch', problems };
    if (expected.deployBlockHash === null && full && observedHash) {
      expected.deployBlockHash = observedHash;
      log.info('chain identity pinned: deploy block hash', { block: expected.deployBlock, hash: observedHash });
    }
    return { state: 'ok' };
  }

  function record(v: ChainVerdict): void {
    last = v;
    if (v.state === 'unreachable' || v.state === known) return;
    if (v.state === 'mismatch') {
      mismatches.inc();
      log.error('the chain behind the RPC URL is not the configured one; anchoring paused until it is', {
        err: new LightNodeError('BAL_CHAIN_MISMATCH', v.problems.join('; ')), problems: v.problems,
      });
    } else if (known === 'mismatch') log.warn('the configured chain answers again; anchoring resumes', { chainId: expected.chainId });
    known = v.state;
  }

  return {
    check() {
      running ??= observe(last?.state !== 'ok').then((v) => { record(v); return v; }).finally(() => { running = null; });
      return running;
    },
    last: () => last,
  };
}
