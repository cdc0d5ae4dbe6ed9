/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the
 * text exposition format 0.0.4 (served on `/metrics`, DESIGN §8). No dependency: prom-client
 * would pull in a lot for the few primitives we use.
 */

import { LightNodeError } from '@lightnode/shared/errors';

export type Labels = Record<string, string | number>;

interface MetricBase { readonly name: string; readonly help: string; readonly type: 'counter' | 'gauge' | 'histogram'; render(): string[] }

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

/** Series keys of one-label metrics by label value (the hot path: `{outcome}`, `{code}`). */
const oneLabelKeys = new WeakMap<readonly string[], Map<string, string>>();

function labelKey(labelNames: readonly string[], labels: Labels | undefined): string {
  if (labelNames.length === 0) return '';
  if (labelNames.length === 1) {
    const v = labels?.[labelNames[0]!];
    if (v !== undefined) {
      let cache = oneLabelKeys.get(labelNames);
      if (!cache) { cache = new Map(); oneLabelKeys.set(labelNames, cache); }
      const sv = String(v);
      let k = cache.get(sv);
      if (k === undefined) { k = `${labelNames[0]}="${escapeLabel(sv)}"`; if (cache.size < 1000) cache.set(sv, k); }
      return k;
    }
  }
  return labelNames.map((l) => {
    const v = labels?.[l];
    if (v === undefined) throw new LightNodeError('BAL_METRIC_INVALID', `metric label ${l} missing`);
    return `${l}="${escapeLabel(String(v))}"`;
  }).join(',');
}

function withBraces(key: string, extra?: string): string {
  const parts = [key, extra].filter((s) => s);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** Monotonic counter. */
export class Counter implements MetricBase {
  readonly type = 'counter' as const;
  private readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly string[] = []) {}
  /** Add `by` (≥ 0, default 1). */
  inc(labels?: Labels, by = 1): void {
    if (!(by >= 0)) throw new LightNodeError('BAL_METRIC_INVALID', `counter ${this.name}: increment must be >= 0`);
    const k = labelKey(this.labelNames, labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  /** Current value for the labels (0 if never incremented). */
  get(labels?: Labels): number { return this.values.get(labelKey(this.labelNames, labels)) ?? 0; }
  render(): string[] {
    if (this.labelNames.length === 0 && this.values.size === 0) return [`${this.name} 0`];
    return [...this.values].map(([k, v]) => `${this.name}${withBraces(k)} ${formatNumber(v)}`);
  }
}

/** Gauge: set / inc / dec, or computed at scrape time by `collect`. */
export class Gauge implements MetricBase {
  readonly type = 'gauge' as const;
  private readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly string[] = [],
    private readonly collect?: () => number) {}
  set(value: number, labels?: Labels): void { this.values.set(labelKey(this.labelNames, labels), value); }
  inc(labels?: Labels, by = 1): void { const k = labelKey(this.labelNames, labels); this.values.set(k, (this.values.get(k) ?? 0) + by); }
  dec(labels?: Labels, by = 1): void { this.inc(labels, -by); }
  get(labels?: Labels): number { return this.values.get(labelKey(this.labelNames, labels)) ?? 0; }
  render(): string[] {
    if (this.collect) this.values.set('', this.collect());
    if (this.labelNames.length === 0 && this.values.size === 0) return [`${this.name} 0`];
    return [...this.values].map(([k, v]) => `${this.name}${withBraces(k)} ${formatNumber(v)}`);
  }
}

/** Default buckets in seconds (latencies from 0.5 ms to 10 s). */
export const DEFAULT_BUCKETS_SEC = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Cumulative histogram. */
export class Histogram implements MetricBase {
  readonly type = 'histogram' as const;
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  readonly buckets: readonly number[];
  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly string[] = [],
    buckets: readonly number[] = DEFAULT_BUCKETS_SEC) {
    this.buckets = [...buckets].sort((a, b) => a - b);
  }
  observe(value: number, labels?: Labels): void {
    const k = labelKey(this.labelNames, labels);
    let s = this.series.get(k);
    if (!s) { s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 }; this.series.set(k, s); }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  /** Start a timer; calling the returned function observes the elapsed seconds. */
  startTimer(labels?: Labels): () => number {
    const t0 = process.hrtime.bigint();
    return () => { const sec = Number(process.hrtime.bigint() - t0) / 1e9; this.observe(sec, labels); return sec; };
  }
  count(labels?: Labels): number { return this.series.get(labelKey(this.labelNames, labels))?.count ?? 0; }
  render(): string[] {
    const out: string[] = [];
    for (const [k, s] of this.series) {
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket${withBraces(k, `le="${formatNumber(b)}"`)} ${s.counts[i]}`));
      out.push(`${this.name}_bucket${withBraces(k, 'le="+Inf"')} ${s.count}`);
      out.push(`${this.name}_sum${withBraces(k)} ${formatNumber(s.sum)}`);
      out.push(`${this.name}_count${withBraces(k)} ${s.count}`);
    }
    return out;
  }
}

/** A set of metrics rendered together. Registering a name twice returns the existing metric. */
export class MetricsRegistry {
  private readonly metrics = new Map<string, MetricBase>();
  private readonly constLabels: string;

  /**
   * `constLabels` go on every series (a BAL instance's `instance_id` and `roles`), so the series
   * of several instances behind one scrape config stay apart.
   */
  constructor(opts: { constLabels?: Labels } = {}) {
    const c = Object.entries(opts.constLabels ?? {});
    for (const [l] of c) if (!LABEL_RE.test(l) || l === 'le') throw new LightNodeError('BAL_METRIC_INVALID', `invalid label name ${l}`);
    this.constLabels = c.map(([l, v]) => `${l}="${escapeLabel(String(v))}"`).join(',');
  }

  private add<T extends MetricBase>(m: T, labelNames: readonly string[]): T {
    if (!NAME_RE.test(m.name)) throw new LightNodeError('BAL_METRIC_INVALID', `invalid metric name ${m.name}`);
    for (const l of labelNames) if (!LABEL_RE.test(l) || l === 'le') throw new LightNodeError('BAL_METRIC_INVALID', `invalid label name ${l}`);
    const existing = this.metrics.get(m.name);
    if (existing) {
      if (existing.type !== m.type) throw new LightNodeError('BAL_METRIC_INVALID', `metric ${m.name} already registered as ${existing.type}`);
      return existing as T;
    }
    this.metrics.set(m.name, m);
    return m;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames), labelNames);
  }
  gauge(name: string, help: string, labelNames: readonly string[] = [], collect?: () => number): Gauge {
    return this.add(new Gauge(name, help, labelNames, collect), labelNames);
  }
  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets), labelNames);
  }

  /** A series line with the constant labels first. */
  private labelled(line: string): string {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{)?/.exec(line);
    if (!m) return line;
    return m[2] ? `${m[1]}{${this.constLabels},${line.slice(m[0].length)}` : `${m[1]}{${this.constLabels}}${line.slice(m[0].length)}`;
  }

  /** Text exposition format (Content-Type `text/plain; version=0.0.4`). */
  render(): string {
    const lines: string[] = [];
    for (const m of this.metrics.values()) {
      lines.push(`# HELP ${m.name} ${m.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
      lines.push(`# TYPE ${m.name} ${m.type}`);
      lines.push(...(this.constLabels ? m.render().map((line) => this.labelled(line)) : m.render()));
    }
    return lines.join('\n') + '\n';
  }
}

/** Content type of `MetricsRegistry.render()`. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
