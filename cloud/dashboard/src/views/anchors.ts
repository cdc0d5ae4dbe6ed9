/** Admin: anchors, newest first, live: index, root, leaves, transaction, block, confirmations, previous anchor. */
import { useCallback } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { dateTime, shortHex } from '../format.js';
import { Badge, ErrorNote, HashLink, useLive, useLoad } from './common.js';

interface AnchorRow { index: number; root: string; leafCount: number; fromMs: number; toMs: number; prevHash: string; anchorHash: string | null; transaction: string; blockNumber: number | null; status: string; confirmations: number | null }

export function AnchorsView() {
  const anchors = useLoad(() => api<{ items: AnchorRow[]; head: number | null }>('GET', '/api/anchors?limit=50'));
  useLive(['anchor'], useCallback(() => anchors.reload(), []));
  const rows = anchors.data?.items ?? [];
  return html`<section aria-labelledby="anchors-h">
    <h2 id="anchors-h">Anchors${anchors.data?.head != null ? html` <span class="detail">(chain head: block ${anchors.data.head})</span>` : null}</h2>
    <${ErrorNote} error=${anchors.error} />
    <table data-testid="anchors-table">
      <caption>Merkle roots of readings written to ReadingAnchor; each links to the previous one by its hash.</caption>
      <thead><tr><th scope="col">Index</th><th scope="col">Root</th><th scope="col">Leaves</th><th scope="col">Window</th><th scope="col">Transaction</th><th scope="col">Block</th><th scope="col">Confirmations</th><th scope="col">Status</th><th scope="col">Previous anchor</th></tr></thead>
      <tbody>
        ${rows.length === 0 ? html`<tr><td colSpan="9">No anchor yet.</td></tr>` : rows.map((a) => html`<tr data-testid="anchor-row" data-index=${a.index} id=${`anchor-${a.index}`}>
          <td>${a.index}</td><td><code title=${a.root}>${shortHex(a.root)}</code></td><td>${a.leafCount}</td>
          <td>${dateTime(a.fromMs)} – ${dateTime(a.toMs)}</td>
          <td><${HashLink} hash=${a.transaction} kind="tx" /></td>
          <td>${a.blockNumber ?? '—'}</td><td>${a.confirmations ?? '—'}</td><td><${Badge} kind=${a.status} /></td>
          <td>${a.index === 0 ? html`genesis <code title=${a.prevHash}>${shortHex(a.prevHash)}</code>` : html`<a href=${`#anchor-${a.index - 1}`}>#${a.index - 1}</a> <code title=${a.prevHash}>${shortHex(a.prevHash)}</code>`}</td>
        </tr>`)}
      </tbody>
    </table>
  </section>`;
}
