/**
 * One PoD's recent readings: loaded over REST, kept live by the event stream (new readings;
 * statuses reloaded when an anchor is confirmed), each with its verification state and a
 * Verify button that checks its receipt in this page. Optionally a chart of one quantity.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { dateTime, measurement, scaled, shortHex, type Measurement } from '../format.js';
import { Badge, ErrorNote, useLive } from './common.js';
import { TimeChart } from './chart.js';
import { verifyReading, VerificationResult } from './receipt-check.js';
import type { Verification } from '../verify.js';

export interface ReadingRow { id: number; pod: string; seq: number; timestamp: number; digest: string; status: string; values: Measurement[] }

const STATUS_TEXT: Record<string, string> = { pending: 'stored', anchored: 'anchored', confirmed: 'confirmed' };

async function loadRecent(pod: string, windowMs: number, max: number): Promise<ReadingRow[]> {
  let rows: ReadingRow[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 5; page++) {
    const q: URLSearchParams = new URLSearchParams({ pod, from: String(Date.now() - windowMs), limit: '1000', ...(cursor ? { cursor } : {}) });
    const r: { items: any[]; next: string | null } = await api<{ items: any[]; next: string | null }>('GET', `/api/readings?${q}`);
    rows = rows.concat(r.items.map((x) => ({ id: x.id, pod: x.pod, seq: x.seq, timestamp: x.timestamp, digest: x.digest, status: x.status, values: x.reading.values })));
    cursor = r.next;
    if (!cursor) break;
  }
  return rows.slice(-max);
}

export function ReadingsTable({ pod, chart = false, windowMs = 3_600_000, rows: shown = 10 }: { pod: string; chart?: boolean; windowMs?: number; rows?: number }) {
  const [rows, setRows] = useState<ReadingRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [quantity, setQuantity] = useState<string | null>(null);
  const [verified, setVerified] = useState<{ id: number; v: Verification | string } | null>(null);
  const [paused, setPaused] = useState(false);
  const reload = useCallback(() => { loadRecent(pod, windowMs, 2000).then((r) => { setRows(r); setError(null); }, (e: Error) => setError(e.message)); }, [pod, windowMs]);
  useEffect(reload, [reload]);
  useLive(['readings', 'anchor'], useCallback((type, d) => {
    if (paused) return;
    if (type === 'anchor') { reload(); return; }
    if (d.pod !== pod) return;
    const add: ReadingRow[] = d.readings.map((x: any) => ({ id: x.id, pod, seq: x.seq, timestamp: x.timestampMs, digest: x.digest, status: 'pending', values: x.values }));
    setRows((old) => old.concat(add.filter((a) => !old.some((o) => o.id === a.id))).slice(-2000));
  }, [pod, reload, paused]));
  const quantities = [...new Set(rows.flatMap((r) => r.values.map((v) => v.quantity)))];
  const q = quantity && quantities.includes(quantity) ? quantity : quantities[0] ?? null;
  const series = rows.flatMap((r) => r.values.filter((v) => v.quantity === q).map((v) => ({ t: r.timestamp / 1000, y: scaled(v), unit: v.unit })));
  const latest = rows.slice(-shown).reverse();
  const verify = async (id: number): Promise<void> => { setVerified({ id, v: 'Checking…' }); setVerified({ id, v: await verifyReading(id) }); };
  const qid = `q-${pod}`;
  return html`<div class="readings" data-pod=${pod}>
    <${ErrorNote} error=${error} />
    ${chart && q ? html`<div class="chart-controls">
        <label for=${qid}>Quantity</label>
        <select id=${qid} value=${q} onChange=${(e: Event) => setQuantity((e.target as HTMLSelectElement).value)}>
          ${quantities.map((x) => html`<option value=${x}>${x}</option>`)}
        </select>
      </div>
      <${TimeChart} label=${q} unit=${series[0]?.unit ?? ''} xs=${series.map((s) => s.t)} ys=${series.map((s) => s.y)} />` : null}
    <div class="filters">
      <input type="checkbox" id=${`pause-${pod}`} checked=${paused} onChange=${(e: Event) => { const p = (e.target as HTMLInputElement).checked; setPaused(p); if (!p) reload(); }} />
      <label for=${`pause-${pod}`}>Pause live updates</label>
    </div>
    <table data-testid="readings-table">
      <caption>Latest readings of ${pod} (${rows.length} in the last ${Math.round(windowMs / 60_000)} min)</caption>
      <thead><tr><th scope="col">Id</th><th scope="col">Seq</th><th scope="col">Time</th><th scope="col">Values</th><th scope="col">Digest</th><th scope="col">Verification state</th><th scope="col">In this browser</th></tr></thead>
      <tbody>
        ${latest.length === 0 ? html`<tr><td colSpan="7">No readings yet.</td></tr>` : latest.map((r) => html`<tr data-testid="reading-row" data-id=${r.id}>
          <td>${r.id}</td><td>${r.seq}</td><td>${dateTime(r.timestamp)}</td>
          <td>${r.values.map((v) => html`<div>${v.quantity}: ${measurement(v)}</div>`)}</td>
          <td><code title=${r.digest}>${shortHex(r.digest)}</code></td>
          <td><${Badge} kind=${r.status} text=${STATUS_TEXT[r.status] ?? r.status} /></td>
          <td><button type="button" class="small" onClick=${() => void verify(r.id)} disabled=${r.status === 'pending'} aria-label=${`Verify reading ${r.id}`}>Verify</button></td>
        </tr>`)}
      </tbody>
    </table>
    ${verified ? html`<${VerificationResult} v=${verified.v} title=${`Reading ${verified.id}`} />` : null}
  </div>`;
}
