/**
 * The dashboard's live view on an instance that does not write what it shows (cloud/README
 * "Running several instances"): an `api` instance without the `ingest` role never sees a reading
 * stored, and one without the leading anchorer never sees an anchor confirmed, in process. This
 * feed reads them from the store instead and publishes them on the instance's event bus, in the
 * same shape as the in-process producers (bal.ts):
 *
 * - readings: by id after a watermark (`listReadings({ afterId })`, the primary key);
 * - anchors: the next anchor index, published once confirmed (`anchorByIndex`);
 * - nodes: `nodeChanges` (status messages and counters, on the store clock), and the PoDs of new
 *   readings;
 * - subscription decisions: `subscription_events` by id (another API instance may have certified them).
 *
 * Polling, not PostgreSQL LISTEN/NOTIFY: a NOTIFY in the ingest transaction takes a database-wide
 * lock at commit (commits of all instances that notify are serialised), and the feed also works
 * on SQLite. A poll costs three indexed queries per `pollMs` per api instance, and only while
 * somebody watches (the bus has listeners) — measured in cloud/README.
 *
 * Ids are allocated before commit, so with several ingest instances a lower id can become
 * visible after a higher one: the feed re-reads ids above its watermark for `lateMs` and skips
 * what it already published, so a late commit is still shown; a gap older than that (a rolled-back
 * id) is given up. Best effort like the bus itself: the store stays the record.
 */
import type { Logger } from '../log.js';
import type { MetricsRegistry } from '../metrics.js';
import type { BalStore } from '../store/types.js';
import type { EventBus, ReadingsEvent } from './event-bus.js';

export interface StoreFeedOptions {
  store: Pick<BalStore, 'listReadings' | 'liveFeedStart' | 'anchorByIndex' | 'latestAnchor' | 'nodeChanges' | 'subscriptionEventsAfter'>;
  bus: EventBus;
  log: Logger;
  metrics?: MetricsRegistry;
  /** Poll period, ms; default 1000. */
  pollMs?: number;
  /** How long a gap in reading ids may wait for its late commit before it is given up; default 10,000. */
  lateMs?: number;
  /**
   * How far back on the store clock node changes are re-read (a change stamped before another
   * may commit after it: by the length of its transaction); default 1000.
   */
  nodeLookbackMs?: number;
  /** Which kinds to feed (an instance that ingests already publishes readings and node changes itself). */
  readings?: boolean;
  anchors?: boolean;
  nodes?: boolean;
  /** Subscription decisions (certified by whichever instance); default true. */
  subscriptions?: boolean;
  /** Local clock, ms; default Date.now. */
  now?: () => number;
}

export interface StoreFeed {
  /** One poll now (the timer also runs them). */
  poll(): Promise<void>;
  stop(): Promise<void>;
}

const PAGE = 1000;

/** Start feeding `bus` from the store. */
export function startStoreFeed(opts: StoreFeedOptions): StoreFeed {
  const { store, bus, log } = opts;
  const pollMs = opts.pollMs ?? 1000;
  const lateMs = opts.lateMs ?? 10_000;
  const nodeLookbackMs = opts.nodeLookbackMs ?? 1000;
  const now = opts.now ?? Date.now;
  const want = { readings: opts.readings ?? true, anchors: opts.anchors ?? true, nodes: opts.nodes ?? true, subscriptions: opts.subscriptions ?? true };
  const polls = opts.metrics?.counter('bal_events_feed_polls_total', 'Store polls of the live-view feed (instances that do not write what they show), by outcome', ['outcome']);
  const fed = opts.metrics?.counter('bal_events_feed_events_total', 'Events the live-view feed read from the store and published, by type', ['type']);

  // Readings: everything ≤ watermark is settled; above it, ids already published (until they settle).
  let watermark: number | null = null;
  const above = new Set<number>();
  let gapSince: number | null = null;
  // Anchors: the next index to publish once confirmed.
  let nextAnchor: number | null = null;
  // Nodes: last change published per PoD, and the store-clock time polled from.
  let nodesFrom: number | null = null;
  let nodesStart = 0;
  // Subscription decisions: the last event id published (ids of an append-only table).
  let subscriptionsAfter = 0;
  const nodeSeen = new Map<string, number>();

  async function init(): Promise<void> {
    if (watermark !== null) return;
    const start = await store.liveFeedStart();
    const last = want.anchors ? await store.latestAnchor() : null;
    nextAnchor = last === null ? 0 : last.status === 'confirmed' ? last.index + 1 : last.index;
    nodesFrom = nodesStart = start.lastNodeChangeMs;
    subscriptionsAfter = start.maxSubscriptionEventId;
    watermark = start.maxReadingId;
  }

  async function pollReadings(): Promise<void> {
    const page = await store.listReadings({ afterId: watermark!, limit: PAGE });
    const byPod = new Map<string, ReadingsEvent['readings']>();
    for (const r of page.items) {
      if (above.has(r.id)) continue;
      above.add(r.id);
      let list = byPod.get(r.pod);
      if (!list) byPod.set(r.pod, (list = []));
      list.push({ id: r.id, seq: r.seq, timestampMs: r.timestampMs, digest: r.digest, signer: r.device, values: r.reading.values });
    }
    for (const [pod, readings] of byPod) {
      bus.publish({ type: 'readings', pod, readings });
      fed?.inc({ type: 'readings' });
      if (want.nodes) { bus.publish({ type: 'node', pod }); fed?.inc({ type: 'node' }); }
    }
    // Settle: move the watermark over published ids that follow it without a gap; a gap waits
    // `lateMs` (a transaction of another instance still committing), then is given up.
    let w = watermark!;
    while (above.has(w + 1)) { above.delete(w + 1); w++; }
    if (above.size > 0) {
      gapSince ??= now();
      if (now() - gapSince >= lateMs) {
        const next = Math.min(...above);
        log.debug('live feed: reading ids given up', { from: w + 1, to: next - 1 });
        w = next - 1;
        while (above.has(w + 1)) { above.delete(w + 1); w++; }
        gapSince = above.size > 0 ? now() : null;
      }
    } else gapSince = null;
    watermark = w;
  }

  async function pollAnchors(): Promise<void> {
    for (;;) {
      const a = await store.anchorByIndex(nextAnchor!);
      if (!a || a.status !== 'confirmed') return;
      bus.publish({ type: 'anchor', index: a.index, root: a.root, leafCount: a.leafCount, transaction: a.transaction, blockNumber: a.blockNumber });
      fed?.inc({ type: 'anchor' });
      nextAnchor = a.index + 1;
    }
  }

  async function pollNodes(): Promise<void> {
    // Re-read `nodeLookbackMs` back (commits land out of clock order); publish each change once,
    // none from before the feed started.
    const changes = await store.nodeChanges(Math.max(0, nodesFrom! - nodeLookbackMs), 10_000);
    for (const c of changes) {
      if (c.changedMs <= nodesStart || (nodeSeen.get(c.pod) ?? -1) >= c.changedMs) continue;
      nodeSeen.set(c.pod, c.changedMs);
      bus.publish({ type: 'node', pod: c.pod });
      fed?.inc({ type: 'node' });
    }
    if (changes.length) nodesFrom = Math.max(nodesFrom!, changes[changes.length - 1]!.changedMs);
    for (const [pod, ms] of nodeSeen) if (ms < nodesFrom! - 2 * nodeLookbackMs) nodeSeen.delete(pod);
  }

  async function pollSubscriptions(): Promise<void> {
    for (const e of await store.subscriptionEventsAfter(subscriptionsAfter, 1000)) {
      bus.publish({ type: 'subscription', id: e.id, topic: e.topic, pod: e.pod, consumer: e.consumer, producer: e.producer, status: e.status });
      fed?.inc({ type: 'subscription' });
      subscriptionsAfter = e.eventId;
    }
  }

  let running: Promise<void> | null = null;
  let stopped = false;
  const poll = (): Promise<void> => {
    running ??= (async () => {
      try {
        await init();
        if (want.readings) await pollReadings();
        if (want.anchors) await pollAnchors();
        if (want.nodes) await pollNodes();
        if (want.subscriptions) await pollSubscriptions();
        polls?.inc({ outcome: 'ok' });
      } catch (err) {
        polls?.inc({ outcome: 'error' });
        log.warn('live feed poll failed (store unreachable?)', { err: (err as Error).message });
      }
    })().finally(() => { running = null; });
    return running;
  };
  // Poll only while somebody watches: an instance nobody looks at costs the store nothing.
  const timer = setInterval(() => { if (!stopped && bus.size > 0) void poll(); }, pollMs);
  timer.unref();
  void poll(); // set the starting points now, so what happens from here on is shown

  return {
    poll,
    async stop() { stopped = true; clearInterval(timer); await running; },
  };
}
