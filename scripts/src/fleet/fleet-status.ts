/**
 * `fleet status`: the registry's active PoDs joined with what the BAL has seen of them
 * (GET {bal}/api/nodes). Flags: never seen, silent longer than a threshold, sequence gaps,
 * rejected readings. The BAL's node record is read tolerantly (field aliases below) so the
 * join keeps working across BAL versions; unknown fields are ignored.
 */
import { FleetCode, FleetError, fetchFailure } from './errors.js';
import type { PodEntry } from './list-pods.js';

export interface BalNode { pod: string; device: string | null; lastSeenMs: number | null; lastSeq: number | null; gaps: number; rejected: number; stored: number | null }

export type NodeFlag = 'never-seen' | 'silent' | 'gaps' | 'rejects' | 'revoked' | 'not-in-registry';

export interface NodeStatus { pod: string; device: string | null; flags: NodeFlag[]; lastSeenMs: number | null; lastSeq: number | null; gaps: number; rejected: number }

/** Fetch and normalise the BAL's node list (`{ items, next }` pages, or a bare array). */
export async function fetchBalNodes(balUrl: string, apiKey: string | undefined, timeoutMs = 10_000): Promise<BalNode[]> {
  const nodes: BalNode[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const url = new URL('/api/nodes', balUrl);
    url.searchParams.set('limit', '500');
    if (cursor) url.searchParams.set('cursor', cursor);
    let res: Response;
    try {
      res = await fetch(url, {
        headers: apiKey ? { 'x-api-key': apiKey } : {},
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new FleetError(FleetCode.BAL_UNREACHABLE, `BAL unreachable at ${url.origin}: ${fetchFailure(err)}`);
    }
    if (!res.ok) throw new FleetError(FleetCode.BAL_UNREACHABLE, `BAL answered ${res.status} at ${url.origin}/api/nodes${res.status === 401 || res.status === 403 ? ' (check --api-key)' : ''}`);
    const body = (await res.json()) as unknown;
    const list = Array.isArray(body) ? body : ((body as { items?: unknown[]; nodes?: unknown[] })?.items ?? (body as { nodes?: unknown[] })?.nodes ?? []);
    nodes.push(...list.map(normaliseNode).filter((n): n is BalNode => n !== null));
    cursor = Array.isArray(body) ? null : ((body as { next?: string | null }).next ?? null);
    if (!cursor) break;
  }
  return nodes;
}

function num(x: unknown): number | null {
  if (typeof x === 'number' && Number.isFinite(x)) return x;
  if (typeof x === 'string' && x !== '') { const n = Number(x); if (Number.isFinite(n)) return n; const t = Date.parse(x); if (Number.isFinite(t)) return t; }
  return null;
}

function count(x: unknown): number {
  if (Array.isArray(x)) return x.length;
  return num(x) ?? 0;
}

function normaliseNode(x: unknown): BalNode | null {
  const o = x as Record<string, unknown>;
  if (!o || typeof o.pod !== 'string') return null;
  return {
    pod: o.pod,
    device: typeof o.device === 'string' ? o.device.toLowerCase() : null,
    lastSeenMs: num(o.lastSeenMs ?? o.lastSeen ?? o.lastReadingAt ?? o.lastSeenAt),
    lastSeq: num(o.lastStoredSeq ?? o.lastSeq),
    gaps: count(o.gaps ?? o.gapCount ?? o.missingSeqs),
    // The BAL counts equivocations among `rejected` (ack code BAL_EQUIVOCATION): not added again.
    rejected: count(o.rejected ?? o.rejects ?? o.rejectedCount),
    stored: num(o.stored ?? o.storedCount ?? o.readings),
  };
}

/** Join registry entries with BAL nodes; `silentAfterMs` is how long without a reading counts as silent. */
export function joinStatus(registry: PodEntry[], nodes: BalNode[], nowMs: number, silentAfterMs: number): NodeStatus[] {
  const byPod = new Map(nodes.map((n) => [n.pod, n]));
  const out: NodeStatus[] = [];
  for (const e of registry) {
    const n = byPod.get(e.pod);
    byPod.delete(e.pod);
    const flags: NodeFlag[] = [];
    if (e.state === 'revoked') flags.push('revoked');
    if (!n || n.lastSeenMs === null) { if (e.state === 'active') flags.push('never-seen'); }
    else if (e.state === 'active' && nowMs - n.lastSeenMs > silentAfterMs) flags.push('silent');
    if (n && n.gaps > 0) flags.push('gaps');
    if (n && n.rejected > 0) flags.push('rejects');
    out.push({ pod: e.pod, device: e.device, flags, lastSeenMs: n?.lastSeenMs ?? null, lastSeq: n?.lastSeq ?? null, gaps: n?.gaps ?? 0, rejected: n?.rejected ?? 0 });
  }
  for (const n of byPod.values()) out.push({ pod: n.pod, device: n.device, flags: ['not-in-registry'], lastSeenMs: n.lastSeenMs, lastSeq: n.lastSeq, gaps: n.gaps, rejected: n.rejected });
  return out;
}

/** Table of node statuses with a count per flag. */
export function formatStatus(rows: NodeStatus[], nowMs: number): string {
  const lines = [`${'pod'.padEnd(16)} ${'last seen'.padEnd(12)} ${'lastSeq'.padStart(8)} ${'gaps'.padStart(5)} ${'rej'.padStart(5)} flags`];
  for (const r of rows) {
    const ago = r.lastSeenMs === null ? 'never' : `${Math.round((nowMs - r.lastSeenMs) / 1000)} s ago`;
    lines.push(`${r.pod.padEnd(16)} ${ago.padEnd(12)} ${String(r.lastSeq ?? '-').padStart(8)} ${String(r.gaps).padStart(5)} ${String(r.rejected).padStart(5)} ${r.flags.join(',') || 'ok'}`);
  }
  const counts = new Map<string, number>();
  for (const r of rows) for (const f of r.flags.length ? r.flags : ['ok']) counts.set(f, (counts.get(f) ?? 0) + 1);
  lines.push([...counts].map(([f, c]) => `${f}: ${c}`).join(', ') || 'no PoDs');
  return lines.join('\n');
}
