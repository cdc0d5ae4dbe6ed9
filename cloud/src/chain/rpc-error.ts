/**
 * Chain RPC failures as coded errors (issue 17 defect 4): a request the node does not answer
 * within `chain.rpcTimeoutMs` (ethers' `TIMEOUT`, from the provider's per-request timeout) becomes
 * `BAL_CHAIN_TIMEOUT`, so a hung node is counted and logged like a refused connection instead of
 * stalling its caller silently.
 */
import { isError } from 'ethers';
import { LightNodeError } from '@lightnode/shared/errors';
import type { Counter, MetricsRegistry } from '../metrics.js';

/** True when `err` is a chain request that timed out. */
export function isChainTimeout(err: unknown): boolean {
  return (err instanceof LightNodeError && err.code === 'BAL_CHAIN_TIMEOUT') || isError(err, 'TIMEOUT');
}

/** `err` as a coded error when it is a timeout (`BAL_CHAIN_TIMEOUT`, naming `what`); other errors unchanged. */
export function chainError(err: unknown, what: string): unknown {
  if (err instanceof LightNodeError || !isError(err, 'TIMEOUT')) return err;
  return new LightNodeError('BAL_CHAIN_TIMEOUT', `${what}: the chain RPC did not answer in time`, {}, { cause: err });
}

/** `bal_chain_timeouts_total{component}`: chain requests that timed out, by the part that made them (also counted in that part's error metric). */
export function chainTimeoutCounter(metrics: MetricsRegistry): Counter {
  return metrics.counter('bal_chain_timeouts_total', 'Chain RPC requests that got no answer within chain.rpcTimeoutMs, by component', ['component']);
}
