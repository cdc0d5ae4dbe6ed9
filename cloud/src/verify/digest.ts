/**
 * The ingest's EIP-712 engine: shared's one encoder (`@lightnode/shared/eip712-engine`, DESIGN §3)
 * bound to the native keccak of ./keccak.ts for throughput, with a string-hash cache sized for
 * every PoD of a BAL rather than one device. Same bytes as shared `readingDigest` (tested on the
 * shared vectors); one engine per thread (its scratch buffers are not shared across workers).
 */
import { createEip712Engine } from '@lightnode/shared/eip712-engine';
import { keccak256Into } from './keccak.js';

/** The engine of this thread: `domainSeparator(domain)` once, then `readingDigestFor(separator, r)`. */
export const ingestEip712 = createEip712Engine({ keccakInto: keccak256Into, textCacheMax: 50_000 });
