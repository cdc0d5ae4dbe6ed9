/**
 * The chain facts the agent needs: the EIP-712 domain (chainId + PodRegistry address) and the
 * RPC URL for the setpoint-signer list. From the deployment file written by `pnpm chain`
 * (contracts' `Deployment` JSON) and/or inline `chain.*` config, inline winning.
 */
import { readFileSync } from 'node:fs';
import { LightNodeError, ValidationError } from '@lightnode/shared/errors';
import type { Hex } from '@lightnode/shared/hex';
import type { AgentConfig } from './config.js';

export interface ChainFacts { chainId: number; podRegistry: Hex; rpcUrl?: string }

/** Resolve chain facts from config (+ deployment file). Throws CONFIG_INVALID / CONFIG_READ. */
export function resolveChain(cfg: AgentConfig['chain']): ChainFacts {
  let dep: Record<string, unknown> = {};
  if (cfg.deploymentFile) {
    try {
      dep = JSON.parse(readFileSync(cfg.deploymentFile, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new LightNodeError('CONFIG_READ', `deployment file ${cfg.deploymentFile}: ${(err as Error).message}`, { path: cfg.deploymentFile });
    }
  }
  const chainId = cfg.chainId ?? dep.chainId;
  const podRegistry = cfg.podRegistry ?? dep.podRegistry;
  const rpcUrl = cfg.rpcUrl ?? dep.rpcUrl;
  if (typeof chainId !== 'number' || !Number.isSafeInteger(chainId) || chainId < 1) throw new ValidationError('CONFIG_INVALID', 'chain.chainId', 'a positive integer (config or deployment file)', chainId);
  if (typeof podRegistry !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(podRegistry)) throw new ValidationError('CONFIG_INVALID', 'chain.podRegistry', 'a 20-byte 0x address (config or deployment file)', podRegistry);
  if (rpcUrl !== undefined && typeof rpcUrl !== 'string') throw new ValidationError('CONFIG_INVALID', 'chain.rpcUrl', 'a URL', rpcUrl);
  return { chainId, podRegistry: podRegistry.toLowerCase() as Hex, ...(rpcUrl ? { rpcUrl } : {}) };
}
