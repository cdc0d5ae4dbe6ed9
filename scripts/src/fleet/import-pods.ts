/**
 * Bulk registration from pods.csv. Resumable by construction: every run first reads each
 * PoD's current device from the chain (batched JSON-RPC), then sends `registerBatch` only for
 * the PoDs still unbound, one mined transaction per batch. A run interrupted after batch k
 * therefore resumes at batch k+1 with nothing sent twice.
 */
import type { FleetContext } from './context.js';
import type { PodRow } from './csv.js';
import { makeProgress, type Progress } from './progress.js';
import { deviceOf, sendWrite } from './registry-ops.js';
import { toFleetError } from './errors.js';

/** `progress`: makes the reporter once the number to register is known; null for none; default a bar on stderr. */
/**
 * `includeRevoked`: also re-register PoDs whose device was revoked. Off by default, so re-running
 * an old CSV after a revocation cannot silently re-bind a compromised device.
 */
export interface ImportOptions { batchSize?: number; progress?: ((total: number) => Progress) | null; readConcurrency?: number; includeRevoked?: boolean }

export interface ImportSummary {
  total: number;
  registered: number;           // newly bound by this run (or that would be, in dry-run)
  alreadyRegistered: number;    // bound to the same device before this run: skipped
  conflicts: { pod: string; line: number; wanted: string; bound: string }[]; // bound to another device: not touched
  revoked: { pod: string; line: number }[];       // had a device that was revoked: not re-registered (unless includeRevoked)
  transactions: { hash: string | null; pods: number; gasUsed: string; blockNumber: number | null }[];
  dryRun: boolean;
  elapsedMs: number;
}

/** Register every unbound PoD of `rows` in batches; see the file comment for resumption. */
export async function importPods(ctx: FleetContext, rows: PodRow[], opts: ImportOptions = {}): Promise<ImportSummary> {
  const started = Date.now();
  const batchSize = opts.batchSize ?? 100;
  const current = await readDevices(ctx, rows.map((r) => r.pod), opts.readConcurrency ?? 100);
  const todo: PodRow[] = [];
  const summary: ImportSummary = { total: rows.length, registered: 0, alreadyRegistered: 0, conflicts: [], revoked: [], transactions: [], dryRun: ctx.dryRun, elapsedMs: 0 };
  const unbound = rows.filter((_, i) => !current[i]);
  const hadDevice = opts.includeRevoked ? new Set<string>() : await readPreviouslyBound(ctx, unbound.map((r) => r.pod), opts.readConcurrency ?? 100);
  rows.forEach((row, i) => {
    const bound = current[i];
    if (!bound && hadDevice.has(row.pod)) summary.revoked.push({ pod: row.pod, line: row.line });
    else if (!bound) todo.push(row);
    else if (bound === row.address) summary.alreadyRegistered++;
    else summary.conflicts.push({ pod: row.pod, line: row.line, wanted: row.address ?? '', bound });
  });
  const progress = opts.progress === undefined ? makeProgress(todo.length, 'import') : opts.progress?.(todo.length) ?? null;
  progress?.update(0, `${summary.alreadyRegistered} already registered, ${todo.length} to register`);
  for (let off = 0; off < todo.length; off += batchSize) {
    const batch = todo.slice(off, off + batchSize);
    const sent = await sendWrite(ctx, 'registerBatch', [batch.map((r) => r.pod), batch.map((r) => r.address)], `registerBatch (${batch[0]!.pod}…, ${batch.length} PoDs)`);
    summary.registered += batch.length;
    summary.transactions.push({ hash: sent.tx, pods: batch.length, gasUsed: sent.gasUsed.toString(), blockNumber: sent.blockNumber });
    progress?.update(off + batch.length, sent.tx ? `tx ${sent.tx.slice(0, 10)}… block ${sent.blockNumber}` : '(dry run)');
  }
  progress?.finish();
  summary.elapsedMs = Date.now() - started;
  return summary;
}

/** deviceOf for many PoDs, `concurrency` requests in flight (ethers batches them into JSON-RPC batches). */
async function readDevices(ctx: FleetContext, pods: string[], concurrency: number): Promise<(string | null)[]> {
  const out: (string | null)[] = new Array(pods.length).fill(null);
  for (let i = 0; i < pods.length; i += concurrency) {
    const chunk = pods.slice(i, i + concurrency);
    const res = await Promise.all(chunk.map((p) => deviceOf(ctx, p)));
    res.forEach((d, j) => (out[i + j] = d));
  }
  return out;
}

/** PoDs (of those without an active device) that had one before: revoked. */
async function readPreviouslyBound(ctx: FleetContext, pods: string[], concurrency: number): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < pods.length; i += concurrency) {
    const chunk = pods.slice(i, i + concurrency);
    const res = await Promise.all(chunk.map(async (p) => {
      try { return (await ctx.registry.historyOf(p)).length > 0; } catch (err) { throw toFleetError(err, `historyOf(${p})`, ctx.registry.interface); }
    }));
    res.forEach((had, j) => { if (had) out.add(chunk[j]!); });
  }
  return out;
}

/** Human summary lines of an import. */
export function formatImportSummary(s: ImportSummary): string {
  const lines = [
    `${s.dryRun ? '[dry run] would register' : 'registered'} ${s.registered} PoD(s) in ${s.transactions.length} transaction(s), ${s.alreadyRegistered} already registered (skipped), ${s.conflicts.length} bound to another device (not touched), ${s.revoked.length} revoked (not re-registered), ${s.total} in file, ${(s.elapsedMs / 1000).toFixed(1)} s`,
  ];
  for (const t of s.transactions) if (t.hash) lines.push(`  tx ${t.hash} block ${t.blockNumber} ${t.pods} PoDs gas ${t.gasUsed}`);
  for (const c of s.conflicts.slice(0, 20)) lines.push(`  FLEET_POD_ALREADY_BOUND line ${c.line}: ${c.pod} is bound to ${c.bound}, file says ${c.wanted}`);
  if (s.conflicts.length > 20) lines.push(`  … and ${s.conflicts.length - 20} more conflicts`);
  for (const r of s.revoked.slice(0, 20)) lines.push(`  revoked line ${r.line}: ${r.pod} had its device revoked; register it explicitly (fleet register) or pass --include-revoked`);
  return lines.join('\n');
}
