/**
 * Single-PoD registry writes: register, rotate, revoke (and enroll, which is register or
 * rotate of an address a device showed). Each checks the chain first so the common mistakes
 * get a precise FLEET_ code before any gas is spent; `dryRun` stops after a static call,
 * which also proves the caller holds the DSO role.
 */
import type { RegistryWriteFn } from '@lightnode/contracts/registry/client';
import type { FleetContext } from './context.js';
import { FleetCode, FleetError, toFleetError } from './errors.js';
import { validateAddress, validatePod } from './validate.js';

export interface WriteResult {
  action: 'register' | 'rotate' | 'revoke' | 'none';
  pod: string;
  device: string | null;       // device after the write (null when revoked)
  previous: string | null;     // device before the write
  dryRun: boolean;
  tx: string | null;
  blockNumber: number | null;
  note?: string;
}

/** Current device of a PoD, lower-case, or null when none is active. */
export async function deviceOf(ctx: FleetContext, pod: string): Promise<string | null> {
  try {
    return await ctx.registry.deviceOf(pod);
  } catch (err) {
    throw toFleetError(err, `deviceOf(${pod})`, ctx.registry.interface);
  }
}

/** Send (or, in dry-run, statically call) one registry function and wait for it to be mined. */
export async function sendWrite(ctx: FleetContext, fn: RegistryWriteFn, args: unknown[], context: string): Promise<{ tx: string | null; blockNumber: number | null; gasUsed: bigint }> {
  if (!ctx.wallet) throw new FleetError(FleetCode.KEY_MISSING, `${context}: a DSO key is needed to write`);
  try {
    const out = await ctx.registry.write(fn, args, { dryRun: ctx.dryRun });
    if (!ctx.dryRun && out.status !== 1) throw new FleetError(FleetCode.TX_FAILED, `${context}: transaction ${out.tx} failed`);
    return { tx: out.tx, blockNumber: out.blockNumber, gasUsed: out.gasUsed };
  } catch (err) {
    throw toFleetError(err, context, ctx.registry.interface);
  }
}

/** Bind a device to an unbound PoD. Same device already bound: nothing to do. */
export async function registerPod(ctx: FleetContext, podIn: string, addressIn: string): Promise<WriteResult> {
  const pod = validatePod(podIn, '--pod');
  const address = validateAddress(addressIn, '--address');
  const current = await deviceOf(ctx, pod);
  if (current === address) return { action: 'none', pod, device: address, previous: current, dryRun: ctx.dryRun, tx: null, blockNumber: null, note: 'already registered to this device' };
  if (current) throw new FleetError(FleetCode.POD_ALREADY_BOUND, `${pod} is already bound to ${current}; use \`fleet rotate\` to replace the device`, { pod, device: current });
  const sent = await sendWrite(ctx, 'register', [pod, address], `register ${pod}`);
  return { action: 'register', pod, device: address, previous: null, dryRun: ctx.dryRun, ...sent };
}

/** Replace a PoD's device (key rotation or hardware swap). */
export async function rotatePod(ctx: FleetContext, podIn: string, addressIn: string): Promise<WriteResult> {
  const pod = validatePod(podIn, '--pod');
  const address = validateAddress(addressIn, '--address');
  const current = await deviceOf(ctx, pod);
  if (!current) throw new FleetError(FleetCode.POD_NOT_REGISTERED, `${pod} has no active device; use \`fleet register\``, { pod });
  if (current === address) return { action: 'none', pod, device: address, previous: current, dryRun: ctx.dryRun, tx: null, blockNumber: null, note: 'already the active device' };
  const sent = await sendWrite(ctx, 'rotate', [pod, address], `rotate ${pod}`);
  return { action: 'rotate', pod, device: address, previous: current, dryRun: ctx.dryRun, ...sent };
}

/** Revoke a PoD's device: from now on nothing it signs verifies. */
export async function revokePod(ctx: FleetContext, podIn: string): Promise<WriteResult> {
  const pod = validatePod(podIn, '--pod');
  const current = await deviceOf(ctx, pod);
  if (!current) throw new FleetError(FleetCode.POD_NOT_REGISTERED, `${pod} has no active device to revoke`, { pod });
  const sent = await sendWrite(ctx, 'revoke', [pod], `revoke ${pod}`);
  return { action: 'revoke', pod, device: null, previous: current, dryRun: ctx.dryRun, ...sent };
}

/**
 * Enrol the address a device showed at first boot: register it, or with `replace` rotate
 * from the old device (a swapped Light Node at the same PoD).
 */
export async function enrollPod(ctx: FleetContext, pod: string, address: string, replace: boolean): Promise<WriteResult> {
  if (replace) {
    const current = await deviceOf(ctx, validatePod(pod, '--pod'));
    if (current) return rotatePod(ctx, pod, address);
  }
  return registerPod(ctx, pod, address);
}
