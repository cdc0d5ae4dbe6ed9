/**
 * The BAL's registry mirror (DESIGN §5, issue 5 item 2): PodRegistry events from the deploy
 * block, then followed live by polling `eth_getLogs` over block ranges. Answers
 * `checkSigner(pod, signer, ms)` from memory; a miss (unknown PoD, other signer) falls back to
 * one `deviceAt` contract call, so a reading signed right after a rotation is not refused just
 * because the next poll has not run yet. Failed fallbacks (chain unreachable) answer `retry`:
 * the ingest then leaves that reading un-acked and the device resends it later.
 */
import type { Provider } from 'ethers';
import { podRegistryClient } from '@lightnode/contracts/registry/client';
import type { Logger } from '../log.js';
import type { MetricsRegistry } from '../metrics.js';
import { PodHistory, type Address } from './pod-history.js';
import { chainError, chainTimeoutCounter, isChainTimeout } from '../chain/rpc-error.js';
import type { RegistryVerdict, SignerProblem } from './verdict.js';

export interface RegistryMirrorOptions {
  provider: Provider;
  /** PodRegistry address. */
  podRegistry: string;
  /** First block to scan (the deployment's `deployBlock`). */
  fromBlock: number;
  /** Poll interval, ms; default 1000. */
  pollIntervalMs?: number;
  /** Max blocks per eth_getLogs call; default 5000. */
  maxBlockRange?: number;
  /** Blocks behind the head considered final; default 0 (QBFT/anvil have instant finality). */
  confirmations?: number;
  log: Logger;
  metrics?: MetricsRegistry;
}

export interface RegistryMirror {
  /** Memory-only verdict (no I/O). */
  checkLocal(pod: string, signer: Address, ms: number): SignerProblem | null;
  /** Verdict with the contract fallback on a miss. */
  checkSigner(pod: string, signer: Address, ms: number): Promise<RegistryVerdict>;
  deviceAt(pod: string, ms: number): Address | null;
  deviceOf(pod: string): Address | null;
  isSetpointSigner(a: Address): boolean;
  /** Last block whose events are applied. */
  syncedBlock(): number;
  /** Poll once now (catch up to the head); resolves when applied. */
  syncNow(): Promise<void>;
  /** The underlying history (read-only use). */
  readonly history: PodHistory;
  stop(): Promise<void>;
}

function lower(a: string): Address { return a.toLowerCase() as Address; }

/** Build the mirror from the deploy block (resolves once caught up), then follow live. */
export async function startRegistryMirror(opts: RegistryMirrorOptions): Promise<RegistryMirror> {
  const { provider, log } = opts;
  const registry = podRegistryClient(opts.podRegistry, provider);
  const pollMs = opts.pollIntervalMs ?? 1000;
  const maxRange = opts.maxBlockRange ?? 5000;
  const confirmations = opts.confirmations ?? 0;
  const history = new PodHistory();
  const m = opts.metrics;
  const eventsApplied = m?.counter('bal_registry_events_total', 'PodRegistry events applied to the mirror', ['event']);
  const fallbacks = m?.counter('bal_registry_fallback_calls_total', 'deviceAt contract calls on a mirror miss', ['result']);
  const pollErrors = m?.counter('bal_registry_poll_errors_total', 'Failed registry polls (chain unreachable, RPC error, timeout)');
  const timeouts = m ? chainTimeoutCounter(m) : undefined;
  m?.gauge('bal_registry_synced_block', 'Last block applied to the registry mirror', [], () => synced);
  m?.gauge('bal_registry_pods', 'PoDs known to the registry mirror', [], () => history.podCount());

  let synced = opts.fromBlock - 1;
  let head = -1;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let inflight: Promise<void> | null = null;
  // Negative fallback answers, valid while the chain head has not moved.
  const negative = new Map<string, SignerProblem>();

  async function pollOnce(): Promise<void> {
    const latest = await provider.getBlockNumber();
    const target = latest - confirmations;
    if (latest !== head) negative.clear();
    head = latest;
    while (synced < target && !stopped) {
      const from = synced + 1;
      const to = Math.min(target, from + maxRange - 1);
      // Decoded and in chain order (block, log index): the history applies them as they come.
      for (const e of await registry.logs(from, to)) {
        history.apply(e);
        eventsApplied?.inc({ event: e.kind });
      }
      synced = to;
    }
  }

  function syncNow(): Promise<void> {
    if (!inflight) {
      inflight = pollOnce().finally(() => { inflight = null; });
    }
    return inflight;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      syncNow().catch((err) => {
        pollErrors?.inc();
        if (isChainTimeout(err)) timeouts?.inc({ component: 'registry' });
        log.warn('registry poll failed', { err: chainError(err, 'registry poll') });
      }).finally(schedule);
    }, pollMs);
  }

  await syncNow();
  log.info('registry mirror synced', { block: synced, pods: history.podCount() });
  schedule();

  return {
    history,
    checkLocal: (pod, signer, ms) => history.check(pod, signer, ms),
    async checkSigner(pod, signer, ms) {
      const local = history.check(pod, signer, ms);
      if (local === null) return { ok: true };
      // Keyed by (pod, signer): a flood of forged readings costs one RPC per new block, not one per reading.
      const key = `${pod}|${signer}`;
      const cached = negative.get(key);
      if (cached !== undefined) {
        // The cache only says "the chain agrees this is a miss"; the code depends on `ms`.
        const code = local === 'BAL_POD_UNKNOWN' ? cached : local;
        return { ok: false, code, reason: reasonFor(code, pod, signer, ms) };
      }
      try {
        const onChain = await registry.deviceAt(pod, ms);
        if (onChain === signer) {
          fallbacks?.inc({ result: 'hit' });
          syncNow().catch(() => {}); // the mirror is behind: catch up in the background
          return { ok: true };
        }
        fallbacks?.inc({ result: 'miss' });
        let code = local;
        if (code === 'BAL_POD_UNKNOWN' && onChain !== null) {
          // The chain knows the PoD but the mirror does not yet: catch up for the exact code.
          await syncNow().catch(() => {});
          code = history.check(pod, signer, ms) ?? 'BAL_SIGNER_NOT_REGISTERED';
        }
        if (negative.size > 100_000) negative.clear();
        negative.set(key, code);
        return { ok: false, code, reason: reasonFor(code, pod, signer, ms) };
      } catch (err) {
        fallbacks?.inc({ result: 'error' });
        if (isChainTimeout(err)) timeouts?.inc({ component: 'registry' });
        log.warn('registry fallback call failed', { pod, err: chainError(err, 'registry deviceAt') });
        return { ok: false, retry: true, reason: 'registry unreachable' };
      }
    },
    deviceAt: (pod, ms) => history.deviceAt(pod, ms),
    deviceOf: (pod) => history.deviceOf(pod),
    isSetpointSigner: (a) => history.isSetpointSigner(lower(a)),
    syncedBlock: () => synced,
    syncNow,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inflight?.catch(() => {});
    },
  };
}

function reasonFor(code: SignerProblem, pod: string, signer: string, ms: number): string {
  switch (code) {
    case 'BAL_POD_UNKNOWN': return `PoD ${pod} is not in the registry`;
    case 'BAL_DEVICE_REVOKED': return `device ${signer} of ${pod} was revoked before ${ms}`;
    default: return `signer ${signer} is not the device of ${pod} at ${ms}`;
  }
}
