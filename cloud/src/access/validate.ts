/**
 * Boundary checks of user fields (STYLE habit 4): each failure is BAL_ACCESS_USER_INVALID
 * naming the field, what was expected and what arrived. The password's rule is in passwords.ts
 * (its error never echoes the value).
 */
import { ValidationError } from '@lightnode/shared/errors';
import { isAddress, type Hex } from '@lightnode/shared/hex';
import { POD_RE } from '@lightnode/shared/reading';
import { USERNAME_RE } from '../broker/acl.js';
import { USER_ROLES, type UserRole } from './types.js';

/** 3..64 of [A-Za-z0-9._-]: also a valid MQTT username (acl.ts USERNAME_RE) and a level of a Mosquitto role name. */
export const USERNAME_PATTERN = /^[A-Za-z0-9._-]{3,64}$/;

const CODE = 'BAL_ACCESS_USER_INVALID';

/**
 * A data user's username. PoD-code-like names (any case) are refused: a device's broker
 * account is named by its PoD code, and a data user must never share or shadow it.
 */
export function validateUsername(value: unknown, field = 'username'): string {
  if (typeof value !== 'string' || !USERNAME_PATTERN.test(value) || !USERNAME_RE.test(value)) {
    throw new ValidationError(CODE, field, '3..64 characters of [A-Za-z0-9._-]', value);
  }
  if (POD_RE.test(value.toUpperCase())) throw new ValidationError(CODE, field, 'a name that is not a PoD code (those are device accounts)', value);
  return value;
}

/** A bring-your-own wallet address (any case in, lower case out: the stored form). */
export function validateWalletAddress(value: unknown, field = 'wallet'): Hex {
  if (!isAddress(value)) throw new ValidationError(CODE, field, 'a 20-byte 0x address', value);
  const wallet = value.toLowerCase() as Hex;
  if (/^0x0{40}$/.test(wallet)) throw new ValidationError(CODE, field, 'a non-zero address', value);
  return wallet;
}

/** One of admin, producer, consumer. */
export function validateRole(value: unknown, field = 'role'): UserRole {
  if (typeof value !== 'string' || !(USER_ROLES as readonly string[]).includes(value)) throw new ValidationError(CODE, field, `one of ${USER_ROLES.join(', ')}`, value);
  return value as UserRole;
}
