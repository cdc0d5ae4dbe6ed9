/**
 * Admin: the fleet. Online or offline follows ThingsBoard's semantics, not the socket: a node is
 * offline when its last status says so (its last will, or a clean stop) or when nothing — no
 * status, no reading — arrived for `offlineAfterMs` ("offline since …", as OpenEMS shows it).
 * Live: node events replace the row, readings events move "last seen" and "last reading".
 * Paged: 100 nodes at a time by PoD ("Load more"); the search goes to the server (part of a PoD
 * or device), the status filter applies to the nodes loaded.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { ago, dateTime, shortHex } from '../format.js';
import { Badge, ErrorNote, useApp, useLive, useLoad, useNow } from './common.js';

export interface NodeRow {
  pod: string; device: string | null; state: string; lastSeen: number | null; lastStatusAt: number | null; lastStoredSeq: number | null;
  reportedLastSeq: number | null; spoolDepth: number | null; quarantined: number | null; agentVersion: string | null;
  readings: number; gaps: number; rejected: number; rejectedByCode: Record<string, number>; duplicates: number; equivocations: number;
}

/** Nodes per page of GET /api/nodes. */
export const FLEET_PAGE = 100;
const SEARCH_RE = /^[A-Za-z0-9]{1,42}$/;

/** Does `n` match the search as the server applies it (part of the PoD or the device)? */
const matches = (n: NodeRow, search: string): boolean =>
  search === '' || n.pod.includes(search.toUpperCase()) || (n.device ?? '').includes(search.toLowerCase());

/** "code × n" per ack reason code of one node. */
function Reasons({ byCode }: { byCode: Record<string, number> }) {
  const entries = Object.entries(byCode ?? {});
  if (entries.length === 0) return html`<span class="detail">none</span>`;
  return html`<ul class="reasons" data-testid="node-rejections">${entries.map(([code, n]) => html`<li><code>${code}</code> × ${n}</li>`)}</ul>`;
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
  const [search, setSearch] = useState('');
  const [statusFilter, setStatusFilter] = useState('all');
  // Cursor of the next page (the last PoD loaded), null when everything matching is loaded.
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const fetching = useRef(new Set<string>());
  // Bumped by every first-page load: a page answered after a newer search is dropped.
  const generation = useRef(0);
  const rejections = useLoad(() => api<{ byCode: Record<string, number> }>('GET', '/api/ingest/rejections'));

  const page = useCallback(async (cursor: string | null, replace: boolean) => {
    const gen = replace ? ++generation.current : generation.current;
    setLoading(true);
    try {
      const q = `limit=${FLEET_PAGE}${cursor ? `&cursor=${cursor}` : ''}${search ? `&search=${search}` : ''}`;
      const r = await api<{ items: NodeRow[]; next: string | null }>('GET', `/api/nodes?${q}`);
      if (gen !== generation.current) return;
      setNodes((m) => {
        const out = replace ? new Map<string, NodeRow>() : new Map(m);
        for (const n of r.items) out.set(n.pod, n);
        return out;
      });
      setNext(r.next);
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoading(false);
    }
  }, [search]);
  useEffect(() => { void page(null, true); }, [page]);
  // The search goes to the server once typing pauses; the loaded rows are filtered at once.
  useEffect(() => {
    const s = filter.trim();
    const t = setTimeout(() => setSearch(s === '' || SEARCH_RE.test(s) ? s : search), 300);
    return () => clearTimeout(t);
  }, [filter]);

  // A node the page has not loaded belongs in it only inside the loaded PoD range and the search.
  const belongs = (pod: string): boolean => next === null || pod <= next;
  useLive(['node', 'readings'], useCallback((type, d) => {
    if (type === 'node') {
      const prev = nodes.get(d.pod);
      if (!prev && !(belongs(d.pod) && matches(d, search))) return;
      setNodes((m) => new Map(m).set(d.pod, d));
      if (prev && prev.rejected !== d.rejected) rejections.reload();
      return;
    }
    const last = d.readings[d.readings.length - 1];
    if (!last) return;
    setLastReading((m) => new Map(m).set(d.pod, `#${last.seq} at ${dateTime(last.timestampMs)}`));
    setNodes((m) => {
      const n = m.get(d.pod);
      return n ? new Map(m).set(d.pod, { ...n, lastSeen: Date.now(), lastStoredSeq: last.seq, readings: n.readings + d.readings.length }) : m;
    });
    if (!nodes.has(d.pod) && belongs(d.pod) && !fetching.current.has(d.pod)) {
      // A node's first reading: fetch its row (not the whole list, which may span pages).
      fetching.current.add(d.pod);
      api<NodeRow>('GET', `/api/nodes/${d.pod}`)
        .then((n) => { if (matches(n, search)) setNodes((m) => (m.has(n.pod) ? m : new Map(m).set(n.pod, n))); }, () => undefined)
        .finally(() => fetching.current.delete(d.pod));
    }
  }, [nodes, next, search]));

  const rows = [...nodes.values()].sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0))
    .map((n) => ({ n, s: nodeStatus(n, now, settings.offlineAfterMs) }))
    .filter(({ n, s }) => (statusFilter === 'all' || s.status === statusFilter) && (filter.trim() === '' || matches(n, filter.trim())));
  const online = [...nodes.values()].filter((n) => nodeStatus(n, now, settings.offlineAfterMs).status === 'online').length;
  const rej = Object.entries(rejections.data?.byCode ?? {}).filter(([, v]) => v > 0);
  return html`<section aria-labelledby="fleet-h">
    <h2 id="fleet-h">Light Nodes: ${online} online of ${nodes.size}${next !== null ? ' loaded' : ''}</h2>
    <${ErrorNote} error=${error} />
    <div class="filters">
      <label for="fleet-search">Search PoD or device</label>
      <input id="fleet-search" type="search" value=${filter} onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)} />
      <label for="fleet-status">Status</label>
      <select id="fleet-status" value=${statusFilter} onChange=${(e: Event) => setStatusFilter((e.target as HTMLSelectElement).value)}>
        <option value="all">all</option><option value="online">online</option><option value="offline">offline</option>
      </select>
      <span class="detail">The search asks the BAL; the status filter applies to the nodes loaded.</span>
    </div>
    <table data-testid="fleet-table">
      <caption>Offline: reported offline (last will or stop), or silent for more than ${Math.round(settings.offlineAfterMs / 1000)} s.</caption>
      <thead><tr><th scope="col">PoD</th><th scope="col">Device</th><th scope="col">Status</th><th scope="col">Last seen</th><th scope="col">Last reading</th><th scope="col">Spool backlog</th><th scope="col">Firmware</th><th scope="col">Rejected / duplicates / equivocations / gaps</th><th scope="col">Rejections by reason</th></tr></thead>
      <tbody>
        ${rows.length === 0 ? html`<tr><td colSpan="9">${nodes.size === 0 && search === '' ? 'No Light Node has reported yet.' : 'No Light Node matches.'}</td></tr>` : rows.map(({ n, s }) => html`<tr data-testid="node-row" data-pod=${n.pod} data-status=${s.status}>
          <td>${n.pod}</td><td><code title=${n.device ?? ''}>${shortHex(n.device)}</code></td>
          <td><${Badge} kind=${s.status} /> <span class="detail">${s.why}</span></td>
          <td>${ago(n.lastSeen, now)}</td>
          <td>${lastReading.get(n.pod) ?? (n.lastStoredSeq !== null ? `#${n.lastStoredSeq}` : '—')}</td>
          <td>${n.spoolDepth ?? '—'}${n.quarantined ? ` (+${n.quarantined} quarantined)` : ''}</td>
          <td>${n.agentVersion ?? '—'}</td>
          <td>${n.rejected} / ${n.duplicates} / ${n.equivocations} / ${n.gaps}</td>
          <td><${Reasons} byCode=${n.rejectedByCode} /></td>
        </tr>`)}
      </tbody>
    </table>
    <p class="pager" data-testid="fleet-pager">
      ${next !== null
        ? html`<button type="button" class="secondary" disabled=${loading} onClick=${() => page(next, false)}>Load ${FLEET_PAGE} more Light Nodes</button> <span class="detail">${nodes.size} loaded, more on the BAL.</span>`
        : html`<span class="detail">All ${nodes.size} matching Light Nodes loaded.</span>`}
    </p>
    <h3>Rejections by reason (all Light Nodes)</h3>
    ${rej.length === 0 ? html`<p>None.</p>` : html`<ul data-testid="rejections">${rej.map(([k, v]) => html`<li><code>${k}</code>: ${v}</li>`)}</ul>`}
  </section>`;
}
