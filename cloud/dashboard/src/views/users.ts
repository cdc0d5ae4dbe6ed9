/**
 * Admin: users and subscriptions, with the on-chain certification of each decision: the
 * history's transactions, and the status the SubscriptionRegistry itself holds (read from the
 * chain on request) beside the BAL's.
 */
import { useCallback, useState } from 'preact/hooks';
import { html } from '../html.js';
import { api } from '../api.js';
import { dateTime, shortHex } from '../format.js';
import { Badge, ErrorNote, HashLink, useLive, useLoad } from './common.js';
import { SubscriptionActions, type Sub } from './producer.js';

interface UserRow { username: string; role: string; wallet: string; custody: string; enabled: boolean; createdAtMs: number; pods: string[] }
interface HistoryRow { action: string; from: string | null; to: string; actor: string; atMs: number; transaction: string; block: number }

export function UsersView() {
  const users = useLoad(() => api<{ items: UserRow[] }>('GET', '/api/users'));
  const subs = useLoad(() => api<{ items: Sub[] }>('GET', '/api/subscriptions'));
  useLive(['subscription'], useCallback(() => subs.reload(), []));
  const [open, setOpen] = useState<number | null>(null);
  return html`<section aria-labelledby="users-h">
      <h2 id="users-h">Users</h2>
      <${ErrorNote} error=${users.error} />
      <table data-testid="users-table">
        <caption>Data users; custodial wallets are kept encrypted by the BAL.</caption>
        <thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Wallet</th><th scope="col">Custody</th><th scope="col">Enabled</th><th scope="col">PoDs</th><th scope="col">Created</th></tr></thead>
        <tbody>${(users.data?.items ?? []).map((u) => html`<tr data-testid="user-row" data-username=${u.username}>
          <td>${u.username}</td><td>${u.role}</td><td><${HashLink} hash=${u.wallet} kind="address" /></td><td>${u.custody}</td>
          <td>${u.enabled ? 'yes' : 'no'}</td><td>${u.pods.join(', ') || '—'}</td><td>${dateTime(u.createdAtMs)}</td></tr>`)}</tbody>
      </table>
    </section>
    <section aria-labelledby="subs-h">
      <h2 id="subs-h">Subscriptions</h2>
      <${ErrorNote} error=${subs.error} />
      <table data-testid="subscriptions-table">
        <caption>Every decision is an EIP-712 message certified by the SubscriptionRegistry contract.</caption>
        <thead><tr><th scope="col">Consumer</th><th scope="col">Producer</th><th scope="col">Topic</th><th scope="col">Status</th><th scope="col">Modified</th><th scope="col">Last decision</th><th scope="col">Block</th><th scope="col">Certification</th><th scope="col">Action</th></tr></thead>
        <tbody>${(subs.data?.items ?? []).map((s) => html`<tr data-testid="subscription-row" data-id=${s.id}>
          <td>${s.consumer}</td><td>${s.producer}</td><td><code>${s.topic}</code></td><td><${Badge} kind=${s.status} /></td>
          <td>${dateTime(s.updatedAtMs)}</td><td><${HashLink} hash=${s.transaction} kind="tx" /></td><td>${s.block ?? '—'}</td>
          <td><button type="button" class="small secondary" aria-expanded=${open === s.id} onClick=${() => setOpen(open === s.id ? null : s.id)} aria-label=${`On-chain certification of ${s.consumer} on ${s.topic}`}>${open === s.id ? 'Hide' : 'Show'}</button></td>
          <td><${SubscriptionActions} s=${s} onDone=${subs.reload} /></td>
        </tr>`)}</tbody>
      </table>
      ${open !== null ? html`<${Certification} sub=${(subs.data?.items ?? []).find((s) => s.id === open)!} />` : null}
    </section>`;
}

function Certification({ sub }: { sub: Sub }) {
  const history = useLoad(() => api<{ items: HistoryRow[] }>('GET', `/api/subscriptions/${sub.id}/history`), [sub.id, sub.status]);
  const chain = useLoad(() => api<{ subscriptions: { consumer: string; status: string; transaction: string | null; block: number | null; timestamp?: number }[] }>('GET', `/api/certification/${encodeURIComponent(sub.topic)}`), [sub.id, sub.status]);
  const onChain = chain.data?.subscriptions.find((c) => c.consumer.toLowerCase() === (sub as unknown as { consumerWallet: string }).consumerWallet?.toLowerCase());
  const agree = onChain ? onChain.status === sub.status : null;
  return html`<div class="certification" data-testid="certification" data-agree=${String(agree)}>
    <h3>Certification of ${sub.consumer} on ${sub.topic}</h3>
    <${ErrorNote} error=${history.error ?? chain.error} />
    <p>On chain (SubscriptionRegistry, read now): ${onChain ? html`<${Badge} kind=${onChain.status} /> ${agree ? '— matches the BAL' : '— DIFFERS from the BAL'}` : chain.data ? 'not recorded' : 'reading…'}</p>
    <ol class="history">${(history.data?.items ?? []).map((h) => html`<li>${dateTime(h.atMs)}: <strong>${h.action}</strong> by ${h.actor} (${h.from ?? '—'} → ${h.to}), transaction <${HashLink} hash=${h.transaction} kind="tx" />, block ${h.block}</li>`)}</ol>
    <p class="detail">Consumer wallet ${shortHex((sub as unknown as { consumerWallet: string }).consumerWallet)}, provider wallet ${shortHex((sub as unknown as { providerWallet: string }).providerWallet)}.</p>
  </div>`;
}
