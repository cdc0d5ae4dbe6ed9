/**
 * The per-batch verification core: payload bytes → per-reading verdicts. Runs inside the
 * worker threads of ./pool.ts (or inline with `threads: 0`). Pure apart from CPU: no clock,
 * no registry, no store — those checks happen on the main thread in the ingest.
 *
 * The ReadingsBatch envelope (docs/interfaces.md: `{ v: 1, readings: SignedReading[] }`,
 * 1..1000 readings, ≤ 1 MiB) is parsed with shared's `splitReadingsBatch`, which judges each
 * reading on its own, so one bad reading is rejected with its own seq (BAL_READING_INVALID,
 * BAL_POD_MISMATCH) while the rest of the batch is stored and acked.
 */
import type { SignedReading } from '@lightnode/shared/reading';
import { isLightNodeError } from '@lightnode/shared/errors';
import { splitReadingsBatch, MAX_BATCH_READINGS } from '@lightnode/shared/messages';
import { MAX_MESSAGE_BYTES } from '@lightnode/shared/message-codec';
import { ingestEip712 } from './digest.js';
import { createRecoverer, type Recoverer, type SecpImpl } from './recover.js';

/** Max MQTT payload of a readings batch (docs/interfaces.md). */
export const MAX_BATCH_BYTES = MAX_MESSAGE_BYTES;

/** One reading that passed shape, pod and signature checks. */
export interface VerifiedItem {
  ok: true;
  reading: SignedReading;
  /** EIP-712 digest, 0x + 64 lower-case hex. */
  digest: `0x${string}`;
  /** Recovered signer, lower-case address. */
  signer: `0x${string}`;
  /** The stored body (`readingBody(reading)`), made here so the ingest's main thread does not. */
  body: string;
}

/** One reading refused by the core. `seq` is null when the input had no usable seq. */
export interface RejectedItem {
  ok: false;
  seq: number | null;
  code: 'BAL_READING_INVALID' | 'BAL_POD_MISMATCH' | 'BAL_SIGNATURE_INVALID';
  reason: string;
}

export type CoreItem = VerifiedItem | RejectedItem;

/** Result of one batch. `envelopeError` set ⇒ the payload as a whole was unusable. */
export interface CoreBatchResult {
  envelopeError: null | { code: 'PROTO_MESSAGE_TOO_LARGE' | 'PROTO_MESSAGE_INVALID'; reason: string };
  items: CoreItem[];
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The envelope is broken (wrong `v`, 0 or > 1000 readings, unknown fields) but the JSON may
 * still name seqs: refuse each nameable reading so the device quarantines instead of resending forever.
 * At most one batch's worth (MAX_BATCH_READINGS) is named: an ack naming more could exceed the
 * 1 MiB message limit and not be sent at all; the device resends the rest and they are named then.
 */
function salvageSeqs(payload: Uint8Array | string, reason: string): CoreItem[] {
  let msg: unknown;
  try { msg = JSON.parse(typeof payload === 'string' ? payload : decoder.decode(payload)); } catch { return []; }
  const readings = msg !== null && typeof msg === 'object' ? (msg as { readings?: unknown }).readings : undefined;
  if (!Array.isArray(readings) || readings.length > 10 * MAX_BATCH_READINGS) return [];
  const items: CoreItem[] = [];
  const seen = new Set<number>();
  for (const r of readings) {
    const seq = recoverableSeq(r);
    if (seq !== null && !seen.has(seq)) { seen.add(seq); items.push({ ok: false, seq, code: 'BAL_READING_INVALID', reason: `batch envelope invalid: ${reason}`.slice(0, 512) }); }
    if (items.length === MAX_BATCH_READINGS) break;
  }
  return items;
}

function recoverableSeq(x: unknown): number | null {
  if (x === null || typeof x !== 'object') return null;
  const seq = (x as { seq?: unknown }).seq;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? seq : null;
}

/** A verifier bound to one deployment's domain separator and one secp256k1 implementation. */
export interface BatchVerifier {
  readonly secp: SecpImpl;
  verifyPayload(topicPod: string, payload: Uint8Array | string): CoreBatchResult;
  /** Digest + recover of already-validated readings (bench ceiling). Returns the signers. */
  verifyReadings(readings: SignedReading[]): (string | null)[];
}

/** Create a verifier for `separator` (from `domainSeparator(domain)`). */
export function createBatchVerifier(separator: Uint8Array, secp: 'auto' | SecpImpl = 'auto'): BatchVerifier {
  const recoverer: Recoverer = createRecoverer(secp);

  function verifyOne(reading: SignedReading): CoreItem {
    const digest = ingestEip712.readingDigestFor(separator, reading);
    const sig = Buffer.from(reading.signature.slice(2), 'hex');
    const signer = recoverer.recoverAddress(digest, sig);
    if (signer === null) {
      return { ok: false, seq: reading.seq, code: 'BAL_SIGNATURE_INVALID', reason: 'signature does not recover (bad r/s/v, high s, or not on the curve)' };
    }
    // `reading` comes from validateSignedReading, a fresh object in the stored body's key order,
    // so its JSON is `readingBody(reading)` without rebuilding it (test/verify/verify-core.test.ts).
    return { ok: true, reading, digest: `0x${Buffer.from(digest).toString('hex')}`, signer: signer as `0x${string}`, body: JSON.stringify(reading) };
  }

  return {
    secp: recoverer.impl,
    verifyPayload(topicPod, payload) {
      let split: ReturnType<typeof splitReadingsBatch>;
      try {
        split = splitReadingsBatch(payload, topicPod);
      } catch (err) {
        const code = isLightNodeError(err, 'PROTO_MESSAGE_TOO_LARGE') ? 'PROTO_MESSAGE_TOO_LARGE' : 'PROTO_MESSAGE_INVALID';
        const reason = err instanceof Error ? err.message : 'invalid readings batch';
        return { envelopeError: { code, reason }, items: code === 'PROTO_MESSAGE_INVALID' ? salvageSeqs(payload, reason) : [] };
      }
      const items: CoreItem[] = [];
      for (const r of split.rejected) items.push({ ok: false, seq: r.seq, code: r.code as RejectedItem['code'], reason: r.reason });
      for (const u of split.unackable) items.push({ ok: false, seq: null, code: 'BAL_READING_INVALID', reason: `readings[${u.index}]: ${u.reason}` });
      for (const r of split.readings) items.push(verifyOne(r));
      return { envelopeError: null, items };
    },
    verifyReadings(readings) {
      const out: (string | null)[] = new Array(readings.length);
      for (let i = 0; i < readings.length; i++) {
        const r = readings[i]!;
        const digest = ingestEip712.readingDigestFor(separator, r);
        out[i] = recoverer.recoverAddress(digest, Buffer.from(r.signature.slice(2), 'hex'));
      }
      return out;
    },
  };
}
