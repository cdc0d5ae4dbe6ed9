// ethers handles for a deployment: a provider without request caching and Contract objects for
// PodRegistry / ReadingAnchor / SubscriptionRegistry built from the compiled ABIs.
import { Contract, FetchRequest, JsonRpcProvider, type ContractRunner } from 'ethers';
import { loadArtifact } from './artifacts.js';

/**
 * JsonRpcProvider for a local or permissioned chain: fixed chain id (no network polling) and
 * request caching off (ethers caches identical calls for 250 ms by default, which returns stale
 * nonces and stale views right after a transaction). `timeoutMs` bounds every request (ethers'
 * default is 5 minutes): a hung node then fails the call with ethers' `TIMEOUT` error instead of
 * stalling its caller.
 */
export function jsonRpcProvider(rpcUrl: string, chainId?: number, opts: { timeoutMs?: number } = {}): JsonRpcProvider {
  const request = new FetchRequest(rpcUrl);
  if (opts.timeoutMs !== undefined) request.timeout = opts.timeoutMs;
  return new JsonRpcProvider(request, chainId, { staticNetwork: chainId !== undefined, cacheTimeout: -1 });
}

/** ethers Contract for the PodRegistry at `address` (ABI from the build artifact). */
export function podRegistryAt(address: string, runner: ContractRunner): Contract {
  return new Contract(address, loadArtifact('PodRegistry').abi as never, runner);
}

/** ethers Contract for the ReadingAnchor at `address` (ABI from the build artifact). */
export function readingAnchorAt(address: string, runner: ContractRunner): Contract {
  return new Contract(address, loadArtifact('ReadingAnchor').abi as never, runner);
}

/** ethers Contract for the SubscriptionRegistry at `address` (ABI from the build artifact). */
export function subscriptionRegistryAt(address: string, runner: ContractRunner): Contract {
  return new Contract(address, loadArtifact('SubscriptionRegistry').abi as never, runner);
}
