// Test fixture: a fresh anvil with PodRegistry + ReadingAnchor deployed (account 0 = admin, DSO, BAL).
import { Contract, Wallet, type JsonRpcProvider } from 'ethers';
import { ANVIL_PRIVATE_KEYS, startAnvil, type AnvilHandle } from '../../src/anvil.js';
import { buildArtifacts } from '../../src/build.js';
import { jsonRpcProvider, podRegistryAt, readingAnchorAt } from '../../src/connect.js';
import { deployAll, type Deployment } from '../../src/deploy.js';

export interface Fixture {
  anvil: AnvilHandle;
  provider: JsonRpcProvider;
  /** anvil accounts 0..9; [0] is admin, DSO and BAL. */
  wallets: Wallet[];
  deployment: Deployment;
  /** Connected as wallets[0]. */
  registry: Contract;
  /** Connected as wallets[0]. */
  anchor: Contract;
  stop(): Promise<void>;
}

/** Starts anvil and deploys; call stop() in an `after` hook (anvil is also killed on process exit). */
export async function setupChain(): Promise<Fixture> {
  buildArtifacts({ quiet: true });
  const anvil = await startAnvil();
  const provider = jsonRpcProvider(anvil.rpcUrl, anvil.chainId);
  const wallets = ANVIL_PRIVATE_KEYS.map((k) => new Wallet(k, provider));
  const deployment = await deployAll(wallets[0]!);
  return {
    anvil,
    provider,
    wallets,
    deployment,
    registry: podRegistryAt(deployment.podRegistry, wallets[0]!),
    anchor: readingAnchorAt(deployment.readingAnchor, wallets[0]!),
    async stop() {
      provider.destroy();
      await anvil.stop();
    },
  };
}

/** Moves chain time forward by `seconds` and mines a block. */
export async function increaseTime(provider: JsonRpcProvider, seconds: number): Promise<void> {
  await provider.send('evm_increaseTime', [seconds]);
  await provider.send('evm_mine', []);
}

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
