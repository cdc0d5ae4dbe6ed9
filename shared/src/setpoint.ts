/**
 * A setpoint: the DSO's signed instruction to the customer's EMS (docs/interfaces.md, messages).
 * Times are ms since the epoch; `activePowerW` is an integer in W (int64 in the signed struct).
 */
import { ValidationError } from './errors.js';
import { isHex, type Hex } from './hex.js';
import { POD_RE, SETPOINT_ID_RE, MIN_TIMESTAMP_MS, MAX_TIMESTAMP_MS } from './reading.js';

/** What the EMS should do with `activePowerW`. */
export type SetpointMode = 'limit' | 'target' | 'off';

/** The DSO's instruction for one PoD over a validity window [validFrom, validUntil). */
export interface Setpoint {
  pod: string;
  id: string;
  activePowerW: number;
  mode: SetpointMode;
  validFrom: number;
  validUntil: number;
}

/** A setpoint with the DSO signer's 65-byte EIP-712 signature. */
export interface SignedSetpoint extends Setpoint {
  signature: Hex;
}

export const SETPOINT_MODES: readonly SetpointMode[] = ['limit', 'target', 'off'];
const KEYS = ['pod', 'id', 'activePowerW', 'mode', 'validFrom', 'validUntil'];
const CODE = 'PROTO_SETPOINT_INVALID';

function fail(field: string, expected: string, found: unknown): never {
  throw new ValidationError(CODE, field, expected, found);
}

function validateFields(x: unknown, allowed: string[]): Setpoint {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail('setpoint', 'an object', x);
  const o = x as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(k, 'no such field', o[k]);
  const { pod, id, activePowerW, mode, validFrom, validUntil } = o;
  if (typeof pod !== 'string' || !POD_RE.test(pod)) fail('pod', 'an Italian PoD code like IT001E12345678', pod);
  if (typeof id !== 'string' || !SETPOINT_ID_RE.test(id)) fail('id', '1..53 characters of [A-Za-z0-9._:-]', id);
  if (typeof activePowerW !== 'number' || !Number.isSafeInteger(activePowerW)) fail('activePowerW', 'a safe integer (W)', activePowerW);
  if (typeof mode !== 'string' || !(SETPOINT_MODES as string[]).includes(mode)) fail('mode', "'limit' | 'target' | 'off'", mode);
  for (const [name, t] of [['validFrom', validFrom], ['validUntil', validUntil]] as const) {
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < MIN_TIMESTAMP_MS || t > MAX_TIMESTAMP_MS) fail(name, 'ms since the epoch', t);
  }
  if ((validUntil as number) <= (validFrom as number)) fail('validUntil', `greater than validFrom (${String(validFrom)})`, validUntil);
  return { pod, id, activePowerW: activePowerW === 0 ? 0 : activePowerW, mode: mode as SetpointMode, validFrom: validFrom as number, validUntil: validUntil as number };
}

/** Validate an untrusted setpoint (a `signature` field is tolerated and dropped). Throws `PROTO_SETPOINT_INVALID`. */
export function validateSetpoint(x: unknown): Setpoint {
  return validateFields(x, [...KEYS, 'signature']);
}

/** Validate an untrusted signed setpoint; only the signature's shape (65-byte hex) is checked here. */
export function validateSignedSetpoint(x: unknown): SignedSetpoint {
  const sp = validateFields(x, [...KEYS, 'signature']);
  const signature = (x as Record<string, unknown>)['signature'];
  if (!isHex(signature, 65)) fail('signature', '0x-prefixed hex of 65 bytes (r||s||v)', signature);
  return { ...sp, signature: signature.toLowerCase() as Hex };
}
