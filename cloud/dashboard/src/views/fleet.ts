/**
 * Admin: the fleet. Online or offline follows ThingsBoard's semantics, not the socket: a node is
 * offline when its last status says so (its last will, or a clean stop) or when nothing — no
 * status, no reading — arrived for `offlineAfterMs` ("offline since …", as OpenEMS shows it).
 * Live: node events replace the row, readings events move "last seen" and "last reading".
 */
import { useCallback, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { ago, dateTime, shortHex } from '../format.js';
import { Badge, ErrorNote, useApp, useLive, useLoad, useNow } from './common.js';

export interface NodeRow {
  pod: string; device: string | null; state: string; lastSeen: number | null; lastStatusAt: number | null; lastStoredSeq: number | null;
  reportedLastSeq: number | null; spoolDepth: number | null; quarantined: number | null; agentVersion: string | null;
  readings: number; gaps: number; rejected: number; duplicates: number; equivocations: number;
}

/** 'online' | 'offline' at `now`, and why. */
export function nodeStatus(n: NodeRow, now: number, offlineAfterMs: number): { status: 'online' | 'offline'; why: string } {
  if (n.state === 'offline') return { status: 'offline', why: `reported offline; last seen ${ago(n.lastSeen, now)}` };
  if (n.lastSeen === null || now - n.lastSeen > offlineAfterMs) return { status: 'offline', why: `no sign of life since ${dateTime(n.lastSeen)}` };
  return { status: 'online', why: `last seen ${ago(n.lastSeen, now)}` };
}

export function FleetView() {
  const { settings } = useApp();
  const now = useNow(1000);
  const [nodes, setNodes] = useState<Map<string, NodeRow>>(new Map());
  const [lastReading, setLastReading] = useState<Map<string, string>>(new Map());
  const [filter, setFilter] = useState('');
  const [statusFilter, setStatusFilter] = useState('all');
  const load = useLoad(async () => {
    const r = await api<{ items: NodeRow[] }>('GET', '/api/nodes?limit=1000');
    setNodes(new Map(r.items.map((n) => [n.pod, n])));
    return r.items.length;
  });
  const rejections = useLoad(() => api<{ byCode: Record<string, number> }>('GET', '/api/ingest/rejections'));
  useLive(['node', 'readings'], useCallback((type, d) => {
    if (type === 'node') setNodes((m) => new Map(m).set(d.pod, d));
    else {
      const last = d.readings[d.readings.length - 1];
      if (!last) return;
      setLastReading((m) => new Map(m).set(d.pod, `#${last.seq} at ${dateTime(last.timestampMs)}`));
      setNodes((m) => {
        const n = m.get(d.pod);
        return n ? new Map(m).set(d.pod, { ...n, lastSeen: Date.now(), lastStoredSeq: last.seq, readings: n.readings + d.readings.length }) : m;
      });
      if (!nodes.has(d.pod)) load.reload();
    }
  }, [nodes]));
  const rows = [...nodes.values()].sort((a, b) => a.pod.localeCompare(b.pod))
    .map((n) => ({ n, s: nodeStatus(n, now, settings.offlineAfterMs) }))
    .filter(({ n, s }) => (statusFilter === 'all' || s.status === statusFilter) && (filter === '' || n.pod.includes(filter.toUpperCase()) || (n.device ?? '').includes(filter.toLowerCase())));
  const online = [...nodes.values()].filter((n) => nodeStatus(n, now, settings.offlineAfterMs).status === 'online').length;
  const rej = Object.entries(rejections.data?.byCode ?? {}).filter(([, v]) => v > 0);
  return html`<section aria-labelledby="fleet-h">
    <h2 id="fleet-h">Light Nodes: ${online} online of ${nodes.size}</h2>
    <${ErrorNote} error=${load.error} />
    <div class="filters">
      <label for="fleet-search">Search PoD or device</label>
      <input id="fleet-search" type="search" value=${filter} onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)} />
      <label for="fleet-status">Status</label>
      <select id="fleet-status" value=${statusFilter} onChange=${(e: Event) => setStatusFilter((e.target as HTMLSelectElement).value)}>
        <option value="all">all</option><option value="online">online</option><option value="offline">offline</option>
      </select>
    </div>
    <table data-testid="fleet-table">
      <caption>Offline: reported offline (last will or stop), or silent for more than ${Math.round(settings.offlineAfterMs / 1000)} s.</caption>
      <thead><tr><th scope="col">PoD</th><th scope="col">Device</th><th scope="col">Status</th><th scope="col">Last seen</th><th scope="col">Last reading</th><th scope="col">Spool backlog</th><th scope="col">Firmware</th><th scope="col">Rejected / duplicates / equivocations / gaps</th></tr></thead>
      <tbody>
        ${rows.length === 0 ? html`<tr><td colSpan="8">No Light Node has reported yet.</td></tr>` : rows.map(({ n, s }) => html`<tr data-testid="node-row" data-pod=${n.pod} data-status=${s.status}>
          <td>${n.pod}</td><td><code title=${n.device ?? ''}>${shortHex(n.device)}</code></td>
          <td><${Badge} kind=${s.status} /> <span class="detail">${s.why}</span></td>
          <td>${ago(n.lastSeen, now)}</td>
          <td>${lastReading.get(n.pod) ?? (n.lastStoredSeq !== null ? `#${n.lastStoredSeq}` : '—')}</td>
          <td>${n.spoolDepth ?? '—'}${n.quarantined ? ` (+${n.quarantined} quarantined)` : ''}</td>
          <td>${n.agentVersion ?? '—'}</td>
          <td>${n.rejected} / ${n.duplicates} / ${n.equivocations} / ${n.gaps}</td>
        </tr>`)}
      </tbody>
    </table>
    <h3>Rejections by reason (fleet, since the BAL started)</h3>
    ${rej.length === 0 ? html`<p>None.</p>` : html`<ul data-testid="rejections">${rej.map(([k, v]) => html`<li><code>${k}</code>: ${v}</li>`)}</ul>`}
  </section>`;
}
