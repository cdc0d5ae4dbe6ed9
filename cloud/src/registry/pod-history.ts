/**
 * In-memory PoD → device history, built from PodRegistry events (DESIGN §5). Pure: the
 * event follower (./mirror.ts) feeds it the events the registry client decodes
 * (`@lightnode/contracts/registry/client`). Semantics are those of `PodRegistry.deviceAt`:
 * every binding is a period [fromMs, toMs) (toMs null = open); the newest period starting at
 * or before t is the only one that can contain t.
 */

import type { RegistryEvent } from '@lightnode/contracts/registry/events';
import type { SignerProblem } from './verdict.js';

/** Lower-case 0x address. */
export type Address = `0x${string}`;

export interface Period { device: Address; fromMs: number; toMs: number | null }

export class PodHistory {
  private readonly pods = new Map<string, Period[]>();
  private readonly signers = new Set<Address>();

  /** Apply one event (in chain order). */
  apply(e: RegistryEvent): void {
    switch (e.kind) {
      case 'registered': {
        const h = this.historyMut(e.pod);
        h.push({ device: e.device, fromMs: e.atMs, toMs: null });
        break;
      }
      case 'rotated': {
        const h = this.historyMut(e.pod);
        const last = h[h.length - 1];
        if (last && last.toMs === null) last.toMs = e.atMs;
        h.push({ device: e.newDevice, fromMs: e.atMs, toMs: null });
        break;
      }
      case 'revoked': {
        const last = this.historyMut(e.pod).at(-1);
        if (last && last.toMs === null) last.toMs = e.atMs;
        break;
      }
      case 'setpointSignerAdded': this.signers.add(e.signer); break;
      case 'setpointSignerRemoved': this.signers.delete(e.signer); break;
    }
  }

  private historyMut(pod: string): Period[] {
    let h = this.pods.get(pod);
    if (!h) { h = []; this.pods.set(pod, h); }
    return h;
  }

  /** The PoD's periods, oldest first (empty if unknown). */
  history(pod: string): readonly Period[] {
    return this.pods.get(pod) ?? [];
  }

  /** Like `PodRegistry.deviceAt`: the device bound at `ms`, or null. */
  deviceAt(pod: string, ms: number): Address | null {
    const h = this.pods.get(pod);
    if (!h) return null;
    for (let i = h.length - 1; i >= 0; i--) {
      const p = h[i]!;
      if (p.fromMs <= ms) return p.toMs === null || ms < p.toMs ? p.device : null;
    }
    return null;
  }

  /** The PoD's current device (open period), or null. */
  deviceOf(pod: string): Address | null {
    const last = this.pods.get(pod)?.at(-1);
    return last && last.toMs === null ? last.device : null;
  }

  /** null when `signer` is the PoD's device at `ms`, else the reason code. */
  check(pod: string, signer: Address, ms: number): SignerProblem | null {
    const h = this.pods.get(pod);
    if (!h || h.length === 0) return 'BAL_POD_UNKNOWN';
    for (let i = h.length - 1; i >= 0; i--) {
      const p = h[i]!;
      if (p.fromMs > ms) continue;
      if (p.toMs === null || ms < p.toMs) return p.device === signer ? null : 'BAL_SIGNER_NOT_REGISTERED';
      // `ms` falls after this period's end with no later period started: the binding was
      // revoked. The device of that period signing later is a revoked device.
      return p.device === signer ? 'BAL_DEVICE_REVOKED' : 'BAL_SIGNER_NOT_REGISTERED';
    }
    return 'BAL_SIGNER_NOT_REGISTERED'; // before the first registration
  }

  isSetpointSigner(a: Address): boolean { return this.signers.has(a); }
  setpointSigners(): Address[] { return [...this.signers]; }
  podCount(): number { return this.pods.size; }
}
