/**
 * Verify a receipt in the browser (issue 12): every check recomputed here from the receipt
 * alone with shared's pure code — the EIP-712 digest of the reading, the signer recovered from
 * its signature, the Merkle path from the digest to the anchor root — so an auditor trusts
 * their own browser, not the server. Each check is run and reported on its own. What needs the
 * chain (the root is anchor `index` of ReadingAnchor, the signer is the PoD's device) is shown
 * as the facts to look up, not claimed.
 */
import { validateReceipt, type Receipt } from '@lightnode/shared/receipt';
import { makeDomain, readingDigest, recoverReadingSigner } from '@lightnode/shared/eip712';
import { verifyMerkleProof } from '@lightnode/shared/merkle';
import { bytesToHex } from '@lightnode/shared/hex';

export type CheckId = 'shape' | 'digest' | 'signature' | 'proof';

export interface Check { id: CheckId; label: string; ok: boolean; detail: string }

export interface Verification { ok: boolean; checks: Check[]; receipt: Receipt | null }

const LABELS: Record<CheckId, string> = {
  shape: 'Receipt is well-formed',
  digest: 'EIP-712 digest recomputed from the reading',
  signature: 'Signature recovers the signer',
  proof: 'Merkle proof leads to the anchor root',
};

const msg = (err: unknown): string => (err instanceof Error ? err.message : String(err)).slice(0, 300);

/** Run every check on an untrusted receipt (parsed JSON). */
export function verifyReceiptInBrowser(x: unknown): Verification {
  const check = (id: CheckId, ok: boolean, detail: string): Check => ({ id, label: LABELS[id], ok, detail });
  let r: Receipt;
  try { r = validateReceipt(x); } catch (err) {
    return { ok: false, receipt: null, checks: [check('shape', false, msg(err)), ...(['digest', 'signature', 'proof'] as const).map((id) => check(id, false, 'not run: the receipt is malformed'))] };
  }
  const checks: Check[] = [check('shape', true, `anchor ${r.anchor.index}, chain ${r.chainId}, proof of ${r.proof.length} hashes`)];
  const domain = makeDomain(r.chainId, r.contracts.podRegistry);
  try {
    const digest = bytesToHex(readingDigest(domain, r.reading));
    checks.push(check('digest', digest === r.digest, digest === r.digest ? digest : `recomputed ${digest}, receipt says ${r.digest}`));
  } catch (err) { checks.push(check('digest', false, msg(err))); }
  try {
    const signer = recoverReadingSigner(domain, r.reading);
    checks.push(check('signature', signer === r.signer, signer === r.signer ? `signed by ${signer}` : `recovers ${signer}, receipt says ${r.signer}`));
  } catch (err) { checks.push(check('signature', false, msg(err))); }
  // The proof is checked from the receipt's digest: a wrong digest fails above, a wrong path here.
  const proofOk = verifyMerkleProof(r.anchor.root, r.digest, r.proof);
  checks.push(check('proof', proofOk, proofOk ? `root ${r.anchor.root}` : `the path does not reach root ${r.anchor.root}`));
  return { ok: checks.every((c) => c.ok), checks, receipt: r };
}
