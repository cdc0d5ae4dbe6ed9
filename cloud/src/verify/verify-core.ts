/**
 * The per-batch verification core: payload bytes → per-reading verdicts. Runs inside the
 * worker threads of ./pool.ts (or inline with `threads: 0`). Pure apart from CPU: no clock,
 * no registry, no store — those checks happen on the main thread in the ingest.
 *
 * The ReadingsBatch envelope (docs/interfaces.md: `{ v: 1, readings: SignedReading[] }`,
 * 1..1000 readings, ≤ 1 MiB) is checked here reading by reading with shared's
 * `validateSignedReading`, rather than all-or-nothing, so one bad reading is rejected with
 * its own seq (BAL_READING_INVALID) while the rest of the batch is stored and acked.
 */
import { validateSignedReading, type SignedReading } from '@lightnode/shared/reading';
import { isLightNodeError } from '@lightnode/shared/errors';
import { fastReadingDigest } from './digest.js';
import { createRecoverer, type Recoverer, type SecpImpl } from './recover.js';

/** Max MQTT payload of a readings batch (docs/interfaces.md). */
export const MAX_BATCH_BYTES = 1024 * 1024;
/** Max readings per batch (docs/interfaces.md). */
export const MAX_BATCH_READINGS = 1000;

/** One reading that passed shape, pod and signature checks. */
export interface VerifiedItem {
  ok: true;
  reading: SignedReading;
  /** EIP-712 digest, 0x + 64 lower-case hex. */
  digest: `0x${string}`;
  /** Recovered signer, lower-case address. */
  signer: `0x${string}`;
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

  function verifyOne(topicPod: string, raw: unknown): CoreItem {
    let reading: SignedReading;
    try {
      reading = validateSignedReading(raw);
    } catch (err) {
      const reason = isLightNodeError(err) ? err.message : 'reading is not valid';
      return { ok: false, seq: recoverableSeq(raw), code: 'BAL_READING_INVALID', reason };
    }
    if (reading.pod !== topicPod) {
      return { ok: false, seq: reading.seq, code: 'BAL_POD_MISMATCH', reason: `reading pod ${reading.pod} on topic of ${topicPod}` };
    }
    const digest = fastReadingDigest(separator, reading);
    const sig = Buffer.from(reading.signature.slice(2), 'hex');
    const signer = recoverer.recoverAddress(digest, sig);
    if (signer === null) {
      return { ok: false, seq: reading.seq, code: 'BAL_SIGNATURE_INVALID', reason: 'signature does not recover (bad r/s/v, high s, or not on the curve)' };
    }
    return { ok: true, reading, digest: `0x${Buffer.from(digest).toString('hex')}`, signer: signer as `0x${string}` };
  }

  return {
    secp: recoverer.impl,
    verifyPayload(topicPod, payload) {
      const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
      if (size > MAX_BATCH_BYTES) {
        return { envelopeError: { code: 'PROTO_MESSAGE_TOO_LARGE', reason: `payload of ${size} bytes exceeds ${MAX_BATCH_BYTES}` }, items: [] };
      }
      let msg: unknown;
      try {
        msg = JSON.parse(typeof payload === 'string' ? payload : decoder.decode(payload));
      } catch {
        return { envelopeError: { code: 'PROTO_MESSAGE_INVALID', reason: 'payload is not UTF-8 JSON' }, items: [] };
      }
      if (msg === null || typeof msg !== 'object' || !Array.isArray((msg as { readings?: unknown }).readings)) {
        return { envelopeError: { code: 'PROTO_MESSAGE_INVALID', reason: 'expected an object with a readings array' }, items: [] };
      }
      const readings = (msg as { readings: unknown[] }).readings;
      const v = (msg as { v?: unknown }).v;
      let envelopeProblem: string | null = null;
      if (v !== 1) envelopeProblem = `v: expected 1, found ${JSON.stringify(v) ?? 'undefined'}`;
      else if (readings.length === 0) envelopeProblem = 'readings: expected 1..1000 entries, found 0';
      else if (readings.length > MAX_BATCH_READINGS) envelopeProblem = `readings: expected 1..${MAX_BATCH_READINGS} entries, found ${readings.length}`;
      if (envelopeProblem !== null) {
        // The batch breaks the protocol: refuse every reading whose seq we can name.
        const items: CoreItem[] = [];
        for (const r of readings) {
          const seq = recoverableSeq(r);
          if (seq !== null) items.push({ ok: false, seq, code: 'BAL_READING_INVALID', reason: `batch envelope invalid: ${envelopeProblem}` });
        }
        return { envelopeError: { code: 'PROTO_MESSAGE_INVALID', reason: envelopeProblem }, items };
      }
      const items = new Array<CoreItem>(readings.length);
      for (let i = 0; i < readings.length; i++) items[i] = verifyOne(topicPod, readings[i]);
      return { envelopeError: null, items };
    },
    verifyReadings(readings) {
      const out: (string | null)[] = new Array(readings.length);
      for (let i = 0; i < readings.length; i++) {
        const r = readings[i]!;
        const digest = fastReadingDigest(separator, r);
        out[i] = recoverer.recoverAddress(digest, Buffer.from(r.signature.slice(2), 'hex'));
      }
      return out;
    },
  };
}
