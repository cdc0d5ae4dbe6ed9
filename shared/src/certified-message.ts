/**
 * Messages the BAL republishes to data consumers on `certified/v1/{pod}/readings`
 * (docs/data-access.md "Streams and topics"):
 * - `reading`: one stored reading with its storage id, EIP-712 digest, signer and signature;
 * - `anchor`: the storage ids of a PoD's readings in an anchor once it is mined, with the root,
 *   transaction and block a consumer checks on chain.
 * Only shapes are checked here; whether `digest` is the reading's digest and `signature`
 * recovers to `signer` needs the chain's EIP-712 domain (`@lightnode/shared/eip712`).
 */
import { isHex, type Hex } from './hex.js';
import { validateReading, type Reading } from './reading.js';
import { decodeMessage, encodeMessage, invalid, isCount, nested } from './message-codec.js';

export interface CertifiedReadingMessage {
  v: 1;
  kind: 'reading';
  /** The BAL's storage id of the reading (REST `/api/readings/{id}`, receipts). */
  id: number;
  /** EIP-712 digest of the reading = its Merkle leaf, lower-case 0x + 64 hex. */
  digest: Hex;
  /** Recovered signer (the PoD's device), lower-case address. */
  signer: Hex;
  /** 65-byte r||s||v signature, lower-case. */
  signature: Hex;
  reading: Reading;
}

export interface CertifiedAnchorMessage {
  v: 1;
  kind: 'anchor';
  /** Storage ids of this PoD's readings in the anchor (ascending), 1..MAX_ANCHOR_NOTICE_IDS. */
  ids: number[];
  /** ReadingAnchor index. */
  anchorIndex: number;
  /** Merkle root of the anchor, lower-case 0x + 64 hex. */
  root: Hex;
  /** Anchor transaction hash, lower-case 0x + 64 hex. */
  transaction: Hex;
  /** Block the transaction was mined in. */
  block: number;
}

export type CertifiedMessage = CertifiedReadingMessage | CertifiedAnchorMessage;

/** Ids per anchor notice: 20,000 ids of at most 16 digits stay well under the 1 MiB payload cap. */
export const MAX_ANCHOR_NOTICE_IDS = 20_000;

const READING_KEYS = ['kind', 'id', 'digest', 'signer', 'signature', 'reading'];
const ANCHOR_KEYS = ['kind', 'ids', 'anchorIndex', 'root', 'transaction', 'block'];

function lowerHex(x: unknown, bytes: number, field: string, what: string): Hex {
  if (!isHex(x, bytes)) invalid(field, what, x);
  return x.toLowerCase() as Hex;
}

function checkReadingMessage(o: Record<string, unknown>): CertifiedReadingMessage {
  for (const k of Object.keys(o)) if (k !== 'v' && !READING_KEYS.includes(k)) invalid(k, 'no such field', o[k]);
  const { id, digest, signer, signature, reading } = o;
  if (!isCount(id)) invalid('id', 'a safe integer >= 0', id);
  const r = typeof reading === 'object' && reading !== null && 'signature' in reading
    ? invalid('reading.signature', 'no such field (the signature is a top-level field)', (reading as Record<string, unknown>)['signature'])
    : nested('reading', () => validateReading(reading), 'reading');
  return {
    v: 1, kind: 'reading', id,
    digest: lowerHex(digest, 32, 'digest', '0x-prefixed hex of 32 bytes'),
    signer: lowerHex(signer, 20, 'signer', 'a 0x-prefixed 20-byte address'),
    signature: lowerHex(signature, 65, 'signature', '0x-prefixed hex of 65 bytes (r||s||v)'),
    reading: r,
  };
}

function checkAnchorMessage(o: Record<string, unknown>): CertifiedAnchorMessage {
  for (const k of Object.keys(o)) if (k !== 'v' && !ANCHOR_KEYS.includes(k)) invalid(k, 'no such field', o[k]);
  const { ids, anchorIndex, root, transaction, block } = o;
  if (!Array.isArray(ids) || ids.length < 1 || ids.length > MAX_ANCHOR_NOTICE_IDS) invalid('ids', `an array of 1..${MAX_ANCHOR_NOTICE_IDS} reading ids`, ids);
  let last = -1;
  const list = ids.map((x: unknown, i) => {
    if (!isCount(x) || x <= last) invalid(`ids[${i}]`, 'a safe integer >= 0, ascending without repeats', x);
    last = x;
    return x;
  });
  if (!isCount(anchorIndex)) invalid('anchorIndex', 'a safe integer >= 0', anchorIndex);
  if (!isCount(block)) invalid('block', 'a block number (safe integer >= 0)', block);
  return {
    v: 1, kind: 'anchor', ids: list, anchorIndex,
    root: lowerHex(root, 32, 'root', '0x-prefixed hex of 32 bytes'),
    transaction: lowerHex(transaction, 32, 'transaction', 'a 0x-prefixed 32-byte transaction hash'),
    block,
  };
}

function check(o: Record<string, unknown>): CertifiedMessage {
  if (o['kind'] === 'reading') return checkReadingMessage(o);
  if (o['kind'] === 'anchor') return checkAnchorMessage(o);
  return invalid('kind', "'reading' | 'anchor'", o['kind']);
}

/** Parse a certified-stream payload; throws `PROTO_MESSAGE_INVALID` / `PROTO_MESSAGE_TOO_LARGE`. */
export function parseCertifiedMessage(payload: Uint8Array | string): CertifiedMessage {
  return check(decodeMessage(payload, [...READING_KEYS, ...ANCHOR_KEYS]));
}

/** Serialize a certified-stream message (validated first, so nothing invalid is published). */
export function serializeCertifiedMessage(msg: CertifiedMessage): string {
  if (typeof msg !== 'object' || msg === null || (msg as { v?: unknown }).v !== 1) invalid('v', '1', (msg as { v?: unknown } | null)?.v);
  return encodeMessage(check(msg as unknown as Record<string, unknown>));
}
