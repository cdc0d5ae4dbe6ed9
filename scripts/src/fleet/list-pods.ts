/**
 * The registry as its events tell it: every PoD with its current device, state and history
 * length, folded from DeviceRegistered / DeviceRotated / DeviceRevoked since the deploy block.
 */
import type { EventLog, Log } from 'ethers';
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
  const logs: (EventLog | Log)[] = [];
  try {
    for (let b = from; b <= latest; b += chunk) {
      const to = Math.min(latest, b + chunk - 1);
      for (const name of ['DeviceRegistered', 'DeviceRotated', 'DeviceRevoked']) {
        logs.push(...(await ctx.registry.queryFilter(name, b, to)));
      }
    }
  } catch (err) {
    throw toFleetError(err, 'reading registry events');
  }
  logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  const pods = new Map<string, PodEntry>();
  for (const log of logs) {
    if (!('args' in log)) continue;
    const a = log.args;
    const pod = String(a.getValue('pod'));
    const prev = pods.get(pod);
    const changes = (prev?.changes ?? 0) + 1;
    switch (log.eventName) {
      case 'DeviceRegistered':
        pods.set(pod, { pod, device: String(a.getValue('device')).toLowerCase(), state: 'active', sinceMs: Number(a.getValue('validFromMs')), changes, lastBlock: log.blockNumber });
        break;
      case 'DeviceRotated':
        pods.set(pod, { pod, device: String(a.getValue('newDevice')).toLowerCase(), state: 'active', sinceMs: Number(a.getValue('atMs')), changes, lastBlock: log.blockNumber });
        break;
      case 'DeviceRevoked':
        pods.set(pod, { pod, device: null, state: 'revoked', sinceMs: Number(a.getValue('atMs')), changes, lastBlock: log.blockNumber });
        break;
    }
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
