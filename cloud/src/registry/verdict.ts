/**
 * The registry's answer for one reading's signer (DESIGN §4, §5): declared once here, given by
 * the mirror (./mirror.ts) and consumed by the ingest's batch plan (../ingest/batch-plan.ts).
 */

/** Why a signer is not valid for a PoD at a time (ack reason codes, docs/interfaces.md). */
export type SignerProblem = 'BAL_POD_UNKNOWN' | 'BAL_SIGNER_NOT_REGISTERED' | 'BAL_DEVICE_REVOKED';

/** Registry verdict for one reading: ok, a final rejection, or "ask again later" (chain unreachable). */
export type RegistryVerdict = { ok: true } | { ok: false; code: SignerProblem; reason: string } | { ok: false; retry: true; reason: string };
