/**
 * Consumer section (D2.12 Figure 4): every producer with its topic, wallet and this consumer's
 * subscription status, Subscribe / Cancel; the accepted streams' readings, live.
 */
import { useCallback, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { shortHex } from '../format.js';
import { Badge, ErrorNote, useApp, useLive, useLoad } from './common.js';
import { ReadingsTable } from './readings-table.js';

interface ProducerRow { producer: string; wallet: string; topic: string; pod: string; status: string | null }
interface Sub { id: number; topic: string; pod: string; status: string }

export function ConsumerSection() {
  const { notify } = useApp();
  const [actionError, setActionError] = useState<string | null>(null);
  const producers = useLoad(() => api<{ items: ProducerRow[] }>('GET', '/api/producers'));
  const subs = useLoad(() => api<{ items: Sub[] }>('GET', '/api/subscriptions'));
  const reload = useCallback(() => { producers.reload(); subs.reload(); }, []);
  useLive(['subscription'], reload);
  const act = async (row: ProducerRow, action: 'subscribe' | 'cancel'): Promise<void> => {
    setActionError(null);
    try {
      if (action === 'subscribe') await api('POST', '/api/subscriptions', { topic: row.topic });
      else {
        const s = subs.data?.items.find((x) => x.topic === row.topic);
        if (s) await api('POST', `/api/subscriptions/${s.id}/cancel`, {});
      }
      notify(`${action === 'subscribe' ? 'Requested' : 'Cancelled'} ${row.topic}`);
    } catch (err) { setActionError((err as Error).message); }
    reload();
  };
  const rows = producers.data?.items ?? [];
  const accepted = rows.filter((r) => r.status === 'accepted');
  return html`<section aria-labelledby="producers-h">
      <h2 id="producers-h">Producers</h2>
      <${ErrorNote} error=${producers.error ?? actionError} />
      <table data-testid="producers-table">
        <caption>Streams you can ask for; a decision is certified on chain before it applies.</caption>
        <thead><tr><th scope="col">Producer</th><th scope="col">Topic</th><th scope="col">Wallet</th><th scope="col">Subscription</th><th scope="col">Action</th></tr></thead>
        <tbody>
          ${rows.length === 0 ? html`<tr><td colSpan="5">No producers yet.</td></tr>` : rows.map((r) => html`<tr data-testid="producer-row" data-topic=${r.topic}>
            <td>${r.producer}</td><td><code>${r.topic}</code></td><td><code title=${r.wallet}>${shortHex(r.wallet)}</code></td>
            <td><${Badge} kind=${r.status ?? 'none'} text=${r.status ?? 'not subscribed'} /></td>
            <td>${r.status === 'requested' || r.status === 'accepted'
              ? html`<button type="button" class="secondary" onClick=${() => void act(r, 'cancel')} aria-label=${`Cancel subscription to ${r.topic}`}>Cancel</button>`
              : html`<button type="button" onClick=${() => void act(r, 'subscribe')} aria-label=${`Subscribe to ${r.topic}`}>Subscribe</button>`}</td>
          </tr>`)}
        </tbody>
      </table>
    </section>
    <section aria-labelledby="streams-h">
      <h2 id="streams-h">Live readings of accepted streams</h2>
      ${accepted.length === 0 ? html`<p data-testid="no-streams">No accepted subscription yet.</p>` : accepted.map((r) => html`<${ReadingsTable} key=${r.pod} pod=${r.pod} rows=${5} windowMs=${900_000} />`)}
    </section>`;
}

