/**
 * The soak's figures as the same two tables every run (so one run can be compared with the
 * next), and the verdict: a run fails on any crash, lost reading, duplicate or broken order.
 * Pure: results in, text out.
 */
import type { FuzzResult } from '@lightnode/shared/fuzz/engine';
import type { PodFigures } from './rig.js';

export interface ScenarioResult {
  name: string;
  /** What was done, e.g. "broker stopped 600 s at 4 meters × 1 Hz". */
  detail: string;
  pods: PodFigures[];
  ms: number;
}

export interface SoakReport {
  mode: 'full' | 'quick';
  startedAt: string;
  machine: string;
  fuzz: FuzzResult[];
  scenarios: ScenarioResult[];
  /** Scenarios skipped and why (e.g. no mosquitto binary). */
  skipped: string[];
}

const n = (x: number): string => x.toLocaleString('en-US');

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(head), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function sumPods(pods: PodFigures[]): Omit<PodFigures, 'pod'> {
  return pods.reduce<Omit<PodFigures, 'pod'>>((a, p) => ({
    signed: a.signed + p.signed, stored: a.stored + p.stored, duplicated: a.duplicated + p.duplicated, lost: a.lost + p.lost,
    stillSpooled: a.stillSpooled + p.stillSpooled, rejected: a.rejected + p.rejected, anchored: a.anchored + p.anchored, orderKept: a.orderKept && p.orderKept,
  }), { signed: 0, stored: 0, duplicated: 0, lost: 0, stillSpooled: 0, rejected: 0, anchored: 0, orderKept: true });
}

export function fuzzTable(results: FuzzResult[]): string {
  return table(['parser', 'side', 'inputs', 'accepted', 'rejected', 'top codes', 'crashes', 'inputs/s'], results.map((r) => {
    const rejected = Object.values(r.rejected).reduce((a, b) => a + b, 0);
    const top = Object.entries(r.rejected).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([c, k]) => `${c} ${n(k)}`).join(', ');
    return [r.target, r.side, n(r.inputs), n(r.accepted), n(rejected), top, n(r.crashes), n(Math.round(r.inputs / Math.max(r.ms, 1) * 1000))];
  }));
}

export function scenarioTable(results: ScenarioResult[]): string {
  return table(['scenario', 'what', 'minutes', 'signed', 'stored', 'lost', 'duplicated', 'still spooled', 'rejected', 'anchored', 'order kept'], results.map((s) => {
    const t = sumPods(s.pods);
    return [s.name, s.detail, (s.ms / 60_000).toFixed(1), n(t.signed), n(t.stored), n(t.lost), n(t.duplicated), n(t.stillSpooled), n(t.rejected), n(t.anchored), t.orderKept ? 'yes' : 'NO'];
  }));
}

/** Why the run failed (empty: it passed). */
export function failures(r: SoakReport): string[] {
  const out: string[] = [];
  for (const f of r.fuzz) {
    if (f.crashes > 0) out.push(`${f.target}: ${f.crashes} crashes (first: input ${f.examples[0]?.index}: ${f.examples[0]?.error.split('\n')[0]})`);
    if (f.inputs === 0) out.push(`${f.target}: no input was run`);
  }
  for (const s of r.scenarios) {
    const t = sumPods(s.pods);
    if (t.lost > 0) out.push(`${s.name}: ${t.lost} readings lost`);
    if (t.duplicated > 0) out.push(`${s.name}: ${t.duplicated} readings stored twice`);
    if (!t.orderKept) out.push(`${s.name}: order not kept`);
    if (t.signed === 0) out.push(`${s.name}: nothing was signed`);
    if (t.anchored < t.stored) out.push(`${s.name}: ${t.stored - t.anchored} stored readings not confirmed on chain`);
  }
  return out;
}

export function renderReport(r: SoakReport): string {
  const parts = [`# Soak ${r.mode} — ${r.startedAt} — ${r.machine}`, ''];
  if (r.fuzz.length) parts.push('## Fuzzing (seeded hostile inputs per parser)', '', fuzzTable(r.fuzz), '');
  if (r.scenarios.length) parts.push('## Faults under load', '', scenarioTable(r.scenarios), '');
  for (const s of r.skipped) parts.push(`skipped: ${s}`);
  const f = failures(r);
  parts.push(f.length ? `FAILED:\n${f.map((x) => `- ${x}`).join('\n')}` : 'PASSED: 0 crashes, 0 lost, 0 duplicated, order kept');
  return parts.join('\n');
}
