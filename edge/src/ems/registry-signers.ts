/**
 * The DSO's setpoint-signing addresses, read from PodRegistry `setpointSigners()` over plain
 * JSON-RPC `eth_call`, with the last known list cached on disk for when the chain is out of
 * reach. No list at all (never fetched, no cache) → every setpoint is refused (fail closed).
 * The call data and the decoding come from the ethers-free part of the registry client
 * (`@lightnode/contracts/registry/calls`): the agent never loads ethers (DESIGN §2). The fetch
 * and the cache file stay here.
 */
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateDir } from '@lightnode/shared/private-files';
import { SETPOINT_SIGNERS_CALL, decodeSetpointSigners } from '@lightnode/contracts/registry/calls';
import { LightNodeError } from '@lightnode/shared/errors';
import type { Hex } from '@lightnode/shared/hex';

/** Call `setpointSigners()` on `podRegistry` at `rpcUrl`. Throws EDGE_RPC_UNAVAILABLE / EDGE_RPC_ERROR / EDGE_RPC_DECODE. */
export async function fetchSetpointSigners(rpcUrl: string, podRegistry: Hex, timeoutMs = 5000): Promise<Hex[]> {
  let res: Response;
  try {
    res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: podRegistry, data: SETPOINT_SIGNERS_CALL }, 'latest'] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new LightNodeError('EDGE_RPC_UNAVAILABLE', `chain RPC ${rpcUrl} unreachable (${(err as Error).message})`, { rpcUrl });
  }
  let body: { result?: unknown; error?: { code?: number; message?: string } };
  try { body = await res.json() as typeof body; } catch {
    throw new LightNodeError('EDGE_RPC_ERROR', `chain RPC ${rpcUrl}: HTTP ${res.status}, not JSON`, { rpcUrl });
  }
  if (body.error || typeof body.result !== 'string') {
    throw new LightNodeError('EDGE_RPC_ERROR', `chain RPC eth_call failed: ${body.error?.message ?? 'no result'}`, { rpcUrl, rpcCode: body.error?.code });
  }
  try {
    return decodeSetpointSigners(body.result);
  } catch (err) {
    // Same message, the edge's code: a malformed answer is an RPC fault to the agent's metrics.
    throw new LightNodeError('EDGE_RPC_DECODE', (err as Error).message, { rpcUrl }, { cause: err });
  }
}

/** On-disk cache document. */
interface SignerCache { v: 1; chainId: number; podRegistry: Hex; fetchedMs: number; signers: Hex[] }

/** Where the list came from, for metrics and status. */
export type SignerListSource = 'chain' | 'cache' | 'none';

/** Keeps the current setpoint-signer list: chain first, disk cache as fallback. */
export class SetpointSignerList {
  #signers: Set<string> | null = null;
  #source: SignerListSource = 'none';
  #fetchedMs: number | null = null;

  constructor(private readonly o: { rpcUrl?: string; chainId: number; podRegistry: Hex; cacheFile: string; timeoutMs?: number; now?: () => number }) {
    this.#loadCache();
  }

  #loadCache(): void {
    try {
      const c = JSON.parse(readFileSync(this.o.cacheFile, 'utf8')) as SignerCache;
      // A cache from another chain or registry must never authorise anything here.
      if (c.v === 1 && c.chainId === this.o.chainId && c.podRegistry === this.o.podRegistry.toLowerCase() && Array.isArray(c.signers)) {
        this.#signers = new Set(c.signers.map((s) => s.toLowerCase()));
        this.#source = 'cache';
        this.#fetchedMs = c.fetchedMs;
      }
    } catch { /* no cache yet */ }
  }

  /** Fetch from the chain and update the cache; on failure keep what we have and rethrow. */
  async refresh(): Promise<Hex[]> {
    if (!this.o.rpcUrl) throw new LightNodeError('EDGE_RPC_UNAVAILABLE', 'no chain rpcUrl configured');
    const list = await fetchSetpointSigners(this.o.rpcUrl, this.o.podRegistry, this.o.timeoutMs);
    this.#signers = new Set(list);
    this.#source = 'chain';
    this.#fetchedMs = (this.o.now ?? Date.now)();
    const doc: SignerCache = { v: 1, chainId: this.o.chainId, podRegistry: this.o.podRegistry.toLowerCase() as Hex, fetchedMs: this.#fetchedMs, signers: list };
    const tmp = `${this.o.cacheFile}.tmp`;
    ensurePrivateDir(dirname(tmp));
    writeFileSync(tmp, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 });
    chmodSync(tmp, 0o600); // a leftover temp file keeps its old mode through writeFileSync
    renameSync(tmp, this.o.cacheFile);
    return list;
  }

  /** True when `address` is a known setpoint signer. Throws EDGE_SETPOINT_SIGNERS_UNKNOWN when no list is known. */
  has(address: string): boolean {
    if (!this.#signers) throw new LightNodeError('EDGE_SETPOINT_SIGNERS_UNKNOWN', 'setpoint signer list unknown (chain unreachable and no cache): refusing');
    return this.#signers.has(address.toLowerCase());
  }

  get source(): SignerListSource { return this.#source; }
  get fetchedMs(): number | null { return this.#fetchedMs; }
  get size(): number { return this.#signers?.size ?? 0; }
}
