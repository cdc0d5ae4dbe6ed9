/**
 * Is the chain behind the RPC URL the one the BAL was configured for (issue 17 defect 3)? A
 * devnet reset on the same port answers `getBlockNumber` like the right chain, so liveness is not
 * identity. Identity is: the chain id, contract code at each configured address, and the hash of
 * the deploy block (from the deployment file, or pinned at the first check that found the rest
 * right). Pure: the chain guard (chain-guard.ts) observes, this compares.
 */
import type { Hex } from '@lightnode/shared/hex';

/** What the configuration says the chain is. */
export interface ExpectedChain {
  chainId: number;
  /** Contract name → address (lower-case); each must hold code. */
  contracts: Readonly<Record<string, Hex>>;
  deployBlock: number;
  /** Hash of `deployBlock`; null while not known (pinned by the guard at the first good check). */
  deployBlockHash: Hex | null;
}

/** What the chain answered. `codeBytes` may omit contracts that were not looked at this time. */
export interface ObservedChain {
  chainId: number;
  codeBytes: Readonly<Record<string, number>>;
  /** Hash of block `deployBlock` on that chain; null when the chain has no such block. */
  deployBlockHash: Hex | null;
}

/** Why the observed chain is not the expected one (empty: it is). */
export function identityProblems(expected: ExpectedChain, observed: ObservedChain): string[] {
  const problems: string[] = [];
  if (observed.chainId !== expected.chainId) problems.push(`chain id ${observed.chainId}, expected ${expected.chainId}`);
  if (observed.deployBlockHash === null) problems.push(`no block ${expected.deployBlock} (the deploy block) on this chain`);
  else if (expected.deployBlockHash !== null && observed.deployBlockHash !== expected.deployBlockHash.toLowerCase()) {
    problems.push(`deploy block ${expected.deployBlock} has hash ${observed.deployBlockHash}, expected ${expected.deployBlockHash.toLowerCase()}`);
  }
  for (const [name, address] of Object.entries(expected.contracts)) {
    const bytes = observed.codeBytes[name];
    if (bytes === 0) problems.push(`no ${name} code at ${address}`);
  }
  return problems;
}
