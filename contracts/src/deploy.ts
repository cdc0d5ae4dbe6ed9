// Deploys PodRegistry + ReadingAnchor + SubscriptionRegistry with ethers and reads/writes the deployment file that
// `pnpm chain` produces and edge, cloud and scripts read.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ContractFactory, JsonRpcProvider, type Signer } from 'ethers';
import type { Hex } from '@lightnode/shared/hex';
import { loadArtifact } from './artifacts.js';
import { LightNodeError } from '@lightnode/shared/errors';

/** Where the contracts live; the JSON of the deployment file. Addresses lower-case. */
export interface Deployment {
  rpcUrl: string;
  chainId: number;
  podRegistry: Hex;
  readingAnchor: Hex;
  /** The SubscriptionRegistry (data access decisions); null in deployment files written before it existed. */
  subscriptionRegistry: Hex | null;
  /** Block of the PodRegistry deployment: where event scans (registry mirror) start. */
  deployBlock: number;
  /**
   * Hash of `deployBlock`: with the chain id and the contracts' code it tells this chain from
   * another one on the same RPC URL (a reset devnet). Absent in files written before it existed.
   */
  deployBlockHash?: Hex;
  /** Holder of DEFAULT_ADMIN_ROLE on every contract. */
  admin: Hex;
}

/** Options of deployAll. */
export interface DeployOptions {
  /** Admin of every contract; default: the signer. */
  admin?: string;
  /** Accounts granted DSO_ROLE on PodRegistry; default: [signer] (only works when the signer is the admin). */
  dso?: string[];
  /** Accounts granted BAL_ROLE on ReadingAnchor; default: [signer] (only works when the signer is the admin). */
  bal?: string[];
  /** Accounts granted TOPIC_ADMIN_ROLE on SubscriptionRegistry (the BAL's relay account); default: [signer] (only works when the signer is the admin). */
  topicAdmins?: string[];
  /** Accounts granted DSO_ADMIN_ROLE on SubscriptionRegistry (wallets of the DSO's admin users); default: none. */
  dsoAdmins?: string[];
  /** RPC URL written into the Deployment; default: the URL of the signer's JsonRpcProvider. */
  rpcUrl?: string;
}

/**
 * Deploys PodRegistry, ReadingAnchor(podRegistry, admin) and SubscriptionRegistry(admin), in that
 * order (the PodRegistry's address on a fresh anvil is the committed vectors' verifyingContract),
 * grants the DSO, BAL, topic-admin and DSO-admin roles, returns the Deployment.
 */
export async function deployAll(signer: Signer, opts: DeployOptions = {}): Promise<Deployment> {
  const provider = signer.provider;
  if (!provider) throw new LightNodeError('CONTRACTS_SIGNER_NO_PROVIDER', 'deployAll: the signer has no provider');
  const from = (await signer.getAddress()).toLowerCase() as Hex;
  const admin = (opts.admin ?? from).toLowerCase() as Hex;

  // Explicit nonces: ethers' JsonRpcProvider caches identical requests for 250 ms (cacheTimeout), so
  // back-to-back transactions of one signer would otherwise reuse a stale 'pending' nonce.
  let nonce = await provider.getTransactionCount(from, 'pending');
  const reg = loadArtifact('PodRegistry');
  const anc = loadArtifact('ReadingAnchor');
  const registry = await new ContractFactory(reg.abi as never, reg.bytecode, signer).deploy(admin, { nonce: nonce++ });
  const registryReceipt = await registry.deploymentTransaction()!.wait();
  const podRegistry = (await registry.getAddress()).toLowerCase() as Hex;
  const anchor = await new ContractFactory(anc.abi as never, anc.bytecode, signer).deploy(podRegistry, admin, { nonce: nonce++ });
  await anchor.deploymentTransaction()!.wait();
  const readingAnchor = (await anchor.getAddress()).toLowerCase() as Hex;
  const sub = loadArtifact('SubscriptionRegistry');
  const subscriptions = await new ContractFactory(sub.abi as never, sub.bytecode, signer).deploy(admin, { nonce: nonce++ });
  await subscriptions.deploymentTransaction()!.wait();
  const subscriptionRegistry = (await subscriptions.getAddress()).toLowerCase() as Hex;

  const dso = opts.dso ?? [from];
  const bal = opts.bal ?? [from];
  if (dso.length > 0) {
    const role = (await registry.getFunction('DSO_ROLE')()) as string;
    for (const a of dso) await (await registry.getFunction('grantRole')(role, a, { nonce: nonce++ })).wait();
  }
  if (bal.length > 0) {
    const role = (await anchor.getFunction('BAL_ROLE')()) as string;
    for (const a of bal) await (await anchor.getFunction('grantRole')(role, a, { nonce: nonce++ })).wait();
  }
  const grants: [string, string[]][] = [['TOPIC_ADMIN_ROLE', opts.topicAdmins ?? [from]], ['DSO_ADMIN_ROLE', opts.dsoAdmins ?? []]];
  for (const [name, accounts] of grants) {
    if (accounts.length === 0) continue;
    const role = (await subscriptions.getFunction(name)()) as string;
    for (const a of accounts) await (await subscriptions.getFunction('grantRole')(role, a, { nonce: nonce++ })).wait();
  }

  const network = await provider.getNetwork();
  const rpcUrl = opts.rpcUrl ?? (provider instanceof JsonRpcProvider ? provider._getConnection().url : '');
  return {
    rpcUrl,
    chainId: Number(network.chainId),
    podRegistry,
    readingAnchor,
    subscriptionRegistry,
    deployBlock: registryReceipt?.blockNumber ?? 0,
    ...(registryReceipt?.blockHash ? { deployBlockHash: registryReceipt.blockHash.toLowerCase() as Hex } : {}),
    admin,
  };
}

/** Writes the deployment file (pretty JSON), creating its directory. */
export function writeDeployment(path: string, d: Deployment): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(d, null, 2)}\n`);
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * Reads and validates a deployment file; throws naming the field that is wrong. A file without
 * `subscriptionRegistry` (written before it existed) reads with it null, one without
 * `deployBlockHash` without it.
 */
export function readDeployment(path: string): Deployment {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new LightNodeError('CONTRACTS_DEPLOYMENT_INVALID', `deployment file ${path}: ${(err as Error).message}`);
  }
  const o = raw as Record<string, unknown>;
  const bad = (field: string, expected: string): never => {
    throw new LightNodeError('CONTRACTS_DEPLOYMENT_INVALID', `deployment file ${path}: field ${field} must be ${expected}, found ${JSON.stringify(o?.[field])}`);
  };
  if (typeof o !== 'object' || o === null) throw new LightNodeError('CONTRACTS_DEPLOYMENT_INVALID', `deployment file ${path}: not a JSON object`);
  if (typeof o.rpcUrl !== 'string' || !/^(https?|wss?):\/\//.test(o.rpcUrl)) bad('rpcUrl', 'an http(s)/ws(s) URL');
  if (!Number.isSafeInteger(o.chainId) || (o.chainId as number) <= 0) bad('chainId', 'a positive integer');
  for (const f of ['podRegistry', 'readingAnchor', 'admin']) {
    if (typeof o[f] !== 'string' || !ADDRESS.test(o[f] as string)) bad(f, 'a 0x-prefixed 20-byte address');
  }
  const sub = o.subscriptionRegistry;
  if (sub !== undefined && sub !== null && (typeof sub !== 'string' || !ADDRESS.test(sub))) bad('subscriptionRegistry', 'a 0x-prefixed 20-byte address, null or absent');
  if (!Number.isSafeInteger(o.deployBlock) || (o.deployBlock as number) < 0) bad('deployBlock', 'an integer >= 0');
  const hash = o.deployBlockHash;
  if (hash !== undefined && hash !== null && (typeof hash !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(hash))) bad('deployBlockHash', 'a 0x-prefixed 32-byte hash, null or absent');
  return {
    rpcUrl: o.rpcUrl as string,
    chainId: o.chainId as number,
    podRegistry: (o.podRegistry as string).toLowerCase() as Hex,
    readingAnchor: (o.readingAnchor as string).toLowerCase() as Hex,
    subscriptionRegistry: typeof sub === 'string' ? (sub.toLowerCase() as Hex) : null,
    deployBlock: o.deployBlock as number,
    ...(typeof hash === 'string' ? { deployBlockHash: hash.toLowerCase() as Hex } : {}),
    admin: (o.admin as string).toLowerCase() as Hex,
  };
}
