/**
 * A Modbus meter as an AcquisitionSource: one template (data) + one RegisterReader (a device on
 * a ModbusLine) → reading drafts. Plans coalesced reads once, splits blocks the device rejects
 * (exception 2) for good, discovers the SunSpec model on first use, and drops individual
 * undecodable points (NaN, bad scale factor, unrepresentable) with EDGE_VALUE_INVALID while
 * keeping the others. Plausibility (a value outside its window: template point `min`/`max`, the
 * template's `rating`) is not judged here but by the agent's one gate for every source
 * (plausibility.ts); the meter declares its windows in `plausibility`.
 */
import { LightNodeError } from '@lightnode/shared/errors';
import type { Measurement } from '@lightnode/shared/reading';
import { toMeasurement } from '@lightnode/shared/quantities';
import { decodeRegisters, registerCount } from '../modbus/decode.js';
import { RequestPlan, type Block, type RegisterSpan } from '../modbus/planner.js';
import { discoverSunSpec, findModel, SUNSPEC_BASES } from '../modbus/sunspec.js';
import type { RegisterReader } from '../modbus/line.js';
import type { MeterTemplate, TemplatePoint } from './template.js';
import { noMetrics, type AcquisitionMetrics, type AcquisitionSource, type ReadingDraft, type SourcePlausibility } from './source.js';
import type { Limit } from './plausibility.js';
import { systemClock, type Clock } from '../scheduler/clock.js';

export interface ModbusMeterOptions {
  /** Meter id local to the Light Node (Reading.meter). */
  id: string;
  template: MeterTemplate;
  /** The device on its line (LineDevice from ModbusLine.device()). */
  device: RegisterReader;
  /** Overrides the template's hole fill (registers). */
  maxHoleFill?: number;
  /** Overrides the template's largest read (registers, ≤ 125). */
  maxRegisters?: number;
  clock?: Pick<Clock, 'now' | 'sleep'>;
  metrics?: AcquisitionMetrics;
  /** Called for each point dropped from a snapshot (EDGE_VALUE_INVALID, unreadable point). */
  onIssue?: (err: LightNodeError) => void;
  /** Called when the device closes (e.g. to close a line no one else uses). */
  onClose?: () => Promise<void>;
}

interface ResolvedPoint {
  point: TemplatePoint;
  address: number;
  sfAddress: number | undefined;
}

const sfKey = (fc: number, address: number) => `sf:${fc}:${address}`;

/** See file comment. */
export class ModbusMeter implements AcquisitionSource {
  readonly id: string;
  private plan: RequestPlan | undefined;
  private points: ResolvedPoint[] = [];
  private readonly clock: Pick<Clock, 'now' | 'sleep'>;
  private readonly metrics: AcquisitionMetrics;

  readonly plausibility: SourcePlausibility;

  constructor(private readonly opts: ModbusMeterOptions) {
    this.id = opts.id;
    const explicit = new Map<string, Limit>();
    for (const p of opts.template.points) {
      if (p.min !== undefined || p.max !== undefined) explicit.set(p.quantity, { ...(p.min !== undefined ? { min: p.min } : {}), ...(p.max !== undefined ? { max: p.max } : {}) });
    }
    this.plausibility = { explicit, ...(opts.template.rating ? { rating: opts.template.rating } : {}) };
    this.clock = opts.clock ?? systemClock;
    this.metrics = opts.metrics ?? noMetrics;
    if (!opts.template.sunspec) this.resolve(0);
  }

  /** The read requests one snapshot costs now (after any splits), for status and benches. */
  get blocks(): readonly Block[] {
    return this.plan?.blocks ?? [];
  }

  /** Base address of the SunSpec model in use, or undefined before discovery / for plain meters. */
  modelAddress: number | undefined;

  private resolve(base: number): void {
    const t = this.opts.template;
    this.points = t.points.map((point) => ({ point, address: base + point.address, sfAddress: point.scaleFactorAddress === undefined ? undefined : base + point.scaleFactorAddress }));
    const spans: RegisterSpan[] = [];
    const seenSf = new Set<string>();
    for (const p of this.points) {
      spans.push({ key: p.point.name, functionCode: p.point.functionCode, address: p.address, count: registerCount(p.point.type) });
      if (p.sfAddress !== undefined) {
        const key = sfKey(p.point.functionCode, p.sfAddress);
        if (!seenSf.has(key)) spans.push({ key, functionCode: p.point.functionCode, address: p.sfAddress, count: 1 });
        seenSf.add(key);
      }
    }
    this.plan = new RequestPlan(spans, { maxHoleFill: this.opts.maxHoleFill ?? t.maxHoleFill, maxRegisters: this.opts.maxRegisters ?? t.maxRegisters });
  }

  /** Forgets the plan (and the SunSpec model address); the next poll plans afresh. */
  reset(): void {
    this.plan = undefined;
    this.modelAddress = undefined;
    if (!this.opts.template.sunspec) this.resolve(0);
  }

  private async discover(): Promise<void> {
    const ss = this.opts.template.sunspec!;
    try {
      const chain = await discoverSunSpec((a, n) => this.opts.device.readRegisters(3, a, n), ss.bases ?? SUNSPEC_BASES, {
        sleep: (ms) => this.clock.sleep(ms),
        onRetry: () => this.metrics.onEvent('EDGE_SUNSPEC_RETRY', this.id),
      });
      const model = findModel(chain, ss.models, ss.minLength);
      this.modelAddress = model.address;
      this.resolve(model.address);
    } catch (err) {
      if (err instanceof LightNodeError && err.code.startsWith('EDGE_SUNSPEC_')) this.metrics.onEvent(err.code, this.id);
      throw err;
    }
  }

  private inFlight = false;

  /**
   * Reads one snapshot; see file comment for what is dropped and what rejects. A poll started
   * while the previous one is still running is refused with EDGE_POLL_OVERLAP (a slow line must
   * not pile up requests, and one snapshot must never be signed twice).
   */
  async poll(): Promise<ReadingDraft> {
    if (this.inFlight) {
      this.metrics.onEvent('EDGE_POLL_OVERLAP', this.id);
      throw new LightNodeError('EDGE_POLL_OVERLAP', `${this.id}: previous poll still running`, { meter: this.id });
    }
    this.inFlight = true;
    try {
      return await this.snapshot();
    } finally {
      this.inFlight = false;
    }
  }

  private async snapshot(): Promise<ReadingDraft> {
    const timestamp = this.clock.now();
    if (!this.plan) await this.discover();
    const plan = this.plan!;
    const got: { fc: number; address: number; data: number[] }[] = [];
    let lastException: LightNodeError | undefined;
    const work = [...plan.blocks];
    while (work.length > 0) {
      const block = work.shift()!;
      try {
        const data = await this.opts.device.readRegisters(block.functionCode, block.address, block.count);
        got.push({ fc: block.functionCode, address: block.address, data });
      } catch (err) {
        const e = err as LightNodeError;
        if (e.code !== 'EDGE_MODBUS_EXCEPTION') throw e; // timeout, CRC, link, backoff: the snapshot fails as a whole
        lastException = e;
        if (e.details.exceptionCode === 2) {
          const parts = plan.split(block);
          this.metrics.onEvent('EDGE_MODBUS_BLOCK_SPLIT', this.id);
          work.unshift(...parts);
          if (parts.length === 0) this.issue(new LightNodeError('EDGE_MODBUS_EXCEPTION', `${this.id}: ${block.spans.map((s) => s.key).join(', ')} unreadable (exception 2 on a single point)`, { ...e.details, points: block.spans.map((s) => s.key) }), false);
        } else {
          this.issue(e, false); // the line already counted the exception
        }
      }
    }
    const values = this.decodeAll(got);
    if (values.length === 0) {
      // Nothing readable: start again from a fresh plan (and SunSpec discovery) next time, so a
      // device that refused everything while booting is not given up on for good.
      if (plan.blocks.length === 0 || lastException) this.reset();
      if (lastException) throw lastException;
      throw new LightNodeError('EDGE_VALUE_INVALID', `${this.id}: no valid value in snapshot`, { meter: this.id });
    }
    return { meter: this.id, timestamp, source: 'modbus', values };
  }

  private decodeAll(got: { fc: number; address: number; data: number[] }[]): Measurement[] {
    const t = this.opts.template;
    const find = (fc: number, address: number, count: number): { data: number[]; offset: number } | undefined => {
      for (const g of got) if (g.fc === fc && address >= g.address && address + count <= g.address + g.data.length) return { data: g.data, offset: address - g.address };
      return undefined;
    };
    const values: Measurement[] = [];
    for (const { point, address, sfAddress } of this.points) {
      const at = find(point.functionCode, address, registerCount(point.type));
      if (!at) continue; // its block failed; already reported
      const d = decodeRegisters(at.data, at.offset, point.type, point.wordOrder, t.sentinels);
      if (d.kind === 'not-implemented') continue;
      let sf = 0;
      if (sfAddress !== undefined) {
        const sfAt = find(point.functionCode, sfAddress, 1);
        if (!sfAt) continue;
        const s = decodeRegisters(sfAt.data, sfAt.offset, 'sunssf', 'ABCD', true);
        if (s.kind === 'not-implemented') continue; // scale factor "not available"
        if (s.value < -10 || s.value > 10) {
          this.invalid(point, `scale factor ${s.value} outside -10..10`, s.value);
          continue;
        }
        sf = s.value;
      }
      const physical = sf >= 0 ? d.value * 10 ** sf * point.multiplier : (d.value / 10 ** -sf) * point.multiplier;
      if (!Number.isFinite(physical)) {
        this.invalid(point, 'not a finite number', physical);
        continue;
      }
      try {
        values.push(toMeasurement(point.quantity, physical));
      } catch (err) {
        this.invalid(point, (err as Error).message, physical);
      }
    }
    return values;
  }

  private invalid(point: TemplatePoint, reason: string, found: number): void {
    this.issue(new LightNodeError('EDGE_VALUE_INVALID', `${this.id} ${point.name} (${point.quantity}): ${reason}`, { meter: this.id, point: point.name, quantity: point.quantity, found: String(found), reason }));
  }

  private issue(err: LightNodeError, count = true): void {
    if (count) this.metrics.onEvent(err.code, this.id);
    this.opts.onIssue?.(err);
  }

  async close(): Promise<void> {
    await this.opts.onClose?.();
  }
}
