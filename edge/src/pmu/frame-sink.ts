/**
 * Where a PMU source keeps the raw frames it turned into readings. Each signed reading names the
 * SHA-256 of its frame (`source: "c37118:<hex>"`); the sink keeps the bytes, so the reading can
 * be traced to exactly what the PMU sent (issue 14). The file sink appends the frames — CFG-2s
 * and data frames, as received — to one file per source: a C37.118 byte stream that any
 * C37.118 parser reads back, frames being self-delimiting (SYNC, FRAMESIZE).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { ensurePrivateDir } from '@lightnode/shared/private-files';
import { dirname } from 'node:path';

export interface FrameSink {
  /** Keep one received frame. */
  write(frame: Uint8Array): void;
  close(): Promise<void>;
}

/** Keeps nothing (the default when no `frameLog` path is configured). */
export const noFrameSink: FrameSink = { write() {}, close: async () => {} };

/** Keeps frames in memory (tests, benches). */
export function memoryFrameSink(): FrameSink & { frames: Uint8Array[] } {
  const frames: Uint8Array[] = [];
  return { frames, write: (f) => { frames.push(Uint8Array.from(f)); }, close: async () => {} };
}

/** Appends frames to `path` (created with its folder). */
export function fileFrameSink(path: string): FrameSink {
  ensurePrivateDir(dirname(path));
  const out: WriteStream = createWriteStream(path, { flags: 'a', mode: 0o600 });
  out.on('error', () => {}); // a full disk must not stop acquisition; the spool has its own bounds
  return {
    write: (f) => { out.write(f); },
    close: () => new Promise((resolve) => out.end(() => resolve())),
  };
}
