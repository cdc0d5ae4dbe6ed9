/** Admin: per PoD, a time chart of any quantity and the readings with their verification state. */
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { ErrorNote, useLoad } from './common.js';
import { ReadingsTable } from './readings-table.js';

const WINDOWS: [number, string][] = [[300_000, 'last 5 min'], [3_600_000, 'last hour'], [86_400_000, 'last 24 h']];

export function ReadingsView() {
  const nodes = useLoad(() => api<{ items: { pod: string }[] }>('GET', '/api/nodes?limit=1000'));
  const [pod, setPod] = useState<string | null>(null);
  const [windowMs, setWindowMs] = useState(3_600_000);
  const pods = (nodes.data?.items ?? []).map((n) => n.pod);
  const current = pod && pods.includes(pod) ? pod : pods[0] ?? null;
  return html`<section aria-labelledby="readings-h">
    <h2 id="readings-h">Per PoD: chart and verification state</h2>
    <${ErrorNote} error=${nodes.error} />
    <div class="filters">
      <label for="readings-pod">PoD</label>
      <select id="readings-pod" value=${current ?? ''} onChange=${(e: Event) => setPod((e.target as HTMLSelectElement).value)}>
        ${pods.map((p) => html`<option value=${p}>${p}</option>`)}
      </select>
      <label for="readings-window">Period</label>
      <select id="readings-window" value=${String(windowMs)} onChange=${(e: Event) => setWindowMs(Number((e.target as HTMLSelectElement).value))}>
        ${WINDOWS.map(([ms, label]) => html`<option value=${String(ms)}>${label}</option>`)}
      </select>
    </div>
    ${current ? html`<${ReadingsTable} key=${`${current}:${windowMs}`} pod=${current} chart=${true} windowMs=${windowMs} rows=${20} />` : html`<p>No PoD has readings yet.</p>`}
  </section>`;
}
