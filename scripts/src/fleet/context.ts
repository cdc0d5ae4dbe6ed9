/**
 * Connects a fleet command to the chain: reads the deployment file, checks the RPC endpoint
 * answers (FLEET_CHAIN_UNREACHABLE otherwise, fast — no endless retry), and builds the
 * PodRegistry client (@lightnode/contracts/registry/client), with the DSO wallet for writes.
 */
import { readFileSync } from 'node:fs';
import { FetchRequest, JsonRpcProvider, type Wallet } from 'ethers';
import { podRegistryClient, type PodRegistryClient } from '@lightnode/contracts/registry/client';
import { FleetCode, FleetError, fetchFailure } from './errors.js';
import { loadDsoWallet } from './keys.js';
import { validateAddress } from './validate.js';

export interface GlobalOptions { rpc?: string; deployment?: string; keystore?: string; dryRun?: boolean; env?: NodeJS.ProcessEnv }

export interface Deployment { rpcUrl: string; chainId: number; podRegistry: `0x${string}`; readingAnchor: `0x${string}`; deployBlock: number; admin?: string; dataServerRegistry?: `0x${string}` }

export interface FleetContext {
  provider: JsonRpcProvider;
  deployment: Deployment;
  registry: PodRegistryClient;     // read-only, or connected to the DSO wallet when `write`
  wallet: Wallet | null;
  dryRun: boolean;
  close(): void;
}

/** Read and check a deployment JSON file (written by `pnpm chain` / deployAll). */
export function readDeploymentFile(path: string): Deployment {
  let d: Partial<Deployment>;
  try { d = JSON.parse(readFileSync(path, 'utf8')) as Partial<Deployment>; } catch (err) {
    throw new FleetError(FleetCode.DEPLOYMENT_INVALID, `cannot read deployment file ${path}: ${(err as Error).message}`);
  }
  try {
    validateAddress(d.podRegistry, `${path} podRegistry`);
  } catch (err) {
    throw new FleetError(FleetCode.DEPLOYMENT_INVALID, (err as Error).message);
  }
  return { rpcUrl: String(d.rpcUrl ?? ''), chainId: Number(d.chainId), podRegistry: d.podRegistry!.toLowerCase() as `0x${string}`, readingAnchor: String(d.readingAnchor ?? '').toLowerCase() as `0x${string}`, deployBlock: Number(d.deployBlock ?? 0), ...(d.admin ? { admin: d.admin } : {}),
    ...(d.dataServerRegistry ? { dataServerRegistry: validateAddress(d.dataServerRegistry, `${path} dataServerRegistry`) as `0x${string}` } : {}) };
}

/** eth_chainId with a timeout; throws FLEET_CHAIN_UNREACHABLE. */
export async function probeChain(rpcUrl: string, timeoutMs = 5000): Promise<number> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json()) as { result?: string };
    if (!body.result) throw new FleetError(FleetCode.CHAIN_UNREACHABLE, `no result (HTTP ${res.status})`);
    return Number(BigInt(body.result));
  } catch (err) {
    throw new FleetError(FleetCode.CHAIN_UNREACHABLE, `chain unreachable at ${rpcUrl}: ${fetchFailure(err)}`, { rpcUrl });
  }
}

/** Open the chain for a command; `write` loads the DSO key. */
export async function openContext(g: GlobalOptions, write: boolean): Promise<FleetContext> {
  const env = g.env ?? process.env;
  const deploymentPath = g.deployment ?? env.FLEET_DEPLOYMENT ?? 'deployment.json';
  const deployment = readDeploymentFile(deploymentPath);
  const rpcUrl = g.rpc ?? env.FLEET_RPC_URL ?? deployment.rpcUrl;
  if (!rpcUrl) throw new FleetError(FleetCode.USAGE, 'no RPC URL: pass --rpc or put rpcUrl in the deployment file');
  const wallet = write ? await loadDsoWallet({ ...(g.keystore ? { keystore: g.keystore } : {}), env }) : null;
  const chainId = await probeChain(rpcUrl);
  if (Number.isFinite(deployment.chainId) && deployment.chainId !== chainId) {
    throw new FleetError(FleetCode.DEPLOYMENT_INVALID, `deployment file is for chain ${deployment.chainId}, ${rpcUrl} is chain ${chainId}`);
  }
  const req = new FetchRequest(rpcUrl);
  req.timeout = 30_000;
  const provider = new JsonRpcProvider(req, chainId, { staticNetwork: true, batchMaxCount: 100, cacheTimeout: -1 });
  const code = await provider.getCode(deployment.podRegistry);
  if (code === '0x') throw new FleetError(FleetCode.DEPLOYMENT_INVALID, `no contract at podRegistry ${deployment.podRegistry} on chain ${chainId}`);
  const connected = wallet ? wallet.connect(provider) : null;
  const registry = podRegistryClient(deployment.podRegistry, connected ?? provider);
  if (connected) {
    const isDso = await registry.isDso(connected.address).catch(() => null);
    if (isDso === false) throw new FleetError(FleetCode.NOT_DSO, `${connected.address.toLowerCase()} does not hold the DSO role on PodRegistry ${deployment.podRegistry}`, { account: connected.address.toLowerCase() });
  }
  return { provider, deployment, registry, wallet: connected, dryRun: g.dryRun ?? false, close: () => provider.destroy() };
}
