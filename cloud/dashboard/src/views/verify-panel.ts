/** Verify any receipt (pasted or from a file) in this browser: for auditors holding a receipt. */
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { verifyReceiptInBrowser, type Verification } from '../verify.js';
import { VerificationResult } from './receipt-check.js';

export function VerifyPanel() {
  const [text, setText] = useState('');
  const [result, setResult] = useState<Verification | string | null>(null);
  const run = (e: Event): void => {
    e.preventDefault();
    let parsed: unknown;
    try { parsed = JSON.parse(text); } catch (err) { setResult(`Not JSON: ${(err as Error).message}`); return; }
    setResult(verifyReceiptInBrowser(parsed));
  };
  return html`<section aria-labelledby="verify-h">
    <h2 id="verify-h">Verify a receipt in this browser</h2>
    <p>Paste a receipt (GET /api/readings/{id}/receipt, or one given to you). The digest, the signature and the Merkle proof are recomputed here; nothing is sent to the server.</p>
    <form onSubmit=${run}>
      <label for="receipt-json">Receipt JSON</label>
      <textarea id="receipt-json" rows="10" value=${text} onInput=${(e: Event) => setText((e.target as HTMLTextAreaElement).value)}></textarea>
      <button type="submit">Verify</button>
    </form>
    ${result ? html`<${VerificationResult} v=${result} title="Pasted receipt" />` : null}
  </section>`;
}
