/**
 * A fresh anvil with PodRegistry + ReadingAnchor + SubscriptionRegistry + DataServerRegistry deployed
 * (anvil account 0 is admin, DSO, BAL and topic admin), for every package's chain tests. Artifacts are (re)built first when the Solidity
 * changed, so a test never runs against stale bytecode.
 */
import { LightNodeError } from '@lightnode/shared/errors';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet, type Contract, type JsonRpcProvider } from 'ethers';
import { ANVIL_PRIVATE_KEYS, startAnvil, type AnvilHandle } from '@lightnode/contracts/anvil';
import { buildArtifacts } from '@lightnode/contracts/build';
import { jsonRpcProvider, podRegistryAt, readingAnchorAt, subscriptionRegistryAt } from '@lightnode/contracts/connect';
import { dataServerRegistryClient, type DataServerRegistryClient } from '@lightnode/contracts/data-servers/client';
import { deployAll, writeDeployment, type Deployment } from '@lightnode/contracts/deploy';
import { makeDomain, type Eip712Domain } from '@lightnode/shared/eip712';

export interface ChainFixture {
  anvil: AnvilHandle;
  provider: JsonRpcProvider;
  /** anvil accounts 0..9; [0] is admin, DSO, BAL and topic admin. */
  wallets: Wallet[];
  /** wallets[0]: admin, DSO, BAL and topic admin (TOPIC_ADMIN_ROLE of the SubscriptionRegistry). */
  dso: Wallet;
  deployment: Deployment;
  /** A scratch folder, removed by stop(). */
  dir: string;
  /** `deployment.json` in `dir`, the file `pnpm chain` writes and the CLIs read. */
  deploymentPath: string;
  /** The EIP-712 domain of this deployment (chain id, PodRegistry). */
  domain: Eip712Domain;
  /** PodRegistry connected as wallets[0]. */
  registry: Contract;
  /** ReadingAnchor connected as wallets[0]. */
  anchor: Contract;
  /** SubscriptionRegistry connected as wallets[0]. */
  subscriptions: Contract;
  /** DataServerRegistry client writing as wallets[0] (the DSO). */
  dataServers: DataServerRegistryClient;
  /** Stops anvil and removes `dir`; call it in an `after` hook (anvil is also killed on process exit). */
  stop(): Promise<void>;
}

/** Starts anvil, deploys the contracts with account 0 and writes the deployment file. */
export async function startChain(): Promise<ChainFixture> {
  buildArtifacts({ quiet: true });
  const anvil = await startAnvil();
  const dir = mkdtempSync(join(tmpdir(), 'ln-chain-'));
  try {
    const provider = jsonRpcProvider(anvil.rpcUrl, anvil.chainId);
    const wallets = ANVIL_PRIVATE_KEYS.map((k) => new Wallet(k, provider));
    const admin = wallets[0]!;
    const deployment = await deployAll(admin, { rpcUrl: anvil.rpcUrl });
    const deploymentPath = join(dir, 'deployment.json');
    writeDeployment(deploymentPath, deployment);
    return {
      anvil,
      provider,
      wallets,
      dso: admin,
      deployment,
      dir,
      deploymentPath,
      domain: makeDomain(deployment.chainId, deployment.podRegistry),
      registry: podRegistryAt(deployment.podRegistry, admin),
      anchor: readingAnchorAt(deployment.readingAnchor, admin),
      subscriptions: subscriptionRegistryAt(deployment.subscriptionRegistry!, admin),
      dataServers: dataServerRegistryClient(deployment.dataServerRegistry!, admin),
      async stop() {
        provider.destroy();
        await anvil.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Registers `pod` → `device` in the fixture's PodRegistry as the DSO, and waits for the receipt. */
export async function registerPod(chain: ChainFixture, pod: string, device: string): Promise<void> {
  await (await chain.registry.getFunction('register')(pod, device)).wait();
}

/** Grants DSO_ADMIN_ROLE of the fixture's SubscriptionRegistry to `account` (a DSO admin user's wallet) as the admin. */
export async function grantDsoAdmin(chain: ChainFixture, account: string): Promise<void> {
  const role = (await chain.subscriptions.getFunction('DSO_ADMIN_ROLE')()) as string;
  await (await chain.subscriptions.getFunction('grantRole')(role, account)).wait();
}

/** The hooks of a uvu suite that `chainPerSuite` registers on. */
export interface SuiteHooks { before(fn: () => Promise<void> | void): void; after(fn: () => Promise<void> | void): void }

/**
 * One chain for a whole test file: started before its first test, stopped after its last.
 * Returns the fixture's accessor (it throws when called before the suite started).
 */
export function chainPerSuite(suite: SuiteHooks): () => ChainFixture {
  let fx: ChainFixture | undefined;
  suite.before(async () => { fx = await startChain(); });
  suite.after(async () => { await fx?.stop(); });
  return () => {
    if (!fx) throw new LightNodeError('CONTRACTS_ANVIL_START_FAILED', 'chainPerSuite: the chain is not started (called outside a test?)');
    return fx;
  };
}

/** Moves chain time forward by `seconds` and mines a block. */
export async function increaseTime(provider: JsonRpcProvider, seconds: number): Promise<void> {
  await provider.send('evm_increaseTime', [seconds]);
  await provider.send('evm_mine', []);
}
