/**
 * Day archive files (cloud/README.md "Retention"): in `archiveDir`, per UTC day of arrival,
 * `YYYY-MM-DD.manifest.json` naming `YYYY-MM-DD-<sha256 prefix>.jsonl` (one archive line per
 * reading) with its sha256, size, record count and id bounds. Files are 0600 in a 0700 folder.
 *
 * Writes are atomic: a new data file is written under a temporary name, fsynced and renamed,
 * then the manifest the same way, then the folder is fsynced. Renaming the manifest is the
 * commit point: a crash before it leaves the previous manifest and its file intact (the new file
 * is an orphan removed by the next write), a crash after it leaves the new pair complete.
 */
import { createHash } from 'node:crypto';
import { createReadStream, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LightNodeError } from '@lightnode/shared/errors';
import type { Hex } from '@lightnode/shared/hex';
import { dayName, DAY_MS } from './archive-record.js';

export interface DayManifest {
  v: 1;
  kind: 'lightnode-day-archive';
  /** `YYYY-MM-DD`: the UTC day the BAL received the readings. */
  day: string;
  dayMs: number;
  /** Data file (same folder). */
  file: string;
  sha256: string;
  bytes: number;
  records: number;
  minId: number;
  maxId: number;
  chainId: number;
  contracts: { podRegistry: Hex; readingAnchor: Hex };
  createdAtMs: number;
}

export const manifestPath = (dir: string, dayMs: number): string => join(dir, `${dayName(dayMs)}.manifest.json`);

const invalid = (dayMs: number, reason: string): LightNodeError =>
  new LightNodeError('BAL_ARCHIVE_MANIFEST_INVALID', `archive manifest of ${dayName(dayMs)}: ${reason}`, { day: dayName(dayMs) });

/** The day's manifest, or null when the day has none. Throws `BAL_ARCHIVE_MANIFEST_INVALID` when it is unreadable. */
export function readManifest(dir: string, dayMs: number): DayManifest | null {
  let text: string;
  try { text = readFileSync(manifestPath(dir, dayMs), 'utf8'); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw invalid(dayMs, (err as Error).message);
  }
  let m: DayManifest;
  try { m = JSON.parse(text) as DayManifest; } catch { throw invalid(dayMs, 'not JSON'); }
  const day = dayName(dayMs);
  if (m?.v !== 1 || m.kind !== 'lightnode-day-archive' || m.day !== day || m.dayMs !== dayMs
    || typeof m.file !== 'string' || !new RegExp(`^${day}-[0-9a-f]{12}\\.jsonl$`).test(m.file) || !/^[0-9a-f]{64}$/.test(String(m.sha256))
    || !Number.isSafeInteger(m.records) || m.records < 1 || !Number.isSafeInteger(m.bytes)) {
    throw invalid(dayMs, 'fields missing or malformed');
  }
  return m;
}

/** Make the archive folder (0700). */
export function ensureArchiveDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

/** Write `text` to `path` atomically (temp file, fsync, rename, fsync folder), mode 0600. */
function writeAtomic(dir: string, path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try { writeSync(fd, text); fsyncSync(fd); } finally { closeSync(fd); }
  renameSync(tmp, path);
  fsyncDir(dir);
}

/**
 * Streaming writer of a day's data file: lines are hashed and counted as they are appended;
 * `commit` renames it to its final name and writes the manifest (the commit point); `abort`
 * removes the temporary file.
 */
export class DayArchiveWriter {
  private readonly tmp: string;
  private readonly fd: number;
  private readonly hash = createHash('sha256');
  private buf: string[] = [];
  private bufLen = 0;
  bytes = 0;
  records = 0;
  minId = Infinity;
  maxId = -Infinity;

  constructor(private readonly dir: string, readonly dayMs: number) {
    ensureArchiveDir(dir);
    this.tmp = join(dir, `.${dayName(dayMs)}.jsonl.tmp-${process.pid}`);
    this.fd = openSync(this.tmp, 'w', 0o600);
  }

  /** Append one archive line (newline-terminated) of reading `id`. */
  add(line: string, id: number): void {
    this.buf.push(line);
    this.bufLen += line.length;
    this.records++;
    if (id < this.minId) this.minId = id;
    if (id > this.maxId) this.maxId = id;
    if (this.bufLen > 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.buf.length === 0) return;
    const chunk = Buffer.from(this.buf.join(''), 'utf8');
    this.buf = [];
    this.bufLen = 0;
    this.hash.update(chunk);
    this.bytes += chunk.length;
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off);
  }

  /** Make the file durable under its final name and write the manifest; returns the manifest. */
  commit(meta: Pick<DayManifest, 'chainId' | 'contracts' | 'createdAtMs'>): DayManifest {
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    const sha256 = this.hash.digest('hex');
    const file = `${dayName(this.dayMs)}-${sha256.slice(0, 12)}.jsonl`;
    renameSync(this.tmp, join(this.dir, file));
    fsyncDir(this.dir);
    const manifest: DayManifest = {
      v: 1, kind: 'lightnode-day-archive', day: dayName(this.dayMs), dayMs: this.dayMs, file, sha256, bytes: this.bytes,
      records: this.records, minId: this.minId, maxId: this.maxId, ...meta,
    };
    writeAtomic(this.dir, manifestPath(this.dir, this.dayMs), `${JSON.stringify(manifest, null, 2)}\n`);
    removeOrphans(this.dir, this.dayMs, file);
    return manifest;
  }

  abort(): void {
    try { closeSync(this.fd); } catch { /* already closed */ }
    rmSync(this.tmp, { force: true });
  }
}

/** Remove data files of the day other than the manifest's (older versions, crashed writes). */
function removeOrphans(dir: string, dayMs: number, keep: string): void {
  const day = dayName(dayMs);
  for (const f of readdirSync(dir)) {
    if (f !== keep && (f.startsWith(`${day}-`) && f.endsWith('.jsonl') || f.startsWith(`.${day}.jsonl.tmp-`))) rmSync(join(dir, f), { force: true });
  }
}

/**
 * The lines of a day's data file, in order (1-based line numbers); after the last one, the
 * file's sha256 and size are compared with the manifest: `BAL_ARCHIVE_HASH_MISMATCH` if they
 * differ (so a consumer must not act on the lines before the iteration ends).
 */
export async function* readDayLines(dir: string, m: DayManifest): AsyncGenerator<{ text: string; line: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let line = 0;
  const stream = createReadStream(join(dir, m.file));
  stream.on('data', (chunk) => { hash.update(chunk as Buffer); bytes += (chunk as Buffer).length; });
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const text of rl) { line++; yield { text, line }; }
  } catch (err) {
    throw new LightNodeError('BAL_ARCHIVE_NOT_FOUND', `archive ${m.file}: ${(err as Error).message}`, { day: m.day });
  }
  const sha = hash.digest('hex');
  if (sha !== m.sha256 || bytes !== m.bytes || line !== m.records) {
    throw new LightNodeError('BAL_ARCHIVE_HASH_MISMATCH', `archive ${m.file}: sha256/size/lines ${sha.slice(0, 12)}…/${bytes}/${line} differ from the manifest's ${m.sha256.slice(0, 12)}…/${m.bytes}/${m.records}`, { day: m.day });
  }
}

/** Days with a manifest in `dir`, ascending. */
export function archivedDayNames(dir: string): string[] {
  let files: string[];
  try { files = readdirSync(dir); } catch { return []; }
  return files.filter((f) => /^\d{4}-\d{2}-\d{2}\.manifest\.json$/.test(f)).map((f) => f.slice(0, 10)).sort();
}

export { DAY_MS };
