/**
 * Splits a byte stream into text lines (serial Chain 2 gateways send one JSON object per line),
 * with a hard cap on line length so a line that never ends cannot grow memory without bound:
 * an over-long line is dropped up to its newline and reported once. Pure: no I/O.
 */
export interface LineSplitterOptions {
  /** Longest accepted line in bytes (without the newline). Default 65536. */
  maxLineBytes?: number;
}

export type SplitEvent = { kind: 'line'; text: string } | { kind: 'too-long'; bytes: number };

/** Stateful splitter: feed chunks, get complete lines (CR/LF and LF endings, empty lines skipped). */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;
  private discarded = 0;
  private readonly max: number;

  constructor(opts: LineSplitterOptions = {}) {
    this.max = opts.maxLineBytes ?? 65536;
    if (!Number.isInteger(this.max) || this.max < 1) throw new RangeError(`maxLineBytes: expected integer >= 1, found ${this.max}`);
  }

  /** Feeds one chunk and returns the events it completes, in order. */
  push(chunk: Uint8Array): SplitEvent[] {
    const out: SplitEvent[] = [];
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (;;) {
      const nl = buf.indexOf(0x0a);
      const piece = nl < 0 ? buf : buf.subarray(0, nl);
      if (this.discarding) {
        this.discarded += piece.length;
      } else if (this.size + piece.length > this.max + 1) {
        // +1 tolerates a trailing CR before the LF.
        this.discarding = true;
        this.discarded = this.size + piece.length;
        this.parts = [];
        this.size = 0;
      } else {
        this.parts.push(Buffer.from(piece));
        this.size += piece.length;
      }
      if (nl < 0) return out;
      if (this.discarding) {
        out.push({ kind: 'too-long', bytes: this.discarded });
        this.discarding = false;
        this.discarded = 0;
      } else {
        let line = Buffer.concat(this.parts).toString('utf8');
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (line.length > this.max) out.push({ kind: 'too-long', bytes: Buffer.byteLength(line) });
        else if (line.trim().length > 0) out.push({ kind: 'line', text: line });
      }
      this.parts = [];
      this.size = 0;
      buf = buf.subarray(nl + 1);
    }
  }
}
