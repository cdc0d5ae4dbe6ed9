/**
 * Anchoring (DESIGN §6, issue 5 item 5): stored readings are grouped into windows, closed by
 * age (`windowMs` after the oldest pending reading arrived) or by size (`maxLeaves`); each
 * window's Merkle root (`@lightnode/shared/merkle`, = OpenZeppelin SimpleMerkleTree) goes on
 * chain in ONE `ReadingAnchor.anchor` transaction, chained on-chain to the previous anchor.
 *
 * Write-ahead: the transaction is signed first, so its hash is known; the window is recorded
 * in the store with that hash (readings → `anchored`); only then is it broadcast. One window is
 * in flight at a time, so windows reach the chain in store order. Chain down → ingest goes on,
 * readings stay `pending`, and the backlog is anchored window by window, oldest first, when the
 * RPC answers again. A recorded transaction that never lands is re-broadcast; if it is gone
 * (e.g. the process restarted and the node lost it) or reverted, the anchor is abandoned and
 * its readings return to `pending` for the next window.
 *
 * With a chain guard (chain/chain-guard.ts) every pass first asks whether the RPC still serves the
 * configured chain: on a reset or foreign chain (`mismatch`) the pass does nothing — no anchor is
 * sent to, or abandoned because of, the wrong chain — and counts itself in
 * `bal_anchor_skipped_passes_total{reason="chain_mismatch"}`; anchoring resumes by itself when the
 * right chain is back. A chain request that times out (`BAL_CHAIN_TIMEOUT`) fails the pass like any
 * chain error.
 */
import { Contract, Interface, Transaction, type Signer, type Provider, type TransactionReceipt } from 'ethers';
import { loadArtifact } from '@lightnode/contracts/artifacts';
import { LightNodeError } from '@lightnode/shared/errors';
import { buildMerkleTree } from '@lightnode/shared/merkle';
import { systemClock, type Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { MetricsRegistry } from '../metrics.js';
import type { AnchorRecord, BalStore, LeaseFence } from '../store/types.js';
import { BAL_LEASE_FENCED } from '../store/common.js';
import type { Lease } from './lease.js';
import type { Hex } from '@lightnode/shared/hex';
import { computeAnchorHash, createSizeProbe, sizeProbeIntervalMs, windowBounds, windowClosed } from './window.js';
import { repeatUntilDone, startPollLoop } from './poll-loop.js';
import type { ChainVerdict } from '../chain/chain-guard.js';
import { chainError, chainTimeoutCounter, isChainTimeout } from '../chain/rpc-error.js';

export interface AnchorerConfig {
  /** A window closes this long after its oldest pending reading was received; ms, default 60,000. */
  windowMs?: number;
  /** A window closes as soon as it has this many readings (and takes at most this many); default 10,000. */
  maxLeaves?: number;
  /** How often the anchorer looks for work; ms, default 1,000. */
  pollIntervalMs?: number;
  /** Blocks (including the one holding the tx) before an anchor counts as confirmed; default 1. */
  confirmations?: number;
  /** After this long without a receipt the stored raw transaction is re-broadcast; ms, default 30,000. */
  rebroadcastMs?: number;
}

export interface AnchorerDeps {
  store: BalStore;
  /** Holder of BAL_ROLE on ReadingAnchor, connected to the chain's provider. */
  signer: Signer;
  /** ReadingAnchor address. */
  readingAnchor: string;
  metrics: MetricsRegistry;
  log: Logger;
  config?: AnchorerConfig;
  /** Time and timers; default the system clock (tests pass a FakeClock). */
  clock?: Clock;
  /**
   * Called after an anchor is recorded as confirmed (e.g. the certified republisher's anchor
   * notices). Not awaited by the anchoring pass; a throw or rejection is logged only.
   */
  onConfirmed?: (anchor: AnchorRecord) => void | Promise<void>;
  /**
   * The anchor lease (lease.ts): when given, passes run only while `fence()` answers (this
   * instance leads), and every anchoring store write carries the fence. Absent: always anchors.
   */
  lease?: Pick<Lease, 'fence'>;
  /** Asked before each pass; anchoring pauses while it answers `mismatch` (the guard logs the change). */
  chainGuard?: { check(): Promise<ChainVerdict> };
}

export interface Anchorer {
  /** One pass: track confirmations, then anchor at most one closed window. Never throws. */
  tick(): Promise<void>;
  /** Anchor every pending reading now (windows of ≤ maxLeaves), ignoring `windowMs`; waits for confirmations. */
  flush(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const ZERO32 = `0x${'0'.repeat(64)}` as Hex;

/** Start the anchoring loop. */
export function startAnchorer(deps: AnchorerDeps): Anchorer {
  const { store, signer, log } = deps;
  const provider = signer.provider as Provider;
  if (!provider) throw new LightNodeError('BAL_ANCHOR_NO_PROVIDER', 'startAnchorer: signer has no provider');
  const clock = deps.clock ?? systemClock;
  const now = (): number => clock.now();
  const cfg = deps.config ?? {};
  const windowMs = cfg.windowMs ?? 60_000;
  const maxLeaves = cfg.maxLeaves ?? 10_000;
  const pollMs = cfg.pollIntervalMs ?? 1_000;
  const confirmations = Math.max(1, cfg.confirmations ?? 1);
  const rebroadcastMs = cfg.rebroadcastMs ?? 30_000;
  const iface = new Interface(loadArtifact('ReadingAnchor').abi as never);
  const contract = new Contract(deps.readingAnchor, iface, signer);
  const r = deps.metrics;
  const anchorsSent = r.counter('bal_anchor_sent_total', 'Anchor transactions broadcast');
  const anchorsConfirmed = r.counter('bal_anchor_confirmed_total', 'Anchors confirmed on chain');
  const anchorsAbandoned = r.counter('bal_anchor_abandoned_total', 'Anchors abandoned (tx lost or reverted); readings re-anchored');
  const leavesAnchored = r.counter('bal_anchor_leaves_total', 'Readings included in sent anchors');
  const chainErrors = r.counter('bal_anchor_chain_errors_total', 'Failed chain calls while anchoring (chain down, RPC error)');
  const pendingGauge = r.gauge('bal_anchor_pending_readings', 'Readings waiting for an anchor (last seen)');
  const skipped = r.counter('bal_anchor_skipped_passes_total', 'Anchoring passes that did nothing on purpose, by reason (chain_mismatch: the RPC serves another chain; follower: another instance holds the anchor lease)', ['reason']);
  const timeouts = chainTimeoutCounter(r);
  const unrecorded = r.counter('bal_anchor_unrecorded_total', 'Anchors found on chain without a record in the store (a stale leader\'s transaction landed), by outcome: adopted (root = the pending readings\' window) or reanchored (left unrecorded; its readings go in the next window)', ['outcome']);
  const fencedWrites = r.counter('bal_anchor_fenced_total', 'Anchoring steps refused because this instance no longer holds the anchor lease (store epoch check, or lease lost before broadcast)');
  let fence: LeaseFence | undefined; // of the running pass
  const raw = new Map<Hex, { tx: string; sentAtMs: number }>();
  const sizeProbe = createSizeProbe(sizeProbeIntervalMs(pollMs, windowMs));

  async function trackConfirmations(): Promise<number> {
    const open = await store.unconfirmedAnchors();
    if (open.length === 0) return 0;
    const head = await provider.getBlockNumber();
    let still = 0;
    for (const a of open) {
      const receipt = await provider.getTransactionReceipt(a.transaction);
      if (!receipt) { still++; await resendOrAbandon(a); continue; }
      if (receipt.status !== 1) { await abandon(a, 'transaction reverted'); continue; }
      const ev = anchoredEvent(receipt);
      if (!ev || ev.index !== a.index) {
        await abandon(a, `on-chain index ${ev?.index ?? 'missing'} differs from recorded ${a.index}`);
        continue;
      }
      if (head - receipt.blockNumber + 1 >= confirmations) {
        const confirmed = await store.confirmAnchor(a.transaction, { blockNumber: receipt.blockNumber, anchorHash: ev.anchorHash }, fence);
        raw.delete(a.transaction);
        anchorsConfirmed.inc();
        log.info('anchor confirmed', { index: a.index, tx: a.transaction, block: receipt.blockNumber, leaves: a.leafCount });
        if (confirmed && deps.onConfirmed) {
          try {
            Promise.resolve(deps.onConfirmed(confirmed)).catch((err: unknown) => log.warn('onConfirmed hook failed', { index: a.index, err }));
          } catch (err) { log.warn('onConfirmed hook failed', { index: a.index, err }); }
        }
      } else still++;
    }
    return still;
  }

  async function resendOrAbandon(a: AnchorRecord): Promise<void> {
    // Another transaction holds the index on chain (a stale leader's, landed after this one was
    // built): this one can only revert or be dropped. Its readings go back to pending, and
    // `adoptUnrecorded` records the landed anchor when its root is theirs.
    const count = Number(await contract.getFunction('anchorCount')());
    if (count > a.index) {
      const landed = await anchoredTransaction(a.index);
      if (landed !== null && landed !== a.transaction) { await abandon(a, `index ${a.index} taken on chain by ${landed}`); return; }
    }
    const known = await provider.getTransaction(a.transaction);
    const mine = raw.get(a.transaction);
    if (known) {
      if (mine && now() - mine.sentAtMs > rebroadcastMs) { await broadcast(a.transaction, mine.tx).catch(() => {}); }
      return;
    }
    if (mine) { await broadcast(a.transaction, mine.tx); return; }
    // Not in the node and we no longer hold the signed tx (restart): is it on chain anyway?
    if (count > a.index) {
      const onChain = await contract.getFunction('getAnchor')(a.index);
      if ((onChain.root as string).toLowerCase() === a.root) return; // mined; receipt will appear
    }
    await abandon(a, 'transaction unknown to the node');
  }

  async function abandon(a: AnchorRecord, why: string): Promise<void> {
    await store.abandonAnchor(a.transaction, fence);
    raw.delete(a.transaction);
    anchorsAbandoned.inc();
    log.warn('anchor abandoned; readings back to pending', { index: a.index, tx: a.transaction, why });
  }

  async function broadcast(hash: Hex, signed: string): Promise<void> {
    try {
      await provider.broadcastTransaction(signed);
    } catch (err) {
      const msg = String((err as Error).message ?? err);
      if (!/already known|nonce too low|already imported/i.test(msg)) throw err;
    }
    raw.set(hash, { tx: signed, sentAtMs: now() });
  }

  /** The transaction whose `Anchored` event has this index, null if none is found. */
  async function anchoredTransaction(index: number): Promise<Hex | null> {
    const onChain = await contract.getFunction('getAnchor')(index);
    const block = Number(onChain.blockNumber);
    const logs = await contract.queryFilter(contract.filters.Anchored!(index), block, block);
    return logs.length ? (logs[0]!.transactionHash.toLowerCase() as Hex) : null;
  }

  /**
   * Anchors on chain below `count` that the store has no record of (a stale leader's transaction
   * landed after the current leader had abandoned its record): each is adopted when its root is
   * the Merkle root of the oldest pending readings (the window that leader had taken: they went
   * back to pending), so the store's anchors stay contiguous and no reading is anchored twice;
   * otherwise it is left unrecorded and the readings are anchored again in the next window.
   * Returns whether an anchor was adopted (the pass then ends: the next one confirms it).
   */
  async function adoptUnrecorded(count: number): Promise<boolean> {
    const latest = await store.latestAnchor();
    const next = latest === null ? 0 : latest.index + 1;
    if (next >= count) return false;
    const on = await contract.getFunction('getAnchor')(next);
    const root = (on.root as string).toLowerCase() as Hex;
    const leafCount = Number(on.leafCount);
    const tx = await anchoredTransaction(next);
    const window = await store.pendingForAnchoring(leafCount);
    const rebuilt = window.length === leafCount ? buildMerkleTree(window.map((p) => Buffer.from(p.digest.slice(2), 'hex'))).root.toLowerCase() : null;
    if (tx === null || rebuilt !== root) {
      unrecorded.inc({ outcome: 'reanchored' });
      log.error('an anchor on chain has no record in the store and its root is not that of the pending readings: they are anchored again in the next window', { index: next, root, leafCount, tx });
      return false;
    }
    await store.recordAnchor(
      { index: next, root, leafCount, fromMs: Number(on.fromMs), toMs: Number(on.toMs), prevHash: (on.prevHash as string).toLowerCase() as Hex, anchorHash: (on.anchorHash as string).toLowerCase() as Hex },
      window.map((p) => p.id), { transaction: tx, blockNumber: null }, fence,
    );
    unrecorded.inc({ outcome: 'adopted' });
    log.warn('adopted an anchor that landed on chain without a record (a stale leader\'s transaction)', { index: next, tx, leaves: leafCount });
    return true;
  }

  function anchoredEvent(receipt: TransactionReceipt): { index: number; anchorHash: Hex } | null {
    for (const l of receipt.logs) {
      if (l.address.toLowerCase() !== deps.readingAnchor.toLowerCase()) continue;
      const p = iface.parseLog({ topics: [...l.topics], data: l.data });
      if (p?.name === 'Anchored') return { index: Number(p.args[0]), anchorHash: (p.args[6] as string).toLowerCase() as Hex };
    }
    return null;
  }

  /** Anchor one window if one is closed (or `force`). Returns readings anchored. */
  async function anchorOne(force: boolean): Promise<number> {
    if (!force) {
      // Cheap probe first: the oldest pending reading decides the time closure; the full
      // (up to maxLeaves rows) read for the size closure runs at most every sizeProbeMs.
      const head = await store.pendingForAnchoring(1);
      if (head.length === 0) { pendingGauge.set(0); return 0; }
      const aged = now() - head[0]!.receivedAtMs >= windowMs;
      if (!sizeProbe.take(now(), aged)) return 0;
    }
    const pending = await store.pendingForAnchoring(maxLeaves);
    pendingGauge.set(pending.length);
    if (pending.length === 0) return 0;
    let oldest = Infinity; // a loop, not Math.min(...): windows may hold up to a million readings
    for (const p of pending) if (p.receivedAtMs < oldest) oldest = p.receivedAtMs;
    if (!force && !windowClosed(pending.length, oldest, now(), windowMs, maxLeaves)) return 0;

    const tree = buildMerkleTree(pending.map((p) => Buffer.from(p.digest.slice(2), 'hex')));
    const { fromMs, toMs } = windowBounds(pending.map((p) => p.timestampMs));
    const index = Number(await contract.getFunction('anchorCount')());
    if (await adoptUnrecorded(index)) return 0;
    const prevHash = index === 0 ? ZERO32 : (((await contract.getFunction('lastAnchorHash')()) as string).toLowerCase() as Hex);
    const root = tree.root.toLowerCase() as Hex;
    const anchorHash = computeAnchorHash(prevHash, root, pending.length, fromMs, toMs);

    const from = await signer.getAddress();
    // anchorNext reverts (ChainHeadMoved) unless the chain head is still the one read above: a
    // stale leader's transaction cannot land a second anchor of the same readings.
    const txReq = await contract.getFunction('anchorNext').populateTransaction(index, prevHash, root, pending.length, fromMs, toMs);
    const populated = await signer.populateTransaction({ ...txReq, from, nonce: await provider.getTransactionCount(from, 'pending') });
    const signed = await signer.signTransaction(populated);
    const hash = Transaction.from(signed).hash!.toLowerCase() as Hex;

    await store.recordAnchor(
      { index, root, leafCount: pending.length, fromMs, toMs, prevHash, anchorHash },
      pending.map((p) => p.id),
      { transaction: hash, blockNumber: null },
      fence,
    );
    raw.set(hash, { tx: signed, sentAtMs: now() });
    if (deps.lease && !deps.lease.fence()) {
      // Lost the lease (renew deadline passed) between the store write and here: do not broadcast;
      // the next leader finds the transaction unknown and puts the readings back.
      fencedWrites.inc();
      log.warn('anchor lease lost before broadcast; not sending', { index, tx: hash });
      return 0;
    }
    try {
      await broadcast(hash, signed);
    } catch (err) {
      chainErrors.inc();
      if (isChainTimeout(err)) timeouts.inc({ component: 'anchor' });
      log.warn('anchor broadcast failed; will retry', { index, tx: hash, err: chainError(err, 'anchor broadcast') });
      return pending.length;
    }
    anchorsSent.inc();
    leavesAnchored.inc(undefined, pending.length);
    if (pending.length === maxLeaves) sizeProbe.reset(); // a full window: more backlog likely
    log.info('anchor sent', { index, tx: hash, root, leaves: pending.length, fromMs, toMs });
    return pending.length;
  }

  async function pass(force: boolean): Promise<void> {
    if (deps.lease) {
      const f = deps.lease.fence();
      if (!f) { skipped.inc({ reason: 'follower' }); return; }
      fence = f;
    }
    try {
      const verdict = await deps.chainGuard?.check();
      if (verdict?.state === 'unreachable') throw verdict.error;
      if (verdict?.state === 'mismatch') { skipped.inc({ reason: 'chain_mismatch' }); return; }
      const open = await trackConfirmations();
      if (open === 0) await anchorOne(force);
    } catch (err) {
      if (err instanceof LightNodeError && err.code === BAL_LEASE_FENCED) {
        fencedWrites.inc();
        log.warn('anchoring write refused: another instance holds the anchor lease now', { err: err.message });
        return;
      }
      chainErrors.inc();
      if (isChainTimeout(err)) timeouts.inc({ component: 'anchor' });
      log.warn('anchoring pass failed (chain unreachable?)', { err: chainError(err, 'anchoring pass') });
    } finally { fence = undefined; }
  }

  const loop = startPollLoop(clock, pollMs, pass);

  return {
    tick: () => loop.run(false),
    flush: (timeoutMs = 60_000) => repeatUntilDone(clock, timeoutMs, Math.min(200, pollMs), 'anchorer flush', async () => {
      await loop.idle();
      await loop.run(true);
      const counts = await store.counts();
      const open = (await store.unconfirmedAnchors()).length;
      return counts.pending === 0 && open === 0 ? null : `${counts.pending} pending, ${open} unconfirmed`;
    }),
    stop: () => loop.stop(),
  };
}
