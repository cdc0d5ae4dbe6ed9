/**
 * CIM benchmark (a script, never a test; issue 13: CIM XML encode and decode ≥ 20,000
 * readings/s per core). One thread, so rates per CPU-second are per core. The document is what
 * the BAL exports: one MeterReading of N Readings, each with its digest and anchor-transaction
 * qualities. Baseline in the same run: the workspace has no general XML library (none in
 * node_modules, and we add no dependency for a baseline), so the JSON codec of the same model —
 * built-in JSON.parse/stringify plus the same validation — stands beside it, and bare
 * JSON.parse/stringify beside that. Last line: one JSON object.
 *
 * Also: quarter-hour derivation (N quarters of one register, per reading) and the certified
 * stream's CIM `created` messages (build + XML encode, per reading).
 *
 * Usage: pnpm --filter @lightnode/shared bench:cim [-- --readings N --ms M]
 */
import { cpus, loadavg } from 'node:os';
import { encodeCimXml, decodeCimXml } from '../src/cim/xml-codec.js';
import { encodeCimJson, decodeCimJson } from '../src/cim/json-codec.js';
import { readingsToMeterReadings } from '../src/cim/readings-map.js';
import type { CimMessage } from '../src/cim/model.js';
import { deriveQuarterHourBlocks, registerPointsOf } from '../src/cim/interval-blocks.js';
import { certifiedCimMessages } from '../src/cim/certified-stream.js';
import type { Hex } from '../src/hex.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : dflt; };
const N = arg('--readings', 1000);
const MIN_MS = arg('--ms', 1500);

function measure(fn: () => void, batch: number): { perCpuSec: number; perWallSec: number } {
  fn();
  let ops = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < MIN_MS) { fn(); ops += batch; }
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { perCpuSec: ops / ((c.user + c.system) / 1e6), perWallSec: ops / (wallMs / 1000) };
}

const hex = (i: number, b: string): Hex => `0x${b.repeat(24)}${i.toString(16).padStart(16, '0')}` as Hex;
const items = Array.from({ length: N }, (_, i) => ({
  reading: { pod: 'IT001E12345678', meter: 'main', seq: i, timestamp: 1_763_000_000_000 + i * 900_000, source: 'modbus', values: [{ quantity: '1-0:1.8.0', value: 1_502_331 + i * 37, scale: 0, unit: 'Wh' }] },
  digest: hex(i, 'ab'), anchorTransaction: hex(i >> 8, 'cd'),
}));
const message: CimMessage = {
  Header: { Verb: 'reply', Noun: 'MeterReadings', Timestamp: '2025-11-13T10:00:00.000Z', Source: 'LightNode-BAL', MessageID: 'bench' },
  Reply: { Result: 'OK', Error: [] },
  Payload: { MeterReadings: { MeterReading: readingsToMeterReadings(items).MeterReading } },
};
const xml = encodeCimXml(message);
const xmlBytes = new TextEncoder().encode(xml);
const json = encodeCimJson(message);
if (JSON.stringify(decodeCimXml(xmlBytes)) !== JSON.stringify(decodeCimJson(json))) throw new Error('XML and JSON decode differently');
const plain = JSON.parse(json);

console.log(`cim bench — node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`document: ${N} readings, XML ${xmlBytes.length} bytes (${Math.round(xmlBytes.length / N)} B/reading), JSON ${json.length} bytes`);
// Quarter-hour data (issue 13 §3): the same register read on N+1 quarter boundaries → N quarters.
const Q0 = Date.UTC(2025, 10, 13);
const quarterPoints = registerPointsOf(Array.from({ length: N + 1 }, (_, i) => ({
  reading: { ...items[0]!.reading, seq: i, timestamp: Q0 + i * 900_000, values: [{ quantity: '1-0:1.8.0', value: 1_502_331 + i * 37, scale: 0, unit: 'Wh' }] },
  digest: hex(i, 'ef'), anchorTransaction: hex(i >> 8, 'cd'),
})));
const quarterOptions = { fromMs: Q0, toMs: Q0 + N * 900_000 };
if (deriveQuarterHourBlocks('IT001E12345678', quarterPoints, quarterOptions).counts.complete !== N) throw new Error('quarter-hour bench input is not complete');
const rows: [string, () => void][] = [
  ['quarter-hour deltas (derive)', () => { deriveQuarterHourBlocks('IT001E12345678', quarterPoints, quarterOptions); }],
  ['stream created (build + xml)', () => { for (const m of certifiedCimMessages(items, { verb: 'created', timestamp: '2025-11-13T10:00:00.000Z', source: 'LightNode-BAL', messageId: 'b' }).messages) encodeCimXml(m); }],
  ['cim xml encode', () => { encodeCimXml(message); }],
  ['cim xml decode (bytes)', () => { decodeCimXml(xmlBytes); }],
  ['baseline: cim json encode', () => { encodeCimJson(message); }],
  ['baseline: cim json decode', () => { decodeCimJson(json); }],
  ['baseline: bare JSON.stringify', () => { JSON.stringify(plain); }],
  ['baseline: bare JSON.parse', () => { JSON.parse(json); }],
];
const out: Record<string, number> = {};
for (const [name, fn] of rows) {
  const r = measure(fn, N);
  out[name] = Math.round(r.perCpuSec);
  console.log(`${name.padEnd(32)} ${Math.round(r.perCpuSec).toLocaleString('en').padStart(12)} readings/cpu-s  (${Math.round(r.perWallSec).toLocaleString('en')}/wall-s)`);
}
console.log(JSON.stringify({ bench: 'cim', readings: N, xmlBytes: xmlBytes.length, readingsPerCpuSec: out, xmlLibraryBaseline: null, note: 'no XML library in the workspace; JSON codec of the same model is the baseline' }));
