// Contract-call helpers for the contract tests (the chain itself: `@lightnode/test-kit/chain`).
import type { Contract } from 'ethers';

/**
 * Awaits `p` and fails unless it reverts with the custom error `errorName` of `contract`'s ABI.
 * Decodes the revert data itself: ethers leaves `revert` null when the failure comes from the
 * signer's estimateGas rather than from the contract wrapper.
 */
export async function expectRevert(contract: Contract, p: Promise<unknown>, errorName: string): Promise<unknown[]> {
  try {
    await p;
  } catch (err) {
    const e = err as { data?: string; revert?: { name: string; args: unknown[] } | null; message: string };
    let decoded = e.revert ? { name: e.revert.name, args: [...e.revert.args] } : null;
    if (!decoded && typeof e.data === 'string' && e.data.length >= 10) {
      const parsed = contract.interface.parseError(e.data);
      if (parsed) decoded = { name: parsed.name, args: [...parsed.args] };
    }
    if (decoded?.name === errorName) return decoded.args;
    throw new Error(`expected revert ${errorName}, got ${decoded ? decoded.name : e.message}`);
  }
  throw new Error(`expected revert ${errorName}, but the call succeeded`);
}

/** Sends a contract transaction and returns its mined receipt (throws if it reverted). */
export async function send(
  contract: Contract,
  fn: string,
  ...args: unknown[]
): Promise<import('ethers').TransactionReceipt> {
  const tx = (await contract.getFunction(fn)(...args)) as import('ethers').ContractTransactionResponse;
  const receipt = await tx.wait();
  if (!receipt || receipt.status !== 1) throw new Error(`${fn} failed`);
  return receipt;
}

/** Decoded events of `name` in a receipt. */
export function eventsOf(contract: Contract, receipt: import('ethers').TransactionReceipt, name: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const log of receipt.logs) {
    const parsed = contract.interface.parseLog(log);
    if (parsed?.name === name) out.push(parsed.args.toObject());
  }
  return out;
}
