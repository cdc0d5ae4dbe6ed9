/**
 * In-memory data-server history, built from DataServerRegistry events (issue 13 §4). Pure, with
 * the contract's semantics: key and PoD-grant periods [fromMs, toMs), toMs null = open; the
 * newest period starting at or before t is the only one that can contain t.
 */
import type { DataServerEvent } from '@lightnode/contracts/data-servers/events';
import type { Hex } from '@lightnode/shared/hex';

interface Span { fromMs: number; toMs: number | null }
interface KeySpan extends Span { key: Hex }

/** Why a data server may not speak for a message or one of its PoDs. */
export type DataServerProblem = 'BAL_DATA_SERVER_UNKNOWN' | 'BAL_DATA_SERVER_REVOKED' | 'BAL_CIM_SIGNATURE_INVALID' | 'BAL_CIM_USAGE_POINT_FORBIDDEN';

function spanAt<T extends Span>(h: readonly T[] | undefined, ms: number): T | null {
  if (!h) return null;
  for (let i = h.length - 1; i >= 0; i--) {
    const p = h[i]!;
    if (p.fromMs <= ms) return p.toMs === null || ms < p.toMs ? p : null;
  }
  return null;
}

export class DataServerHistory {
  private readonly keys = new Map<string, KeySpan[]>();
  private readonly grants = new Map<string, Span[]>();

  /** Apply one event (in chain order). */
  apply(e: DataServerEvent): void {
    switch (e.kind) {
      case 'registered': this.keysOf(e.serverId).push({ key: e.key, fromMs: e.atMs, toMs: null }); break;
      case 'rotated': {
        const h = this.keysOf(e.serverId);
        const last = h.at(-1);
        if (last && last.toMs === null) last.toMs = e.atMs;
        h.push({ key: e.newKey, fromMs: e.atMs, toMs: null });
        break;
      }
      case 'revoked': {
        const last = this.keysOf(e.serverId).at(-1);
        if (last && last.toMs === null) last.toMs = e.atMs;
        break;
      }
      case 'podsAllowed':
        for (const pod of e.pods) this.grantsOf(e.serverId, pod).push({ fromMs: e.atMs, toMs: null });
        break;
      case 'podsRemoved':
        for (const pod of e.pods) {
          const last = this.grantsOf(e.serverId, pod).at(-1);
          if (last && last.toMs === null) last.toMs = e.atMs;
        }
        break;
    }
  }

  private keysOf(id: string): KeySpan[] {
    let h = this.keys.get(id);
    if (!h) { h = []; this.keys.set(id, h); }
    return h;
  }
  private grantsOf(id: string, pod: string): Span[] {
    const k = `${id}\u0000${pod}`;
    let h = this.grants.get(k);
    if (!h) { h = []; this.grants.set(k, h); }
    return h;
  }

  /** The server's key at `ms`, or null. */
  keyAt(serverId: string, ms: number): Hex | null {
    return spanAt(this.keys.get(serverId), ms)?.key ?? null;
  }

  /** null when `signer` is the server's key at `ms`, else why not. */
  checkKey(serverId: string, signer: Hex, ms: number): DataServerProblem | null {
    const h = this.keys.get(serverId);
    if (!h || h.length === 0 || h[0]!.fromMs > ms) return 'BAL_DATA_SERVER_UNKNOWN';
    const p = spanAt(h, ms);
    if (!p) return 'BAL_DATA_SERVER_REVOKED';
    return p.key === signer ? null : 'BAL_CIM_SIGNATURE_INVALID';
  }

  /** Whether the server may speak for `pod` at `ms`. */
  maySpeakFor(serverId: string, pod: string, ms: number): boolean {
    return spanAt(this.grants.get(`${serverId}\u0000${pod}`), ms) !== null;
  }

  serverCount(): number { return this.keys.size; }
}
