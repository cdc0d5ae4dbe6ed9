/** A uPlot time chart of one quantity (seconds on x). */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from '../html.js';

export const SERIES_COLOUR = '#1d4ed8';

export function TimeChart({ label, unit, xs, ys }: { label: string; unit: string; xs: number[]; ys: number[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    const el = box.current!;
    const width = Math.max(320, el.clientWidth || 640);
    plot.current = new uPlot({
      width, height: 260, title: undefined,
      scales: { x: { time: true } },
      series: [{}, { label: `${label} (${unit})`, stroke: SERIES_COLOUR, width: 2, points: { show: true, size: 5, fill: SERIES_COLOUR } }],
      axes: [{ stroke: '#1f2937', grid: { stroke: '#e5e7eb' } }, { stroke: '#1f2937', grid: { stroke: '#e5e7eb' }, label: unit }],
    }, [xs, ys], el);
    return () => { plot.current?.destroy(); plot.current = null; };
  }, [label, unit]);
  useEffect(() => { plot.current?.setData([xs, ys]); }, [xs, ys]);
  return html`<figure class="chart"><div ref=${box} role="img" aria-label=${`Chart of ${label} in ${unit}, ${ys.length} points`} data-testid="chart"></div></figure>`;
}
