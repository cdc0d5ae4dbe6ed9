/**
 * Named leases in the store (cloud/README "Roles and the anchor lease", "Running several
 * instances"): among the candidates for a lease, exactly one leads at a time. `anchor` (the
 * instances with the `anchor` role: exactly one anchors) and `retention` (the day archiver). Each
 * candidate asks the store every `renewMs` to take or renew the lease for `ttlMs`; a grant carries
 * an epoch (fencing token) that every anchoring write names, so a stale leader's write fails in
 * the store (`BAL_LEASE_FENCED`).
 *
 * A leader counts itself leader only until `renewDeadlineMs` (< `ttlMs`) after it *sent* its last
 * successful renewal: the store dated the lease's end later than that send, so a leader that cannot
 * renew (store unreachable, process stalled) stops anchoring before anyone else can take over.
 * Only clock rates matter here, not clock offsets between hosts.
 */
import { LightNodeError } from '@lightnode/shared/errors';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { MetricsRegistry } from '../metrics.js';
import type { BalStore, LeaseFence } from '../store/types.js';

export const ANCHOR_LEASE = 'anchor';
/** The lease of the retention pass (retention/retention.ts): one instance archives and prunes. */
export const RETENTION_LEASE = 'retention';

export interface LeaseTiming {
  /** Lease length on the store clock. */
  ttlMs: number;
  /** Period of take/renew attempts. */
  renewMs: number;
  /** A leader stops counting itself leader this long after its last successful renewal was sent. */
  renewDeadlineMs: number;
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = { ttlMs: 5000, renewMs: 1500, renewDeadlineMs: 4000 };

/** Check the timing rules (renewals fit in the deadline, the deadline ends before the lease). */
export function checkLeaseTiming(t: LeaseTiming): LeaseTiming {
  if (!(t.renewMs < t.renewDeadlineMs && t.renewDeadlineMs < t.ttlMs)) {
    throw new LightNodeError('BAL_LEASE_TIMING', `lease timing needs renewMs < renewDeadlineMs < ttlMs, got ${t.renewMs} / ${t.renewDeadlineMs} / ${t.ttlMs}`, { ...t });
  }
  return t;
}

export interface LeaseStatus {
  role: 'leader' | 'follower';
  /** Epoch of the lease while leader; else the last epoch this instance held (null if never). */
  epoch: number | null;
  holder: string;
}

export interface Lease {
  /** The fence to attach to anchoring writes while leader (within the renew deadline), else null. */
  fence(): LeaseFence | null;
  isLeader(): boolean;
  status(): LeaseStatus;
  /** One take/renew attempt now (the loop also runs them). */
  renew(): Promise<void>;
  /** Stop renewing and give the lease up (another candidate takes over at once). */
  stop(): Promise<void>;
}

export interface LeaseDeps {
  store: Pick<BalStore, 'acquireLease' | 'releaseLease'>;
  /** This instance's id (the lease holder). */
  holder: string;
  clock: Clock;
  log: Logger;
  metrics: MetricsRegistry;
  timing?: LeaseTiming;
  name?: string;
}

/** Start competing for the lease. */
export function startLease(deps: LeaseDeps): Lease {
  const { store, holder, clock, log } = deps;
  const name = deps.name ?? ANCHOR_LEASE;
  const t = checkLeaseTiming(deps.timing ?? DEFAULT_LEASE_TIMING);
  const m = deps.metrics;
  // One series per lease name (`anchor`, `retention`): an instance may compete for several.
  const L = { lease: name };
  const leaderGauge = m.gauge('bal_lease_leader', 'Whether this instance holds the lease (1) or not (0), by lease name', ['lease']);
  const epochGauge = m.gauge('bal_lease_epoch', 'Epoch (fencing token) of the lease this instance last held, by lease name', ['lease']);
  const takeovers = m.counter('bal_lease_takeovers_total', 'Lease grants that started a new epoch for this instance, by lease name', ['lease']);
  const renewErrors = m.counter('bal_lease_renew_errors_total', 'Failed lease take/renew attempts (store unreachable), by lease name', ['lease']);
  const lost = m.counter('bal_lease_lost_total', 'Times this instance stopped being the leader (renewal refused or past its deadline), by lease name', ['lease']);
  leaderGauge.set(0, L);

  let epoch: number | null = null;
  let lastEpoch: number | null = null;
  let validUntil = -Infinity; // local clock
  let stopped = false;
  let timer: unknown = null;
  let running: Promise<void> | null = null;
  let wasLeader = false;

  const isLeader = (): boolean => epoch !== null && clock.now() < validUntil;
  const observe = (): void => {
    const now = isLeader();
    if (wasLeader && !now) { lost.inc(L); log.warn('lease lost; its jobs stop', { lease: name, epoch: lastEpoch }); }
    wasLeader = now;
    leaderGauge.set(now ? 1 : 0, L);
  };

  async function attempt(): Promise<void> {
    const sentAt = clock.now();
    try {
      const grant = await store.acquireLease(name, holder, t.ttlMs);
      if (stopped) return;
      if (grant === null) { epoch = null; validUntil = -Infinity; }
      else {
        if (grant.takenOver || grant.epoch !== epoch) { takeovers.inc(L); log.info('lease taken; this instance leads', { lease: name, epoch: grant.epoch }); }
        epoch = grant.epoch; lastEpoch = grant.epoch; epochGauge.set(grant.epoch, L);
        validUntil = sentAt + t.renewDeadlineMs;
      }
    } catch (err) {
      renewErrors.inc(L);
      log.warn('lease renewal failed', { lease: name, err: (err as Error).message });
    }
    observe();
  }

  const run = (): Promise<void> => {
    running ??= attempt().finally(() => { running = null; });
    return running;
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = clock.setTimeout(() => { void run().finally(schedule); }, t.renewMs, { keepAlive: true });
  };
  void run().finally(schedule);

  return {
    fence: () => (isLeader() && epoch !== null ? { name, epoch } : null),
    isLeader: () => { observe(); return isLeader(); },
    status: () => ({ role: isLeader() ? 'leader' : 'follower', epoch: isLeader() ? epoch : lastEpoch, holder }),
    renew: run,
    async stop() {
      stopped = true;
      if (timer !== null) clock.clearTimeout(timer);
      await running?.catch(() => {});
      const held = epoch !== null;
      epoch = null; validUntil = -Infinity; observe();
      if (held) await store.releaseLease(name, holder).catch((err: unknown) => log.warn('lease release failed', { lease: name, err: (err as Error).message }));
    },
  };
}
