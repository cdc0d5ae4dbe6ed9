/**
 * Bench child: the real agent (config file + encrypted keystore) with BENCH_METERS in-process
 * sources at 1 Hz, each a 12-value SDM630-like snapshot. Prints `FIRST <ms since process start>`
 * at the first signed reading, then after BENCH_WARMUP_SEC (default 30 s: start-up and JIT
 * warm-up) measures CPU time (in total and per BENCH_WINDOW_SEC window) and RSS for
 * BENCH_MEASURE_SEC (default 60 s) and prints `RESULT <json>`. BENCH_LOG=1 echoes the agent log
 * to stderr.
 */
import { loadConfig } from '../src/config.js';
import { startAgent } from '../src/agent.js';
import { createLogger } from '../src/ops/logger.js';
import type { SourceFactory } from '../src/sources.js';

const t0 = performance.timeOrigin;
const warmupSec = Number(process.env.BENCH_WARMUP_SEC ?? 30);
const measureSec = Number(process.env.BENCH_MEASURE_SEC ?? 60);
let n = 0;
const factory: SourceFactory = (m) => ({
  kind: 'poll',
  source: {
    id: m.id,
    poll: async () => {
      n += 1;
      return {
        meter: m.id, timestamp: Date.now(), source: 'modbus',
        values: [
          ['1-0:1.8.0', 12_345_678 + n, 0, 'Wh'], ['1-0:2.8.0', 5_432 + n, 0, 'Wh'], ['1-0:1.7.0', 23_456, -1, 'W'], ['1-0:2.7.0', 0, -1, 'W'],
          ['1-0:32.7.0', 23_012, -2, 'V'], ['1-0:52.7.0', 23_100, -2, 'V'], ['1-0:72.7.0', 22_950, -2, 'V'],
          ['1-0:31.7.0', 10_020, -3, 'A'], ['1-0:51.7.0', 9_870, -3, 'A'], ['1-0:71.7.0', 10_110, -3, 'A'],
          ['1-0:14.7.0', 5_001, -2, 'Hz'], ['1-0:13.7.0', 981, -3, '1'],
        ].map(([quantity, value, scale, unit]) => ({ quantity: quantity as string, value: value as number, scale: scale as number, unit: unit as string })),
      };
    },
    close: async () => {},
  },
});

async function main(): Promise<void> {
  const cfg = loadConfig(process.env.BENCH_CONFIG!);
  let first = false;
  const log = createLogger({
    level: 'info',
    write: (line) => {
      if (process.env.BENCH_LOG) process.stderr.write(line.endsWith('\n') ? line : `${line}\n`);
      if (!first && line.includes('"first signed reading"')) {
        first = true;
        const cpu = process.cpuUsage();
        process.stdout.write(`FIRST ${(performance.now()).toFixed(1)} ${((cpu.user + cpu.system) / 1000).toFixed(1)}\n`);
      }
    },
  });
  // BENCH_MODBUS=1: the config's meters are real Modbus TCP meters (the default source factory).
  const agent = await startAgent(cfg, { ...(process.env.BENCH_MODBUS === '1' ? {} : { sourceFactory: factory }), logger: log });
  void t0;
  await new Promise((r) => setTimeout(r, warmupSec * 1000));
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  let rssMax = 0;
  const sampler = setInterval(() => { rssMax = Math.max(rssMax, process.memoryUsage.rss()); }, 500);
  // CPU per window of BENCH_WINDOW_SEC, to show the JIT warm-up settling.
  const windows: number[] = [];
  const windowSec = Number(process.env.BENCH_WINDOW_SEC ?? 10);
  let cw = process.cpuUsage();
  let ww = performance.now();
  const windowTimer = setInterval(() => {
    const c = process.cpuUsage(cw);
    const now = performance.now();
    windows.push(Number((((c.user + c.system) / 1e3 / (now - ww)) * 100).toFixed(3)));
    cw = process.cpuUsage();
    ww = now;
  }, windowSec * 1000);
  await new Promise((r) => setTimeout(r, measureSec * 1000));
  clearInterval(sampler);
  clearInterval(windowTimer);
  const c1 = process.cpuUsage(c0);
  const wall = (performance.now() - w0) / 1000;
  const cpuPct = ((c1.user + c1.system) / 1e6 / wall) * 100;
  const st = agent.spool.status();
  process.stdout.write(`RESULT ${JSON.stringify({ cpuPctOfOneCore: Number(cpuPct.toFixed(3)), cpuPctByWindow: windows, rssMaxMB: Number((rssMax / 2 ** 20).toFixed(1)), rssEndMB: Number((process.memoryUsage.rss() / 2 ** 20).toFixed(1)), heapTotalEndMB: Number((process.memoryUsage().heapTotal / 2 ** 20).toFixed(1)), heapUsedEndMB: Number((process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)), seconds: Number(wall.toFixed(1)), readingsSpooled: (st.lastSeq ?? -1) + 1, spoolDepth: st.depth, lastAckSeq: st.lastAckSeq })}\n`);
  await agent.stop();
  process.exit(0);
}

void main();
