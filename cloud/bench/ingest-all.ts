/**
 * bench:ingest — the ingest configurations of issue 15, one after the other, each in its own
 * process (bench/ingest.ts) with its same-run crypto ceiling (digest + signer recovery alone on
 * the same worker threads), then one table:
 *   batch 50 × aedes, batch 1 × aedes, batch 1 × Mosquitto, batch 50 × Mosquitto (SQLite store,
 *   cumulative acks), plus batch 1 × Mosquitto with per-reading acks (the v 1 baseline).
 * CPU ratio = ceiling CPU µs per reading / BAL CPU µs per reading (all BAL threads; Mosquitto's own
 * CPU, from /proc/<pid>/stat, is reported beside it, not counted). Wall ratio = readings/s ÷ the
 * ceiling's readings/s. Same-run ceiling: the same publisher and broker feeding a consumer that
 * only parses, digests and recovers on the same pool threads (no store, no ack) — the fair
 * wall-clock bound on a machine where publisher, broker and BAL share the cores; its wall ratio
 * is printed beside the issue's. The BAL's CPU is split into main thread, verify workers and the
 * rest (V8 GC/compiler helpers). The machine is shared: the 1-minute load average is printed per row.
 * Env: BENCH_CONFIGS (comma list of names below), plus anything bench/ingest.ts reads.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';

interface Config { name: string; env: Record<string, string> }
const CONFIGS: Config[] = [
  { name: 'b50-aedes', env: { BENCH_BATCH: '50', BENCH_BROKER: 'aedes', BENCH_ACKS: 'cumulative' } },
  { name: 'b1-aedes', env: { BENCH_BATCH: '1', BENCH_BROKER: 'aedes', BENCH_ACKS: 'cumulative' } },
  { name: 'b1-mosquitto', env: { BENCH_BATCH: '1', BENCH_BROKER: 'mosquitto', BENCH_ACKS: 'cumulative' } },
  { name: 'b50-mosquitto', env: { BENCH_BATCH: '50', BENCH_BROKER: 'mosquitto', BENCH_ACKS: 'cumulative' } },
  { name: 'b1-mosquitto-v1acks', env: { BENCH_BATCH: '1', BENCH_BROKER: 'mosquitto', BENCH_ACKS: 'per-reading' } },
];
const wanted = process.env.BENCH_CONFIGS?.split(',').map((s) => s.trim()).filter(Boolean);
const runs = wanted ? CONFIGS.filter((c) => wanted.includes(c.name)) : CONFIGS;
const script = fileURLToPath(new URL('./ingest.ts', import.meta.url));

type Row = Record<string, number | string | null>;
const rows: { name: string; out: Row }[] = [];
for (const c of runs) {
  process.stdout.write(`\n=== ${c.name} (load average ${loadavg()[0]!.toFixed(2)})\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...c.env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 1_200_000 });
  process.stdout.write(r.stdout ?? '');
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('BENCH '));
  if (r.status !== 0 || !line) { process.stdout.write(`${c.name}: failed (exit ${r.status})\n`); continue; }
  rows.push({ name: c.name, out: JSON.parse(line.slice(6)) as Row });
}

const f = (x: unknown, d = 0) => (typeof x === 'number' ? x.toFixed(d) : String(x ?? '—'));
process.stdout.write('\n| config | acks | readings/s | ceiling/s | wall ratio | same-run ceiling/s | wall ratio to it | BAL CPU µs/r | main / workers / other µs/r | ceiling CPU µs/r | CPU ratio | broker CPU µs/r | ack msgs | naive × per core | load 1m |\n');
process.stdout.write('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n');
for (const { name, out: o } of rows) {
  process.stdout.write(`| ${name} | ${o.acks} | ${f(o.ingestPerSec)} | ${f(o.ceilingPerSec)} | ${f(o.ratioToCeiling, 2)} | ${f(o.sameConditionsCeilingPerSec)} | ${f(o.ratioToSameConditionsCeiling, 2)} | ${f(o.ingestCpuUsPerReading, 1)} | ${f(o.mainThreadCpuUsPerReading, 0)} / ${f(o.workersCpuUsPerReading, 0)} / ${f(o.otherThreadsCpuUsPerReading, 0)} | ${f(o.ceilingCpuUsPerReading, 1)} | ${f(o.cpuRatioToCeiling, 2)} | ${o.externalBrokerCpuUsPerReading === null ? 'in BAL' : f(o.externalBrokerCpuUsPerReading, 1)} | ${f(o.ackMessages)} | ${f(o.speedupVsNaivePerCore, 1)} | ${f(o.loadAvg1m, 1)} |\n`);
}
process.stdout.write(`BENCH_ALL ${JSON.stringify(rows)}\n`);
if (rows.length !== runs.length) process.exitCode = 1;
