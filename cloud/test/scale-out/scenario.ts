/**
 * The scale-out scenario of issue 16, for any transport (./rig.ts): three `ingest` instances,
 * one `api`, two `anchor` candidates — real `bal run --roles …` processes on one PostgreSQL
 * schema — and simulated devices (the edge's spool + uplink) sending all along.
 *  1. SIGKILL one ingest instance, then the anchor leader, mid-stream; measure the takeover
 *     (wall clock from the SIGKILL to the lease row naming the new holder; and on the lease
 *     clock, as cloud/test/anchor/anchor-kill.test.ts does). Drain and check.
 *     With a transport that has a broker fault (NATS: SIGKILL one of the three nodes), it is
 *     injected after the leader kill, streamed through, and healed (node restarted) before the drain.
 *  2. Bring the killed ones back, stream again, restart every instance one at a time (SIGTERM,
 *     start, wait until it runs). Drain and check.
 * "Check" = every (device, seq) stored exactly once with no gap up to the device's last seq,
 * anchors contiguous (ScaleOutRig.check). The caller asserts on the returned report.
 */
import type { ScaleOutRig, Role } from './rig.js';
import { until } from './rig.js';

export interface PhaseReport { problems: string[]; readings: number; anchors: number; devices: number; resends: number }
export interface ScenarioReport {
  /** Readings each ingest instance stored before the first kill (all > 0: the group shares). */
  storedBeforeKill: Record<string, number>;
  /** ms from SIGKILL of the leader to the lease naming another holder (wall clock, polled every 100 ms). */
  takeoverMs: number;
  /** The same on the lease clock: the new holder's first seen renewal minus the killed leader's last (an upper bound). */
  takeoverLeaseClockMs: number;
  epochs: { killed: number; taken: number };
  /** From the leader's SIGTERM in the rolling restart (it releases the lease) to the next leader, ms wall clock. */
  handoverMs: number | null;
  /** The transport's broker fault, if any: its name, and ms from its injection until every live ingest instance stored again. */
  brokerFault: { name: string; allIngestingAfterMs: number; healMs: number } | null;
  afterKills: PhaseReport;
  afterRollingRestart: PhaseReport;
  /**
   * Each live ingest instance's own `bal_ingest_gap_seqs_total` at the end of phase 1: high although
   * nothing is missing, because each instance sees only its share of a device's seqs (per instance).
   */
  gapMetric: Record<string, number>;
  totalMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ScenarioOptions {
  /** A reading per device every this many ms; default 2000. */
  intervalMs?: number;
  /** Devices' ack timeout, s; default 3. */
  ackTimeoutSec?: number;
  /** Streaming time between faults, ms; default 5000. */
  streamMs?: number;
}

export async function runScaleOutScenario(rig: ScaleOutRig, o: ScenarioOptions = {}): Promise<ScenarioReport> {
  const t0 = Date.now();
  const streamMs = o.streamMs ?? 5000;
  const instances: [string, Role[]][] = [
    ['ing-1', ['ingest']], ['ing-2', ['ingest']], ['ing-3', ['ingest']], ['api-1', ['api']], ['anc-1', ['anchor']], ['anc-2', ['anchor']],
  ];
  await Promise.all(instances.map(([id, roles]) => rig.spawn(id, roles)));
  rig.log(`scenario: 6 instances started in ${Date.now() - t0} ms`);
  const sim = rig.startDevices({ intervalMs: o.intervalMs ?? 2000, ackTimeoutSec: o.ackTimeoutSec ?? 3 });
  const ingestIds = ['ing-1', 'ing-2', 'ing-3'];
  const stored = (id: string): Promise<number> => rig.metric(id, 'bal_ingest_readings_total', 'outcome="stored"');
  await until('every ingest instance storing', async () => (await Promise.all(ingestIds.map(stored))).every((n) => n > 0), 60_000, 250);
  const leader0 = await until('an anchor leader', () => rig.leader(), 30_000);
  await sleep(streamMs);
  const storedBeforeKill = Object.fromEntries(await Promise.all(ingestIds.map(async (id) => [id, await stored(id)] as const)));

  // --- 1. faults mid-stream
  await rig.kill('ing-2');
  rig.log('scenario: ing-2 SIGKILLed');
  await sleep(streamMs);
  const last = (await rig.leader())!;
  const killedAt = Date.now();
  await rig.kill(last.holder);
  rig.log(`scenario: anchor leader ${last.holder} SIGKILLed (epoch ${last.epoch}; first leader was ${leader0.holder})`);
  const taken = await until('another anchor leader', async () => { const l = await rig.leader(); return l && l.holder !== last.holder ? l : null; }, 30_000, 100);
  const takeoverMs = Date.now() - killedAt;
  const ttl = 5000; // anchoring.leaseTtlMs default: expiresAtMs - ttl = the renewal's time on the lease clock
  const takeoverLeaseClockMs = (taken.expiresAtMs - ttl) - (last.expiresAtMs - ttl);
  rig.log(`scenario: ${taken.holder} leads (epoch ${taken.epoch}) ${takeoverMs} ms after the SIGKILL`);
  await sleep(streamMs);
  const alive = ingestIds.filter((id) => rig.procs.has(id));
  let brokerFault: ScenarioReport['brokerFault'] = null;
  const fault = rig.broker.fault;
  if (fault) {
    const before = await Promise.all(alive.map(stored));
    const at = Date.now();
    await fault.inject();
    rig.log(`scenario: broker fault: ${fault.name}`);
    // Every live ingest instance stores again (a stall of one instance shows here as a long wait).
    await until('every live ingest instance storing after the broker fault', async () => (await Promise.all(alive.map(stored))).every((n, i) => n > before[i]! + 20), 60_000, 250)
      .catch(async (err: Error) => {
        // Which instance stalled, and what its JetStream source says (pulls by result, stalls).
        const m = ['bal_jetstream_pulls_total', 'bal_jetstream_pulls_stalled_total', 'bal_jetstream_pulls_abandoned_total', 'bal_jetstream_pull_errors_total', 'bal_jetstream_redelivered_total'];
        const per = await Promise.all(alive.map(async (id, i) => {
          const empty = await rig.metric(id, 'bal_jetstream_pulls_total', 'result="empty"').catch(() => NaN);
          const vals = await Promise.all(m.map((x) => rig.metric(id, x).catch(() => NaN)));
          return `${id}: stored +${(await stored(id).catch(() => NaN)) - before[i]!}, ${m.map((x, k) => `${x.replace('bal_jetstream_', '')} ${vals[k]}`).join(', ')}, empty pulls ${empty}`;
        }));
        throw new Error(`${err.message} (${fault.name}): ${per.join('; ')}`);
      });
    const allIngestingAfterMs = Date.now() - at;
    await sleep(streamMs);
    const h0 = Date.now();
    await fault.heal();
    brokerFault = { name: fault.name, allIngestingAfterMs, healMs: Date.now() - h0 };
    rig.log(`scenario: broker fault healed: ${JSON.stringify(brokerFault)}`);
    await sleep(streamMs);
  }
  const gapMetric = Object.fromEntries(await Promise.all(alive.map(async (id) => [id, await rig.metric(id, 'bal_ingest_gap_seqs_total')] as const)));
  const phase = async (): Promise<PhaseReport> => {
    const stats = await rig.drain(120_000);
    const c = await rig.check(stats);
    return { ...c, devices: stats.devices.length, resends: stats.resends };
  };
  const afterKills = await phase();
  rig.log(`scenario: after the kills ${afterKills.readings} readings, ${afterKills.anchors} anchors, ${afterKills.problems.length} problems`);

  // --- 2. rolling restart
  await Promise.all([rig.spawn('ing-2', ['ingest']), rig.spawn(last.holder, ['anchor'])]);
  await sim.startProducing();
  let handoverMs: number | null = null;
  for (const [id, roles] of instances) {
    const l = await rig.leader();
    const at = Date.now();
    await rig.terminate(id);
    if (l?.holder === id) {
      const h = await until('a leader after the handover', async () => { const x = await rig.leader(); return x && x.epoch > l.epoch ? x : null; }, 30_000, 100);
      handoverMs = Date.now() - at;
      rig.log(`scenario: leader ${id} stopped, ${h.holder} leads (epoch ${h.epoch}) ${handoverMs} ms after the SIGTERM`);
    }
    await rig.spawn(id, roles);
    rig.log(`scenario: ${id} restarted`);
  }
  await sleep(streamMs);
  const afterRollingRestart = await phase();
  return {
    storedBeforeKill, takeoverMs, takeoverLeaseClockMs, epochs: { killed: last.epoch, taken: taken.epoch }, handoverMs,
    brokerFault, afterKills, afterRollingRestart, gapMetric, totalMs: Date.now() - t0,
  };
}
