/**
 * The fleet CLI's one JSON printer. Chain results carry bigints (gas used, block values), which
 * JSON.stringify refuses ("Do not know how to serialize a BigInt") — after the transaction was
 * mined, so a script saw exit 1 and no JSON although the chain had changed. Bigints are written
 * as decimal strings.
 */

/** `value` as one line of JSON, bigints as decimal strings. */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`;
}
