/**
 * `lightnode spool inspect|export`: the spool's rows as JSON lines or CSV, oldest first.
 * JSONL keeps each SignedReading exactly as signed (re-verifiable); CSV is for people
 * (one row per reading, measurements flattened as `quantity=value e scale unit` joined by `;`).
 */
import type { SignedReading } from '@lightnode/shared/reading';
import type { Spool } from './spool.js';

export type ExportFormat = 'jsonl' | 'csv';
export type ExportTable = 'readings' | 'quarantine';

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function measurements(r: SignedReading): string {
  return r.values.map((m) => `${m.quantity}=${m.value}e${m.scale} ${m.unit}`).join(';');
}

const CSV_HEADER = ['state', 'seq', 'pod', 'meter', 'timestamp', 'source', 'values', 'signature', 'spooled_ms', 'code', 'reason'];

/** Write the chosen table to `write`, line by line; returns the number of rows written. */
export function exportSpool(spool: Spool, opts: { format: ExportFormat; table?: ExportTable; limit?: number }, write: (line: string) => void): number {
  const table = opts.table ?? 'readings';
  const limit = opts.limit ?? Number.MAX_SAFE_INTEGER;
  let n = 0;
  if (opts.format === 'csv') write(CSV_HEADER.join(',') + '\n');
  const emit = (state: string, body: string, extra: { spooledMs?: number; quarantinedMs?: number; code?: string; reason?: string }): void => {
    const r = JSON.parse(body) as SignedReading;
    if (opts.format === 'jsonl') {
      write(JSON.stringify({ state, ...extra, reading: r }) + '\n');
    } else {
      write([state, r.seq, r.pod, r.meter, r.timestamp, r.source, measurements(r), r.signature, extra.spooledMs ?? extra.quarantinedMs, extra.code, extra.reason].map(csvCell).join(',') + '\n');
    }
    n += 1;
  };
  if (table === 'readings') {
    for (const row of spool.readings(0, limit)) emit('pending', row.body, { spooledMs: row.createdMs });
  } else {
    for (const row of spool.quarantined(limit)) emit('quarantined', row.body, { quarantinedMs: row.quarantinedMs, code: row.code, reason: row.reason });
  }
  return n;
}
