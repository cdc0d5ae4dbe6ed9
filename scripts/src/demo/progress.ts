/**
 * Live progress of the demo, from the parts' own state (never from log scraping): the agents'
 * spools (signed, acked = left the spool, quarantined), the BAL store (stored, anchored,
 * anchors), receipts fetched from the BAL's REST API and checked by the independent receipt
 * verifier, and the setpoint's way to the EMS simulator and back into the store.
 */
import type { RunningBal } from '@lightnode/cloud/bal';
import type { Agent } from '@lightnode/edge/agent';
import type { Activation } from '@lightnode/shared/messages';
import type { Setpoint } from '@lightnode/shared/setpoint';
import type { EmsView } from '@lightnode/hardware-sim/ems/sim-ems';
import { verifyReceipt } from '../verify/verify-receipt.js';
import type { ReceiptLike, VerifyResult } from '../verify/receipt-types.js';

/** The stages every reading goes through, in order, then the setpoint's. */
export const MILESTONES = ['signed', 'stored', 'acked', 'anchored', 'receipt-verified', 'setpoint-applied', 'activation-stored', 'certified-delivered'] as const;
export type Milestone = (typeof MILESTONES)[number];

export interface DemoProgress {
  /** Readings signed and spooled by all nodes. */
  signed: number;
  /** Readings that left the spools because the BAL acknowledged them. */
  acked: number;
  /** Readings still waiting in the spools. */
  spoolDepth: number;
  quarantined: number;
  /** Readings in the BAL store. */
  stored: number;
  /** Stored readings inside an anchor sent to the chain. */
  anchored: number;
  /** Anchor transactions. */
  anchors: number;
  /** Receipts fetched from the API that passed every verifier check. */
  receiptsVerified: number;
  receiptsFailed: number;
  setpoint: {
    id: string | null; activation: Activation['status'] | null; activationCode: string | null;
    emsMode: string; emsSetpointW: number; emsAppliedW: number; activationStored: boolean;
  };
}

/** A verified receipt, summarised for printing. */
export interface ReceiptSummary {
  receipt: ReceiptLike;
  result: VerifyResult;
  /** ms from demo start to this verification. */
  elapsedMs: number;
}

export type DemoEvent =
  | { kind: 'step'; message: string; elapsedMs: number }
  | { kind: 'note'; message: string; elapsedMs: number }
  | { kind: 'milestone'; milestone: Milestone; detail: string; elapsedMs: number }
  | { kind: 'progress'; progress: DemoProgress; elapsedMs: number }
  | { kind: 'receipt'; summary: ReceiptSummary; elapsedMs: number }
  | { kind: 'warning'; message: string; elapsedMs: number };

export interface TrackerDeps {
  bal: RunningBal;
  agents: { pod: string; agent: Agent }[];
  apiKey: string;
  rpcUrl: string;
  ems: () => EmsView;
  activations: () => Activation[];
  emsPod: string;
  startedMs: number;
  emit: (e: DemoEvent) => void;
  /** Poll period, ms; default 500. */
  intervalMs?: number;
}

export interface Tracker {
  progress(): DemoProgress;
  /** Milestones reached, with ms since start. */
  reached(): Partial<Record<Milestone, number>>;
  /** Track this setpoint (replaces an earlier one, e.g. after a retry). */
  setpointSent(sp: Setpoint): void;
  /** Last verified receipt. */
  lastReceipt(): ReceiptSummary | null;
  /** Mark a milestone another part observed (the consumer's certified delivery). */
  mark(m: Milestone, detail: string): void;
  stop(): Promise<void>;
}

/** Start polling; emits `milestone` once per stage, `progress` on change, `receipt` per verified receipt. */
export function startTracker(d: TrackerDeps): Tracker {
  const reached: Partial<Record<Milestone, number>> = {};
  let setpoint: Setpoint | null = null;
  let activationScanAfter = 0;
  let activationStored = false;
  let lastVerifiedAnchor = -1;
  let podTurn = 0;
  let lastReceipt: ReceiptSummary | null = null;
  let lastJson = '';
  let stopped = false;
  const p: DemoProgress = {
    signed: 0, acked: 0, spoolDepth: 0, quarantined: 0, stored: 0, anchored: 0, anchors: 0, receiptsVerified: 0, receiptsFailed: 0,
    setpoint: { id: null, activation: null, activationCode: null, emsMode: 'off', emsSetpointW: 0, emsAppliedW: 0, activationStored: false },
  };
  const elapsed = (): number => Date.now() - d.startedMs;
  const hit = (m: Milestone, detail: string): void => {
    if (reached[m] !== undefined) return;
    reached[m] = elapsed();
    d.emit({ kind: 'milestone', milestone: m, detail, elapsedMs: reached[m]! });
  };

  const verifyNewAnchor = async (): Promise<void> => {
    const latest = await d.bal.store.latestAnchor();
    if (!latest || latest.status !== 'confirmed' || latest.index <= lastVerifiedAnchor) return;
    const readings = await d.bal.store.readingsOfAnchor(latest.index);
    if (readings.length === 0) return;
    // Round-robin over the PoDs so each node's readings get a receipt checked in turn.
    const pods = d.agents.map((a) => a.pod);
    let pick = readings[readings.length - 1]!;
    for (let i = 0; i < pods.length; i++) {
      const pod = pods[(podTurn + i) % pods.length];
      const r = [...readings].reverse().find((x) => x.pod === pod);
      if (r) { pick = r; podTurn = (podTurn + i + 1) % pods.length; break; }
    }
    const res = await fetch(`${d.bal.endpoints.api}/api/readings/${pick.id}/receipt`, { headers: { 'x-api-key': d.apiKey } });
    if (res.status !== 200) return; // anchored but not yet confirmed for the API: next tick
    const receipt = (await res.json()) as ReceiptLike;
    const result = await verifyReceipt(receipt, { rpcUrl: d.rpcUrl, timeoutMs: 15_000 });
    if (stopped) return; // stopping: a check cut short is not a failed receipt
    lastVerifiedAnchor = latest.index;
    if (!result.ok) {
      p.receiptsFailed++;
      d.emit({ kind: 'warning', message: `receipt of reading ${pick.id} failed: ${result.checks.filter((c) => !c.ok).map((c) => `${c.name} (${c.detail})`).join(', ')}`, elapsedMs: elapsed() });
      return;
    }
    p.receiptsVerified++;
    lastReceipt = { receipt, result, elapsedMs: elapsed() };
    hit('receipt-verified', `${receipt.reading.pod} seq ${receipt.reading.seq}, anchor #${receipt.anchor.index}, ${result.checks.length} checks`);
    d.emit({ kind: 'receipt', summary: lastReceipt, elapsedMs: elapsed() });
  };

  const scanActivation = async (): Promise<void> => {
    if (!setpoint || activationStored) return;
    for (;;) {
      const page = await d.bal.store.listReadings({ pod: d.emsPod, afterId: activationScanAfter, limit: 500 });
      for (const r of page.items) {
        if (r.reading.source === `activation:${setpoint.id}`) {
          activationStored = true;
          hit('activation-stored', `${r.pod} seq ${r.seq} (${r.reading.source}) stored as reading #${r.id}`);
        }
        activationScanAfter = r.id;
      }
      if (activationStored || page.nextAfterId === null) return;
    }
  };

  const tick = async (): Promise<void> => {
    let signed = 0, depth = 0, quarantined = 0;
    for (const { agent } of d.agents) {
      const st = agent.spool.status();
      signed += st.lastSeq === null ? 0 : st.lastSeq + 1;
      depth += st.depth;
      quarantined += st.quarantined;
    }
    Object.assign(p, { signed, spoolDepth: depth, quarantined, acked: Math.max(0, signed - depth - quarantined) });
    const c = await d.bal.store.counts();
    Object.assign(p, { stored: c.readings, anchored: c.readings - c.pending, anchors: c.anchors });
    if (p.signed > 0) hit('signed', `${p.signed} reading(s) signed by ${d.agents.filter((a) => a.agent.spool.status().lastSeq !== null).length} node(s)`);
    if (p.stored > 0) hit('stored', `${p.stored} reading(s) verified against the PoD registry and stored`);
    if (p.acked > 0) hit('acked', `${p.acked} reading(s) acknowledged by the BAL and removed from the spools (${p.spoolDepth} still spooled)`);
    if (p.anchored > 0) hit('anchored', `${p.anchored} reading(s) in ${p.anchors} anchor transaction(s)`);
    await verifyNewAnchor();

    const ems = d.ems();
    Object.assign(p.setpoint, { emsMode: ems.mode, emsSetpointW: ems.setpointW, emsAppliedW: ems.appliedW });
    if (setpoint) {
      const act = d.activations().find((a) => a.setpointId === setpoint!.id);
      p.setpoint.activation = act?.status ?? null;
      p.setpoint.activationCode = act?.code ?? null;
      // A refusal is reported (and retried) by the flow, which owns the setpoint.
      if (act?.status === 'applied' && ems.mode === setpoint.mode && ems.setpointW === setpoint.activePowerW) {
        hit('setpoint-applied', `EMS ${ems.mode} ${ems.setpointW} W (activation '${act.status}')`);
      }
      await scanActivation();
      p.setpoint.activationStored = activationStored;
    }
    const json = JSON.stringify(p);
    if (json !== lastJson) { lastJson = json; d.emit({ kind: 'progress', progress: structuredClone(p), elapsedMs: elapsed() }); }
  };

  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => (stopped ? undefined : tick().catch((err: Error) => { if (!stopped) d.emit({ kind: 'warning', message: `progress: ${err.message}`, elapsedMs: elapsed() }); })));
  }, d.intervalMs ?? 500);

  return {
    progress: () => structuredClone(p),
    reached: () => ({ ...reached }),
    setpointSent(sp) { setpoint = sp; activationScanAfter = 0; Object.assign(p.setpoint, { id: sp.id, activation: null, activationCode: null }); },
    lastReceipt: () => lastReceipt,
    mark: hit,
    async stop() { stopped = true; clearInterval(timer); await running; },
  };
}
