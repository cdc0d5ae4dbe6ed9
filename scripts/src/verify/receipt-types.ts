// DELIBERATE INDEPENDENT COPY (issue 18): the receipt shape is restated here rather than taken from
// @lightnode/shared, so an auditor can check a receipt without trusting our shared code (the
// `Receipt` import below is type-only, for a compile-time cross-check). Do not deduplicate.
/** Result types of the receipt verifier and the receipt shape it reads (docs/interfaces.md `Receipt`). */
import type { Receipt } from '@lightnode/shared/receipt';

/** One named check and why it holds or fails. */
export interface ReceiptCheck { name: string; ok: boolean; detail: string }

/** `ok` is true only when every check holds. */
export interface VerifyResult { ok: boolean; checks: ReceiptCheck[] }

/** A receipt as read from JSON; structurally the same as `Receipt` of @lightnode/shared/receipt. */
export interface ReceiptLike {
  v: 1;
  reading: {
    pod: string; meter: string; seq: number; timestamp: number; source: string;
    values: { quantity: string; value: number; scale: number; unit: string }[];
    signature: string;
  };
  digest: string;
  signer: string;
  chainId: number;
  contracts: { podRegistry: string; readingAnchor: string };
  anchor: {
    index: number; root: string; leafCount: number; fromMs: number; toMs: number;
    prevHash: string; transaction: string; blockNumber: number;
  };
  proof: string[];
  /** Only for a reading of a DSO data server's CIM message: the signed message (docs/interfaces.md `ReceiptCimMessage`). */
  cim?: { serverId: string; dataServerRegistry: string; payload: string; index: number };
}

/** Compile-time proof that every receipt of @lightnode/shared/receipt is one this verifier reads. */
export const RECEIPT_SHAPE_MATCHES_SHARED: Receipt extends ReceiptLike ? true : false = true;
