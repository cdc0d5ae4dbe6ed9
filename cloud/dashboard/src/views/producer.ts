/**
 * Producer section (D2.12 Figure 5): subscription requests on its topics with consumer, topic,
 * status, creation and modification dates, Accept / Refuse / Revoke; its own PoDs' node status
 * and latest readings.
 */
import { useCallback, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { dateTime } from '../format.js';
import { Badge, ErrorNote, HashLink, useApp, useLive, useLoad } from './common.js';
import { ReadingsTable } from './readings-table.js';

export interface Sub { id: number; consumer: string; producer: string; topic: string; pod: string; status: string; createdAtMs: number; updatedAtMs: number; transaction: string | null; block: number | null }

export function SubscriptionActions({ s, onDone }: { s: Sub; onDone: () => void }) {
  const { notify } = useApp();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const act = async (action: 'accept' | 'refuse' | 'revoke'): Promise<void> => {
    setBusy(true); setError(null);
    // The decision is signed and certified on chain before the answer: a few seconds at most.
    try { await api('POST', `/api/subscriptions/${s.id}/${action}`, {}); notify(`${action} ${s.consumer} on ${s.topic}: certified`); } catch (err) { setError((err as Error).message); }
    setBusy(false);
    onDone();
  };
  const b = (action: 'accept' | 'refuse' | 'revoke', label: string, cls = '') => html`<button type="button" class=${cls} disabled=${busy} onClick=${() => void act(action)} aria-label=${`${label} ${s.consumer} on ${s.topic}`}>${label}</button>`;
  const err = error ? html`<${ErrorNote} error=${error} />` : null;
  if (s.status === 'requested') return html`<span class="actions">${b('accept', 'Accept')} ${b('refuse', 'Refuse', 'secondary')}</span>${err}`;
  if (s.status === 'accepted') return html`<span class="actions">${b('revoke', 'Revoke', 'danger')}</span>${err}`;
  return html`<span>—</span>${err}`;
}

export function ProducerSection() {
  const { user } = useApp();
  const subs = useLoad(() => api<{ items: Sub[] }>('GET', '/api/subscriptions'));
  useLive(['subscription'], useCallback(() => subs.reload(), []));
  const rows = subs.data?.items ?? [];
  return html`<section aria-labelledby="requests-h">
      <h2 id="requests-h">Subscription requests</h2>
      <${ErrorNote} error=${subs.error} />
      <table data-testid="requests-table">
        <caption>Requests on your topics; each decision is signed by your wallet and certified on chain.</caption>
        <thead><tr><th scope="col">Consumer</th><th scope="col">Topic</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Modified</th><th scope="col">Certified in</th><th scope="col">Action</th></tr></thead>
        <tbody>
          ${rows.length === 0 ? html`<tr><td colSpan="7">No requests yet.</td></tr>` : rows.map((s) => html`<tr data-testid="request-row" data-consumer=${s.consumer} data-topic=${s.topic}>
            <td>${s.consumer}</td><td><code>${s.topic}</code></td><td><${Badge} kind=${s.status} /></td>
            <td>${dateTime(s.createdAtMs)}</td><td>${dateTime(s.updatedAtMs)}</td>
            <td><${HashLink} hash=${s.transaction} kind="tx" /></td>
            <td><${SubscriptionActions} s=${s} onDone=${subs.reload} /></td>
          </tr>`)}
        </tbody>
      </table>
    </section>
    <section aria-labelledby="pods-h">
      <h2 id="pods-h">My PoDs</h2>
      ${user.pods.length === 0 ? html`<p>No PoD is registered to you.</p>` : user.pods.map((pod) => html`<div key=${pod}><h3>${pod}</h3><${ReadingsTable} pod=${pod} rows=${5} windowMs=${900_000} /></div>`)}
    </section>`;
}
