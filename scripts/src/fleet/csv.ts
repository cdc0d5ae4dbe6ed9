/**
 * pods.csv: one PoD per line, columns `pod,address[,site]`. A header line (first cell `pod`),
 * blank lines and `#` comments are skipped. Every bad line is reported at once, with its line
 * number, before anything is sent (fail closed).
 */
import { readFileSync } from 'node:fs';
import { FleetCode, FleetError } from './errors.js';
import { validateAddress, validatePod } from './validate.js';

export interface PodRow { pod: string; address: `0x${string}` | null; site: string | null; line: number }

/** Parse CSV text; `requireAddress` false lets the address column be empty (bundles with generated keys). */
export function parsePodsCsv(text: string, opts: { requireAddress?: boolean; source?: string } = {}): PodRow[] {
  const requireAddress = opts.requireAddress ?? true;
  const source = opts.source ?? 'pods.csv';
  const rows: PodRow[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    const cells = trimmed.split(',').map((c) => c.trim());
    if (rows.length === 0 && problems.length === 0 && cells[0]!.toLowerCase() === 'pod') return; // header
    if (cells.length > 3) { problems.push(`${source}:${line}: expected at most 3 columns (pod,address,site), found ${cells.length}`); return; }
    try {
      const pod = validatePod(cells[0], `${source}:${line} pod`);
      const addrCell = cells[1] ?? '';
      const address = addrCell === '' && !requireAddress ? null : validateAddress(addrCell, `${source}:${line} address`);
      const prev = seen.get(pod);
      if (prev !== undefined) { problems.push(`${source}:${line}: PoD ${pod} already listed on line ${prev}`); return; }
      seen.set(pod, line);
      rows.push({ pod, address, site: cells[2] ? cells[2] : null, line });
    } catch (err) {
      if (err instanceof FleetError) problems.push(err.message); else throw err;
    }
  });
  if (problems.length) {
    throw new FleetError(FleetCode.CSV_INVALID, `${source}: ${problems.length} bad line(s):\n  ${problems.slice(0, 20).join('\n  ')}${problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''}`, { problems });
  }
  return rows;
}

/** Read and parse a pods.csv file. */
export function readPodsCsv(path: string, opts: { requireAddress?: boolean } = {}): PodRow[] {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (err) {
    throw new FleetError(FleetCode.CSV_INVALID, `cannot read ${path}: ${(err as Error).message}`);
  }
  return parsePodsCsv(text, { ...opts, source: path });
}
