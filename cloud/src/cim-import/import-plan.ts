/**
 * The checks of one data-server message (issue 13 §4), in order, all or nothing: the signed
 * wrapper, the CIM document and its mapping to readings (import-map.ts), the signature against
 * the server's key at the message time and the PoDs it may speak for (the DataServerRegistry
 * mirror), and the clock. The outcome is either everything to store or one rejection code;
 * nothing of a rejected message reaches the store. The awaiting lives in ./cim-ingest.ts.
 */
import { LightNodeError } from '@lightnode/shared/errors';
import { bytesToHex, type Hex } from '@lightnode/shared/hex';
import { recoverDigestSigner, type Eip712Domain } from '@lightnode/shared/eip712';
import { cimMessageDigest, decodeCimPayload, unwrapSignedCim, type CimContentType } from '@lightnode/shared/cim/signed-message';
import { keccak256 } from '../verify/keccak.js';
import { ingestEip712 } from '../verify/digest.js';
import { cimMessageToReadings } from '@lightnode/shared/cim/import-map';
import type { CimMessageRecord, StoredReadingInput } from '../store/types.js';
import type { DataServerVerdict } from '../registry/data-server-mirror.js';

/** Rejection codes of a data-server message (cloud/src/error-codes.ts). */
export type CimRejectCode =
  | 'BAL_CIM_ENVELOPE_INVALID' | 'BAL_CIM_MESSAGE_INVALID' | 'BAL_CIM_READING_TYPE_UNKNOWN' | 'BAL_CIM_SIGNATURE_INVALID'
  | 'BAL_DATA_SERVER_UNKNOWN' | 'BAL_DATA_SERVER_REVOKED' | 'BAL_CIM_USAGE_POINT_FORBIDDEN' | 'BAL_TIMESTAMP_FUTURE' | 'BAL_CIM_EQUIVOCATION';

export interface CimRejection {
  code: CimRejectCode;
  reason: string;
  /** The shared `CIM_` code behind a BAL_CIM_MESSAGE_INVALID / READING_TYPE_UNKNOWN, and its field. */
  cause?: { code: string; field?: string };
}

/** Whatever is known of the message, for the reply even when it is refused. */
export interface CimMessageFacts {
  contentType: CimContentType | null;
  messageId: string | null;
  hash: Hex | null;
}

export type CimPlan =
  | { ok: true; facts: CimMessageFacts; message: CimMessageRecord; inputs: StoredReadingInput[] }
  | { ok: false; facts: CimMessageFacts; rejection: CimRejection }
  | { ok: false; facts: CimMessageFacts; retry: true; reason: string };

export interface CimPlanDeps {
  domain: Eip712Domain;
  /** The registry check (DataServerMirror.check). */
  check(serverId: string, signer: Hex, pods: readonly string[], ms: number): Promise<DataServerVerdict>;
  nowMs: number;
  futureSkewMs: number;
}

/** Check one wire message of data server `serverId` (from its topic). Never throws for bad input. */
export async function planCimMessage(serverId: string, wire: Uint8Array, deps: CimPlanDeps): Promise<CimPlan> {
  const facts: CimMessageFacts = { contentType: null, messageId: null, hash: null };
  const reject = (code: CimRejectCode, reason: string, cause?: CimRejection['cause']): CimPlan => ({ ok: false, facts, rejection: { code, reason, ...(cause ? { cause } : {}) } });

  let signature: Hex;
  let payload: Uint8Array;
  try {
    ({ signature, payload } = unwrapSignedCim(wire));
  } catch (err) {
    return reject('BAL_CIM_ENVELOPE_INVALID', (err as Error).message);
  }
  // One hash of the payload (native keccak: a feed of 1,000 PoDs is ~400 kB), used for the
  // provenance, the signed digest and the store.
  const hash = bytesToHex(keccak256(payload));
  facts.hash = hash;

  let imported;
  try {
    const decoded = decodeCimPayload(payload);
    facts.contentType = decoded.contentType;
    facts.messageId = decoded.message.Header.MessageID ?? null;
    imported = cimMessageToReadings(decoded.message, hash);
  } catch (err) {
    const e = err as LightNodeError;
    const field = (e.details as { field?: string } | undefined)?.field;
    const cause = { code: String(e.code ?? 'CIM_FIELD_INVALID'), ...(field ? { field } : {}) };
    if (e.code === 'CIM_READING_TYPE_UNKNOWN') return reject('BAL_CIM_READING_TYPE_UNKNOWN', e.message, cause);
    if (!(e instanceof LightNodeError)) throw err;
    return reject('BAL_CIM_MESSAGE_INVALID', e.message, cause);
  }

  let signer: Hex;
  try {
    signer = recoverDigestSigner(cimMessageDigest(deps.domain, serverId, hash), signature);
  } catch (err) {
    return reject('BAL_CIM_SIGNATURE_INVALID', (err as Error).message);
  }
  const pods = [...new Set(imported.readings.map((r) => r.pod))];
  const verdict = await deps.check(serverId, signer, pods, imported.messageMs);
  if (!verdict.ok) {
    if ('retry' in verdict) return { ok: false, facts, retry: true, reason: verdict.reason };
    return reject(verdict.code, verdict.reason);
  }
  const limit = deps.nowMs + deps.futureSkewMs;
  if (imported.messageMs > limit) return reject('BAL_TIMESTAMP_FUTURE', `Header.Timestamp ${new Date(imported.messageMs).toISOString()} is more than ${deps.futureSkewMs} ms ahead`);
  const ahead = imported.readings.find((r) => r.timestamp > limit);
  if (ahead) return reject('BAL_TIMESTAMP_FUTURE', `a reading of ${ahead.pod} at ${new Date(ahead.timestamp).toISOString()} is more than ${deps.futureSkewMs} ms ahead`);

  const separator = ingestEip712.domainSeparator(deps.domain);
  const inputs = imported.readings.map((r): StoredReadingInput => ({
    reading: { ...r, signature },
    digest: bytesToHex(ingestEip712.readingDigestFor(separator, r)),
    signer,
    receivedAtMs: deps.nowMs,
  }));
  return { ok: true, facts, message: { hash, serverId, signer, signature, payload, receivedAtMs: deps.nowMs }, inputs };
}
