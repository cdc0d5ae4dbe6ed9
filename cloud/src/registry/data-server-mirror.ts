/**
 * The BAL's mirror of the DataServerRegistry (issue 13 §4): events from the deploy block, then
 * followed by polling `eth_getLogs`, like the PodRegistry mirror (./mirror.ts). A miss (unknown
 * server, other key, PoD not granted) catches up with the chain once before it is final, so a
 * message sent right after a registration or grant is not refused because the poll was late.
 */
import type { Provider } from 'ethers';
import { dataServerRegistryClient } from '@lightnode/contracts/data-servers/client';
import type { Hex } from '@lightnode/shared/hex';
import type { Logger } from '../log.js';
import type { MetricsRegistry } from '../metrics.js';
import { DataServerHistory, type DataServerProblem } from './data-server-history.js';

export interface DataServerMirrorOptions {
  provider: Provider;
  /** DataServerRegistry address. */
  address: string;
  fromBlock: number;
  /** Poll interval, ms; default 1000. */
  pollIntervalMs?: number;
  /** Max blocks per eth_getLogs call; default 5000. */
  maxBlockRange?: number;
  log: Logger;
  metrics?: MetricsRegistry;
}

/** The registry's answer for one message: ok, a final problem (with the PoD for a grant), or retry later. */
export type DataServerVerdict = { ok: true } | { ok: false; code: DataServerProblem; reason: string } | { ok: false; retry: true; reason: string };

export interface DataServerMirror {
  /**
   * Is `signer` the key of `serverId` at `ms`, and may it speak for every one of `pods` at `ms`?
   * Catches up with the chain once on a miss; `retry` when the chain is unreachable then.
   */
  check(serverId: string, signer: Hex, pods: readonly string[], ms: number): Promise<DataServerVerdict>;
  syncNow(): Promise<void>;
  readonly history: DataServerHistory;
  stop(): Promise<void>;
}

/** Build the mirror from `fromBlock` (resolves once caught up), then follow live. */
export async function startDataServerMirror(opts: DataServerMirrorOptions): Promise<DataServerMirror> {
  const { provider, log } = opts;
  const client = dataServerRegistryClient(opts.address, provider);
  const pollMs = opts.pollIntervalMs ?? 1000;
  const maxRange = opts.maxBlockRange ?? 5000;
  const history = new DataServerHistory();
  const applied = opts.metrics?.counter('bal_data_server_events_total', 'DataServerRegistry events applied to the mirror', ['event']);
  const pollErrors = opts.metrics?.counter('bal_data_server_poll_errors_total', 'Failed DataServerRegistry polls');
  opts.metrics?.gauge('bal_data_servers', 'Data servers known to the mirror', [], () => history.serverCount());
  let synced = opts.fromBlock - 1;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let inflight: Promise<void> | null = null;

  async function pollOnce(): Promise<void> {
    const target = await provider.getBlockNumber();
    while (synced < target && !stopped) {
      const to = Math.min(target, synced + maxRange);
      for (const e of await client.logs(synced + 1, to)) { history.apply(e); applied?.inc({ event: e.kind }); }
      synced = to;
    }
  }
  function syncNow(): Promise<void> {
    inflight ??= pollOnce().finally(() => { inflight = null; });
    return inflight;
  }
  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      syncNow().catch((err) => { pollErrors?.inc(); log.warn('data-server registry poll failed', { err }); }).finally(schedule);
    }, pollMs);
  }

  function local(serverId: string, signer: Hex, pods: readonly string[], ms: number): DataServerVerdict {
    const key = history.checkKey(serverId, signer, ms);
    if (key) return { ok: false, code: key, reason: keyReason(key, serverId, signer, ms) };
    const forbidden = pods.filter((p) => !history.maySpeakFor(serverId, p, ms));
    if (forbidden.length > 0) {
      return { ok: false, code: 'BAL_CIM_USAGE_POINT_FORBIDDEN', reason: `data server ${serverId} may not speak for ${forbidden.slice(0, 5).join(', ')}${forbidden.length > 5 ? ` and ${forbidden.length - 5} more` : ''} at ${new Date(ms).toISOString()}` };
    }
    return { ok: true };
  }

  await syncNow();
  log.info('data-server mirror synced', { block: synced, servers: history.serverCount() });
  schedule();

  return {
    history,
    syncNow,
    async check(serverId, signer, pods, ms) {
      const first = local(serverId, signer, pods, ms);
      if (first.ok) return first;
      try {
        await syncNow();
      } catch (err) {
        log.warn('data-server registry catch-up failed', { err });
        return { ok: false, retry: true, reason: 'data-server registry unreachable' };
      }
      return local(serverId, signer, pods, ms);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inflight?.catch(() => {});
    },
  };
}

function keyReason(code: DataServerProblem, id: string, signer: Hex, ms: number): string {
  const at = new Date(ms).toISOString();
  switch (code) {
    case 'BAL_DATA_SERVER_UNKNOWN': return `data server ${id} is not registered at ${at}`;
    case 'BAL_DATA_SERVER_REVOKED': return `data server ${id} has no valid key at ${at} (revoked)`;
    default: return `signature recovers ${signer}, not data server ${id}'s key at ${at}`;
  }
}
