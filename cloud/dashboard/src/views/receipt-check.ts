/** Fetch a reading's receipt and check it in this page (verify.ts); show which checks passed. */
import { html } from '../html.js';
import type { Verification } from '../verify.js';
import { verifyReceiptInBrowser } from '../verify.js';
import { api } from '../api.js';
import { HashLink } from './common.js';

/** Fetch and verify; a reading without receipt yet resolves to a message. */
export async function verifyReading(id: number): Promise<Verification | string> {
  let receipt: unknown;
  try { receipt = await api('GET', `/api/readings/${id}/receipt`); } catch (err) { return (err as Error).message; }
  return verifyReceiptInBrowser(receipt);
}

export function VerificationResult({ v, title }: { v: Verification | string; title: string }) {
  if (typeof v === 'string') return html`<section class="verify-result" data-testid="verify-result" data-ok="pending" aria-label=${title}><h3>${title}</h3><p>${v}</p></section>`;
  return html`<section class="verify-result" data-testid="verify-result" data-ok=${String(v.ok)} aria-label=${title}>
    <h3>${title}: <span class=${v.ok ? 'ok' : 'bad'}>${v.ok ? 'all checks passed in this browser' : 'verification FAILED'}</span></h3>
    <ul class="checks">
      ${v.checks.map((c) => html`<li data-check=${c.id} data-ok=${String(c.ok)}><span class=${c.ok ? 'ok' : 'bad'} aria-hidden="true">${c.ok ? '✔' : '✘'}</span> <strong>${c.label}</strong>: ${c.ok ? 'passed' : 'failed'} <span class="detail">${c.detail}</span></li>`)}
    </ul>
    ${v.receipt ? html`<p class="detail">Still to check on chain: anchor ${v.receipt.anchor.index} in ReadingAnchor ${v.receipt.contracts.readingAnchor} holds this root (transaction <${HashLink} hash=${v.receipt.anchor.transaction} kind="tx" />, block ${v.receipt.anchor.blockNumber}), and ${v.receipt.signer} was the PoD's registered device.</p>` : null}
  </section>`;
}
