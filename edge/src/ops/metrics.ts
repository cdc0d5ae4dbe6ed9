/**
 * A minimal Prometheus registry (text exposition format 0.0.4, hand-written: the agent needs
 * counters and gauges only, not a client library). Metric and label names are fixed by the
 * code; label values are escaped.
 */

type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, { labels: Labels; value: number }>;
  collect?: () => number | { labels: Labels; value: number }[];
}

function key(labels: Labels): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function fmtLabels(labels: Labels): string {
  const ks = Object.keys(labels);
  if (ks.length === 0) return '';
  return `{${ks.sort().map((k) => `${k}="${escapeLabel(labels[k] ?? '')}"`).join(',')}}`;
}

/** A counter handle: `inc(labels?, by?)`. */
export interface Counter { inc(labels?: Labels, by?: number): void; get(labels?: Labels): number }
/** A gauge handle: `set(value, labels?)`. */
export interface Gauge { set(value: number, labels?: Labels): void; get(labels?: Labels): number }

/** Registry of counters and gauges, rendered by `/metrics`. */
export class Metrics {
  readonly #families = new Map<string, Family>();

  #family(name: string, help: string, type: 'counter' | 'gauge'): Family {
    let f = this.#families.get(name);
    if (!f) {
      f = { name, help, type, values: new Map() };
      this.#families.set(name, f);
    }
    return f;
  }

  /** Get or create a counter (monotonic). */
  counter(name: string, help: string): Counter {
    const f = this.#family(name, help, 'counter');
    return {
      inc(labels: Labels = {}, by = 1) {
        const k = key(labels);
        const cur = f.values.get(k);
        if (cur) cur.value += by;
        else f.values.set(k, { labels, value: by });
      },
      get(labels: Labels = {}) { return f.values.get(key(labels))?.value ?? 0; },
    };
  }

  /** Get or create a gauge. */
  gauge(name: string, help: string): Gauge {
    const f = this.#family(name, help, 'gauge');
    return {
      set(value: number, labels: Labels = {}) { f.values.set(key(labels), { labels, value }); },
      get(labels: Labels = {}) { return f.values.get(key(labels))?.value ?? 0; },
    };
  }

  /** A gauge whose value is computed at scrape time. */
  gaugeFn(name: string, help: string, collect: () => number | { labels: Labels; value: number }[]): void {
    const f = this.#family(name, help, 'gauge');
    f.collect = collect;
  }

  /** Value of a counter or gauge series (tests, status). */
  value(name: string, labels: Labels = {}): number {
    const f = this.#families.get(name);
    if (!f) return 0;
    if (f.collect) {
      const c = f.collect();
      if (typeof c === 'number') return c;
      return c.find((s) => key(s.labels) === key(labels))?.value ?? 0;
    }
    return f.values.get(key(labels))?.value ?? 0;
  }

  /** The whole registry in Prometheus text format. */
  render(): string {
    const out: string[] = [];
    for (const f of this.#families.values()) {
      out.push(`# HELP ${f.name} ${f.help.replace(/\n/g, ' ')}`);
      out.push(`# TYPE ${f.name} ${f.type}`);
      let series: { labels: Labels; value: number }[] = [...f.values.values()];
      if (f.collect) {
        try {
          const c = f.collect();
          series = typeof c === 'number' ? [{ labels: {}, value: c }] : c;
        } catch {
          series = [];
        }
      }
      for (const s of series) out.push(`${f.name}${fmtLabels(s.labels)} ${Number.isFinite(s.value) ? s.value : 'NaN'}`);
    }
    return out.join('\n') + '\n';
  }
}
