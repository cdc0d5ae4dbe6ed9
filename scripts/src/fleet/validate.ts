/** Boundary validation of PoD codes and device addresses for every fleet command. */
import { getAddress, ZeroAddress } from 'ethers';
import { FleetCode, FleetError } from './errors.js';

/** Italian PoD code (docs/interfaces.md): IT + 3-digit distributor + E + 8 digits + optional check char. */
export const POD_PATTERN = /^IT\d{3}E\d{8}[A-Z0-9]?$/;

/** Returns the PoD code or throws FLEET_POD_INVALID naming where it came from. */
export function validatePod(pod: unknown, where = 'pod'): string {
  if (typeof pod !== 'string' || !POD_PATTERN.test(pod)) {
    throw new FleetError(FleetCode.POD_INVALID, `${where}: expected a PoD code like IT001E12345678, found ${JSON.stringify(pod)}`, { where, found: String(pod) });
  }
  return pod;
}

/** Returns the lower-case address or throws FLEET_ADDRESS_INVALID (bad hex, bad checksum, zero). */
export function validateAddress(address: unknown, where = 'address'): `0x${string}` {
  let checksummed: string;
  try {
    if (typeof address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(address)) throw new FleetError(FleetCode.ADDRESS_INVALID, 'not 20 bytes of hex');
    checksummed = getAddress(address); // throws on a wrong mixed-case checksum
  } catch (err) {
    throw new FleetError(FleetCode.ADDRESS_INVALID, `${where}: expected a 0x-prefixed 20-byte address, found ${JSON.stringify(address)} (${(err as Error).message.split(' (')[0]})`, { where, found: String(address) });
  }
  if (checksummed === ZeroAddress) throw new FleetError(FleetCode.ADDRESS_INVALID, `${where}: the zero address cannot be a device`, { where });
  return checksummed.toLowerCase() as `0x${string}`;
}
