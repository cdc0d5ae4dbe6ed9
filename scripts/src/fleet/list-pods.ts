/**
 * The registry as its events tell it: every PoD with its current device, state and history
 * length, folded from DeviceRegistered / DeviceRotated / DeviceRevoked since the deploy block.
 */
import type { RegistryLog } from '@lightnode/contracts/registry/events';
import type { FleetContext } from './context.js';
import { toFleetError } from './errors.js';

export interface PodEntry {
  pod: string;
  device: string | null;        // active device, null when revoked
  state: 'active' | 'revoked';
  sinceMs: number;              // chain time (ms) of the last change
  changes: number;              // registered + rotated + revoked events seen
  lastBlock: number;
}

/** Fold the registry's events into one entry per PoD, sorted by PoD code. */
export async function listPods(ctx: FleetContext, opts: { fromBlock?: number; chunkBlocks?: number } = {}): Promise<PodEntry[]> {
  const from = opts.fromBlock ?? ctx.deployment.deployBlock ?? 0;
  const latest = await ctx.provider.getBlockNumber();
  const chunk = opts.chunkBlocks ?? 10_000;
  const logs: RegistryLog[] = [];
  try {
    // Decoded, in chain order per range; ranges are read in order, so `logs` is in chain order.
    for (let b = from; b <= latest; b += chunk) logs.push(...(await ctx.registry.logs(b, Math.min(latest, b + chunk - 1))));
  } catch (err) {
    throw toFleetError(err, 'reading registry events');
  }
  const pods = new Map<string, PodEntry>();
  for (const log of logs) {
    if (log.kind !== 'registered' && log.kind !== 'rotated' && log.kind !== 'revoked') continue; // setpoint signers
    const changes = (pods.get(log.pod)?.changes ?? 0) + 1;
    const device = log.kind === 'registered' ? log.device : log.kind === 'rotated' ? log.newDevice : null;
    pods.set(log.pod, { pod: log.pod, device, state: device ? 'active' : 'revoked', sinceMs: log.atMs, changes, lastBlock: log.blockNumber });
  }
  return [...pods.values()].sort((x, y) => x.pod.localeCompare(y.pod));
}

/** Fixed-width table of PoD entries. */
export function formatPodTable(entries: PodEntry[]): string {
  const lines = [`${'pod'.padEnd(16)} ${'state'.padEnd(8)} ${'device'.padEnd(42)} since`];
  for (const e of entries) lines.push(`${e.pod.padEnd(16)} ${e.state.padEnd(8)} ${(e.device ?? '-').padEnd(42)} ${new Date(e.sinceMs).toISOString()}`);
  lines.push(`${entries.length} PoD(s), ${entries.filter((e) => e.state === 'active').length} active`);
  return lines.join('\n');
}
