/**
 * Fleet CLI errors: one LightNodeError per failure with a stable `FLEET_` code, and the one
 * place where chain errors (custom Solidity errors, JSON-RPC failures) become those codes.
 */
import type { Interface } from 'ethers';
import { LightNodeError, type ErrorCode } from '@lightnode/shared/errors';

export const FleetCode = {
  NOT_DSO: 'FLEET_NOT_DSO',
  POD_ALREADY_BOUND: 'FLEET_POD_ALREADY_BOUND',
  POD_NOT_REGISTERED: 'FLEET_POD_NOT_REGISTERED',
  ADDRESS_INVALID: 'FLEET_ADDRESS_INVALID',
  POD_INVALID: 'FLEET_POD_INVALID',
  CHAIN_UNREACHABLE: 'FLEET_CHAIN_UNREACHABLE',
  CSV_INVALID: 'FLEET_CSV_INVALID',
  KEY_MISSING: 'FLEET_KEY_MISSING',
  KEYSTORE_INVALID: 'FLEET_KEYSTORE_INVALID',
  DEPLOYMENT_INVALID: 'FLEET_DEPLOYMENT_INVALID',
  USAGE: 'FLEET_USAGE',
  TX_FAILED: 'FLEET_TX_FAILED',
  BUNDLE_INVALID: 'FLEET_BUNDLE_INVALID',
  BAL_UNREACHABLE: 'FLEET_BAL_UNREACHABLE',
  AGENT_BUILD_FAILED: 'FLEET_AGENT_BUILD_FAILED',
  KEYSTORE_PASSWORD_MISSING: 'FLEET_KEYSTORE_PASSWORD_MISSING',
  IMAGE_NOT_RPI_OS: 'FLEET_IMAGE_NOT_RPI_OS',
  IMAGE_PARTITION_FULL: 'FLEET_IMAGE_PARTITION_FULL',
  IMAGE_RUNTIME_MISSING: 'FLEET_IMAGE_RUNTIME_MISSING',
  IMAGE_ARCH_MISMATCH: 'FLEET_IMAGE_ARCH_MISMATCH',
  IMAGE_WRITE_FAILED: 'FLEET_IMAGE_WRITE_FAILED',
  IMAGE_TOOL_MISSING: 'FLEET_IMAGE_TOOL_MISSING',
} as const;

/** An error of the fleet CLI; `code` is one of FleetCode. */
export class FleetError extends LightNodeError {
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, message, details, options);
    this.name = 'FleetError';
  }
}

/** Custom Solidity error names of PodRegistry (and OpenZeppelin AccessControl) → fleet codes. */
const REVERT_CODES: Record<string, ErrorCode> = {
  NotDso: FleetCode.NOT_DSO,
  NotDSO: FleetCode.NOT_DSO,
  AccessControlUnauthorizedAccount: FleetCode.NOT_DSO,
  Unauthorized: FleetCode.NOT_DSO,
  PodAlreadyRegistered: FleetCode.POD_ALREADY_BOUND,
  PodNotRegistered: FleetCode.POD_NOT_REGISTERED,
  InvalidPod: FleetCode.POD_INVALID,
  EmptyPod: FleetCode.POD_INVALID,
  PodInvalid: FleetCode.POD_INVALID,
  ZeroAddress: FleetCode.ADDRESS_INVALID,
  InvalidDevice: FleetCode.ADDRESS_INVALID,
  ZeroDevice: FleetCode.ADDRESS_INVALID,
};

/** Turn whatever ethers threw during a call or transaction into a FleetError with a stable code. */
export function toFleetError(err: unknown, context: string, iface?: Interface): FleetError {
  if (err instanceof FleetError) return err;
  const e = err as { code?: string; data?: unknown; revert?: { name?: string; args?: unknown[] } | null; shortMessage?: string; message?: string };
  // ethers leaves custom errors raised during gas estimation undecoded ("unknown custom error"): decode the data here.
  if (!e.revert && iface && typeof e.data === 'string' && e.data.length >= 10) {
    try {
      const parsed = iface.parseError(e.data);
      if (parsed) e.revert = { name: parsed.name, args: [...parsed.args] };
    } catch { /* not one of ours */ }
  }
  const revertName = e.revert?.name;
  if (revertName) {
    const code = REVERT_CODES[revertName] ?? FleetCode.TX_FAILED;
    const hint = code === FleetCode.NOT_DSO ? ' (the signing account does not hold the DSO role)' : '';
    return new FleetError(code, `${context}: registry refused with ${revertName}${hint}`, { revert: revertName, args: (e.revert?.args ?? []).map(String) }, { cause: err });
  }
  if (e.code === 'NETWORK_ERROR' || e.code === 'TIMEOUT' || /ECONNREFUSED|fetch failed|ENOTFOUND|socket hang up/.test(String(e.message))) {
    return new FleetError(FleetCode.CHAIN_UNREACHABLE, `${context}: chain unreachable (${e.shortMessage ?? e.message})`, {}, { cause: err });
  }
  return new FleetError(FleetCode.TX_FAILED, `${context}: ${e.shortMessage ?? e.message ?? String(err)}`, {}, { cause: err });
}

/** Why a fetch failed, with the network cause node's "fetch failed" hides (ECONNREFUSED, ENOTFOUND, …). */
export function fetchFailure(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause && !e.message.includes(cause) ? `${e.message} (${cause})` : e.message;
}
