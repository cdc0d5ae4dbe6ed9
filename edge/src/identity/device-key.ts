/**
 * The device's secp256k1 key: generated on the device or imported, held inside a
 * `DeviceKey` object that never prints, serialises or inspects to its secret (issue 4 item 4:
 * key material is never logged).
 */
import * as secp from '@noble/secp256k1';
import { hexToBytes } from '@noble/hashes/utils.js';
import { LightNodeError } from '@lightnode/shared/errors';
import { addressOf } from '@lightnode/shared/eip712';
import type { Hex } from '@lightnode/shared/hex';
import { inspect } from 'node:util';

/** Parse a 0x-prefixed (or bare) 64-hex-digit secret key; throws EDGE_KEY_INVALID. */
export function parseSecretKey(hex: string): Uint8Array {
  const clean = hex.trim().replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]{64}$/.test(clean)) {
    // Never echo the input: it may be (part of) a key.
    throw new LightNodeError('EDGE_KEY_INVALID', 'secret key: expected 32 bytes as 64 hex digits', { length: clean.length });
  }
  const bytes = hexToBytes(clean.toLowerCase());
  if (!secp.utils.isValidSecretKey(bytes)) {
    throw new LightNodeError('EDGE_KEY_INVALID', 'secret key: not a valid secp256k1 scalar (zero or ≥ curve order)');
  }
  return bytes;
}

const REDACTED = '[DeviceKey redacted]';

/**
 * Holder of the device secret. The secret lives in a private field; `toJSON`, `toString` and
 * `util.inspect` show only the address, so passing the object to a logger cannot leak it.
 */
export class DeviceKey {
  readonly #secret: Uint8Array;
  /** Lower-case Ethereum address of the key. */
  readonly address: Hex;

  private constructor(secret: Uint8Array) {
    this.#secret = Uint8Array.from(secret);
    this.address = addressOf(this.#secret); // shared's one public key → address
  }

  /** A fresh key from the OS CSPRNG (noble `utils.randomSecretKey`). */
  static generate(): DeviceKey {
    return new DeviceKey(secp.utils.randomSecretKey());
  }

  /** Wrap existing secret bytes (copied). */
  static fromSecret(secret: Uint8Array): DeviceKey {
    if (!(secret instanceof Uint8Array) || secret.length !== 32 || !secp.utils.isValidSecretKey(secret)) {
      throw new LightNodeError('EDGE_KEY_INVALID', 'secret key: expected 32 bytes, a valid secp256k1 scalar');
    }
    return new DeviceKey(secret);
  }

  /** Import from hex (e.g. a key provisioned by the DSO's fleet tool). */
  static fromHex(hex: string): DeviceKey {
    return new DeviceKey(parseSecretKey(hex));
  }

  /**
   * Lend the secret to `fn` (a signer) without letting it escape this module's API surface.
   * Callers must not keep the bytes.
   */
  withSecret<T>(fn: (secret: Uint8Array) => T): T {
    return fn(this.#secret);
  }

  toJSON(): { address: Hex } {
    return { address: this.address };
  }

  toString(): string {
    return `DeviceKey(${this.address})`;
  }

  [inspect.custom](): string {
    return `${REDACTED} ${this.address}`;
  }
}
