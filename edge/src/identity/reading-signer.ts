/** The spool's signer: EIP-712 over the Reading (shared/eip712) with the device key. */
import { signReading, type Eip712Domain } from '@lightnode/shared/eip712';
import type { Reading, SignedReading } from '@lightnode/shared/reading';
import type { DeviceKey } from './device-key.js';

/** A `sign(reading)` function bound to the domain and the device key. */
export function readingSigner(domain: Eip712Domain, key: DeviceKey): (reading: Reading) => SignedReading {
  return (reading) => key.withSecret((secret) => signReading(domain, reading, secret));
}
