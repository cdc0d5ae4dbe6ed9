/** A progress bar on a terminal, one plain line per update otherwise (CI logs, pipes). */
export interface Progress { update(done: number, note?: string): void; finish(): void }

export interface ProgressSink { write(s: string): unknown; isTTY?: boolean }

/** Make a progress reporter over `total` items writing to `stream`. */
export function makeProgress(total: number, label: string, stream: ProgressSink = process.stderr): Progress {
  const tty = Boolean(stream.isTTY);
  const width = 30;
  let last = 0;
  return {
    update(done, note = '') {
      last = done;
      const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
      if (tty) {
        const filled = total === 0 ? width : Math.round((done / total) * width);
        stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${pct}% ${note}\x1b[K`);
      } else {
        stream.write(`${label} ${done}/${total} (${pct}%) ${note}\n`);
      }
    },
    finish() { if (tty) stream.write(`\r${label} ${last}/${total} done\x1b[K\n`); },
  };
}
