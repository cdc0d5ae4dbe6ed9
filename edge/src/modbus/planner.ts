/**
 * Request planner (pure): coalesces the registers a meter template needs into as few read
 * requests as the protocol allows (≤ 125 registers per FC03/FC04 read, Modbus Application
 * Protocol v1.1b3 §6.3/§6.4), filling holes of at most `maxHoleFill` registers. When a device
 * rejects a block with exception 2 (illegal data address — typically a hole it does not serve),
 * the plan splits that block and remembers the split for every later poll.
 */
import { LightNodeError } from '@lightnode/shared/errors';

/** A contiguous run of registers one point needs. `key` identifies the point. */
export interface RegisterSpan {
  readonly key: string;
  readonly functionCode: 3 | 4;
  readonly address: number;
  readonly count: number;
}

/** One read request: function code, first register, register count, and the spans it serves. */
export interface Block {
  readonly functionCode: 3 | 4;
  readonly address: number;
  readonly count: number;
  readonly spans: readonly RegisterSpan[];
}

export interface PlannerOptions {
  /** Largest read, in registers (protocol limit 125; some devices need less). Default 125. */
  maxRegisters?: number;
  /** Largest run of unneeded registers read to join two spans into one request. Default 16. */
  maxHoleFill?: number;
}

export const MODBUS_MAX_READ_REGISTERS = 125;
export const DEFAULT_MAX_HOLE_FILL = 16;

function check(opts: PlannerOptions): { maxRegisters: number; maxHoleFill: number } {
  const maxRegisters = opts.maxRegisters ?? MODBUS_MAX_READ_REGISTERS;
  const maxHoleFill = opts.maxHoleFill ?? DEFAULT_MAX_HOLE_FILL;
  if (!Number.isInteger(maxRegisters) || maxRegisters < 1 || maxRegisters > MODBUS_MAX_READ_REGISTERS) {
    throw new RangeError(`maxRegisters: expected integer 1..125, found ${maxRegisters}`);
  }
  if (!Number.isInteger(maxHoleFill) || maxHoleFill < 0) throw new RangeError(`maxHoleFill: expected integer >= 0, found ${maxHoleFill}`);
  return { maxRegisters, maxHoleFill };
}

/**
 * Groups spans into blocks: sorted by function code then address, a span joins the current
 * block when the hole before it is ≤ maxHoleFill and the block stays ≤ maxRegisters.
 * Overlapping spans share registers. Every span lands in exactly one block.
 */
export function planBlocks(spans: readonly RegisterSpan[], opts: PlannerOptions = {}): Block[] {
  const { maxRegisters, maxHoleFill } = check(opts);
  for (const s of spans) {
    if (!Number.isInteger(s.address) || s.address < 0 || !Number.isInteger(s.count) || s.count < 1 || s.address + s.count > 0x10000) {
      throw new RangeError(`span ${s.key}: registers ${s.address}+${s.count} outside 0..65535`);
    }
    if (s.count > maxRegisters) throw new RangeError(`span ${s.key}: ${s.count} registers exceed maxRegisters ${maxRegisters}`);
  }
  const sorted = [...spans].sort((a, b) => a.functionCode - b.functionCode || a.address - b.address || b.count - a.count);
  const blocks: Block[] = [];
  let cur: { functionCode: 3 | 4; address: number; end: number; spans: RegisterSpan[] } | undefined;
  for (const s of sorted) {
    const sEnd = s.address + s.count;
    if (cur && cur.functionCode === s.functionCode && s.address - cur.end <= maxHoleFill && Math.max(cur.end, sEnd) - cur.address <= maxRegisters) {
      cur.end = Math.max(cur.end, sEnd);
      cur.spans.push(s);
      continue;
    }
    if (cur) blocks.push({ functionCode: cur.functionCode, address: cur.address, count: cur.end - cur.address, spans: cur.spans });
    cur = { functionCode: s.functionCode, address: s.address, end: sEnd, spans: [s] };
  }
  if (cur) blocks.push({ functionCode: cur.functionCode, address: cur.address, count: cur.end - cur.address, spans: cur.spans });
  return blocks;
}

/**
 * How to split a block the device rejected with exception 2: at its largest hole (the likeliest
 * edge of what the device serves), each side keeping small holes filled; a block without holes
 * is cut in two halves at a span boundary. Further rejections split further. Returns `[]` when
 * the block serves one span only (nothing left to split: that point is unreadable).
 */
export function splitBlock(block: Block, opts: PlannerOptions = {}): Block[] {
  const { maxRegisters, maxHoleFill } = check(opts);
  const sorted = [...block.spans].sort((a, b) => a.address - b.address || b.count - a.count);
  if (sorted.length < 2) return [];
  let cut = Math.ceil(sorted.length / 2);
  let widest = 0;
  let end = sorted[0]!.address + sorted[0]!.count;
  for (let i = 1; i < sorted.length; i++) {
    const s = sorted[i]!;
    if (s.address - end > widest) {
      widest = s.address - end;
      cut = i;
    }
    end = Math.max(end, s.address + s.count);
  }
  const fill = Math.min(maxHoleFill, Math.max(0, widest - 1));
  return [...planBlocks(sorted.slice(0, cut), { maxRegisters, maxHoleFill: fill }), ...planBlocks(sorted.slice(cut), { maxRegisters, maxHoleFill: fill })];
}

/** A plan that adapts: blocks the device rejected are replaced by their split, for good. */
export class RequestPlan {
  private current: Block[];
  /** Spans no request can serve (single-span blocks the device rejected). */
  readonly unreadable = new Set<string>();

  constructor(spans: readonly RegisterSpan[], private readonly opts: PlannerOptions = {}) {
    this.current = planBlocks(spans, opts);
  }

  /** The blocks to read, in order. */
  get blocks(): readonly Block[] {
    return this.current;
  }

  /**
   * Replaces `block` by its split and returns the new blocks (empty when the block served a
   * single span, which is then marked unreadable and dropped from the plan).
   */
  split(block: Block): Block[] {
    const idx = this.current.indexOf(block);
    if (idx < 0) throw new LightNodeError('EDGE_MODBUS_PLAN_INVALID', 'split: block is not part of this plan');
    const parts = splitBlock(block, this.opts);
    if (parts.length === 0) for (const s of block.spans) this.unreadable.add(s.key);
    this.current = [...this.current.slice(0, idx), ...parts, ...this.current.slice(idx + 1)];
    return parts;
  }
}
