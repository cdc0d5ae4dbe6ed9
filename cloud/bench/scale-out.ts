/**
 * bench:scale-out — 1, 2 and 3 ingest instances (`bal run --roles ingest`, real processes, one
 * PostgreSQL schema) sharing the readings through a transport (BENCH_TRANSPORT; `mosquitto`:
 * Mosquitto `$share/ingest/…`, `ingest.shareGroup`), on this machine. Per row, from the same run:
 *  - readings/s verified + stored + acked (first publish → last ack), pre-signed readings of
 *    BENCH_DEVICES devices replayed at full speed by bench/publisher.ts in a child process;
 *  - BAL CPU µs per reading: all instances, all their threads (/proc/<pid>/stat); and the same
 *    without the instances' idle CPU (sampled BENCH_IDLE_MS before the row: registry polling,
 *    timers), which otherwise dominates a short row spread over several instances;
 *  - broker CPU µs per reading (/proc of the broker process);
 *  - the crypto ceiling: digest + signer recovery alone on 2 verify threads of this process, no
 *    I/O (bench-kit.ts `measureCeiling`, before and after the row, mean), as readings/s and CPU µs
 *    per reading — what the machine could verify if it did nothing else.
 * The devices' signing is not measured (native signer, before each row). The broker is open
 * (no accounts, no ACL, like bench/ingest.ts's), so a few publisher connections can replay every
 * device. Each row uses new seqs of the same devices. The 1-minute load average is printed per row.
 *
 * Env: BENCH_TRANSPORT (mosquitto), BENCH_INSTANCES (1,2,3), BENCH_DEVICES (500), BENCH_READINGS
 * (40 per device per row), BENCH_BATCH (10 readings per MQTT message), BENCH_CONNECTIONS (10),
 * BENCH_THREADS (verify threads per instance, 1), BENCH_ACKS (cumulative | per-reading), BENCH_IDLE_MS (3000).
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { makeDomain } from '@lightnode/shared/eip712';
import { hexToBytes, type Hex } from '@lightnode/shared/hex';
import { createVerifyPool } from '../src/verify/pool.js';
import { ScaleOutRig, PG_URL, type Transport } from '../test/scale-out/rig.js';
import { mosquittoShared } from '../test/scale-out/mosquitto-transport.js';
import { jobLines, measureCeiling, presignReadings } from './bench-kit.js';
import { procCpuUs } from './proc-cpu.js';

const env = (k: string, d: number): number => Number(process.env[k] ?? d);
const DEVICES = env('BENCH_DEVICES', 500);
const PER = env('BENCH_READINGS', 40);
const BATCH = env('BENCH_BATCH', 10);
const CONNECTIONS = env('BENCH_CONNECTIONS', 10);
const THREADS = env('BENCH_THREADS', 1);
const ACKS = process.env.BENCH_ACKS === 'per-reading' ? 'per-reading' : 'cumulative';
const INSTANCES = (process.env.BENCH_INSTANCES ?? '1,2,3').split(',').map(Number);
/** How long the instances' idle CPU is sampled before each row, ms. */
const IDLE_MS = env('BENCH_IDLE_MS', 3000);
/** Transports by name; NATS JetStream plugs in here. */
const TRANSPORTS: Record<string, () => Transport> = {
  mosquitto: () => mosquittoShared({ extraConf: ['max_queued_messages 100000', 'max_inflight_messages 0'] }),
};
const transportName = process.env.BENCH_TRANSPORT ?? 'mosquitto';
const makeTransport = TRANSPORTS[transportName];
if (!makeTransport) throw new Error(`BENCH_TRANSPORT: one of ${Object.keys(TRANSPORTS).join(', ')}`);
const say = (s: string): void => { process.stdout.write(`${s}\n`); };

interface Row {
  instances: number; readings: number; perSec: number; balCpuUsPerReading: number; balNetCpuUsPerReading: number; idleCpuPercent: number; brokerCpuUsPerReading: number;
  ceilingPerSec: number; ceilingCpuUsPerReading: number; wallRatio: number; cpuRatio: number; perInstance: number[]; load1m: number;
}

const rig = await ScaleOutRig.start({ transport: makeTransport(), devices: DEVICES, open: true, ingest: { verifyThreads: THREADS, ackMode: ACKS }, log: say });
const rows: Row[] = [];
try {
  const dep = rig.chain.deployment;
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  const devices = rig.devices.map((d) => ({ pod: d.pod, key: hexToBytes(d.secret as Hex) }));
  const pool = await createVerifyPool({ domain, threads: 2 });
  const block = await rig.chain.provider.getBlock('latest');
  const ts0 = block!.timestamp * 1000 + 1000;
  const counter = new pg.Client({ connectionString: PG_URL });
  await counter.connect();
  const stored = async (): Promise<number> => Number((await counter.query(`SELECT count(*)::int AS n FROM ${rig.schema}.readings`)).rows[0].n);

  for (const [r, k] of INSTANCES.entries()) {
    const byDevice = presignReadings(domain, devices, r * PER, PER, ts0);
    const total = DEVICES * PER;
    const jobsPath = join(rig.dir, `jobs-${r}.jsonl`);
    writeFileSync(jobsPath, jobLines(byDevice, BATCH).join('\n'));
    const ids = Array.from({ length: k }, (_, i) => `bench-${k}-${i + 1}`);
    const procs = await Promise.all(ids.map((id) => rig.spawn(id, ['ingest'])));
    const before = await stored();
    const sample = byDevice.slice(0, 50).flat().slice(0, 2000);
    const rounds = Math.max(1, Math.round(16_000 / sample.length));
    await pool.ceiling(sample, 1); // warm-up
    const ceilingBefore = await measureCeiling(pool, sample, rounds);

    // Idle CPU of the instances (registry polling, timers, GC), so the per-reading figure can be
    // given without it: a short row on several instances is otherwise dominated by it.
    const pidsIdle = procs.map((p) => p.proc.child.pid!);
    const idle0 = pidsIdle.map(procCpuUs);
    const idleT0 = performance.now();
    await new Promise((res) => setTimeout(res, IDLE_MS));
    const idleUsPerSec = pidsIdle.reduce((a, pid, i) => a + procCpuUs(pid) - idle0[i]!, 0) / ((performance.now() - idleT0) / 1000);

    const pub = fork(fileURLToPath(new URL('./publisher.ts', import.meta.url)), [[rig.broker.deviceUrl].flat()[0]!, jobsPath, String(CONNECTIONS), String(total)], { execArgv: ['--import', 'tsx'] });
    const pids = procs.map((p) => p.proc.child.pid!);
    let cpu0: number[] = [];
    let broker0 = 0;
    const result = await new Promise<{ ms: number; acked: number; rejected: number }>((resolve, reject) => {
      pub.on('message', (m: { kind: string; ms: number; acked: number; rejected: number }) => {
        if (m.kind === 'ready') { cpu0 = pids.map(procCpuUs); broker0 = rig.broker.cpuUs(); pub.send('go'); }
        else if (m.kind === 'done') resolve(m);
        else if (m.kind === 'timeout') reject(new Error(`bench timed out: ${m.acked}/${total} acked`));
      });
      pub.on('error', reject);
      pub.on('exit', (code) => { if (code) reject(new Error(`publisher exited with ${code}`)); });
    });
    const perInstanceUs = pids.map((pid, i) => procCpuUs(pid) - cpu0[i]!);
    const brokerUs = rig.broker.cpuUs() - broker0;
    const load1m = loadavg()[0]!;
    const ceilingAfter = await measureCeiling(pool, sample, rounds);
    const got = (await stored()) - before;
    for (const id of ids) await rig.terminate(id);
    if (got !== total || result.rejected !== 0) throw new Error(`bench integrity (${k} instances): stored ${got}/${total}, rejected ${result.rejected}`);
    const balUs = perInstanceUs.reduce((a, b) => a + b, 0);
    const netUs = Math.max(0, balUs - idleUsPerSec * (result.ms / 1000));
    const ceilingPerSec = (ceilingBefore.perSec + ceilingAfter.perSec) / 2;
    const ceilingCpu = (ceilingBefore.cpuUsPerReading + ceilingAfter.cpuUsPerReading) / 2;
    const perSec = result.acked / (result.ms / 1000);
    const row: Row = {
      instances: k, readings: total, perSec: Math.round(perSec), balCpuUsPerReading: Number((balUs / total).toFixed(1)),
      balNetCpuUsPerReading: Number((netUs / total).toFixed(1)), idleCpuPercent: Number((idleUsPerSec / 1e4).toFixed(1)), brokerCpuUsPerReading: Number((brokerUs / total).toFixed(1)),
      ceilingPerSec: Math.round(ceilingPerSec), ceilingCpuUsPerReading: Number(ceilingCpu.toFixed(1)), wallRatio: Number((perSec / ceilingPerSec).toFixed(2)),
      cpuRatio: Number((ceilingCpu / (balUs / total)).toFixed(2)), perInstance: perInstanceUs.map((u) => Number((u / total).toFixed(1))), load1m: Number(load1m.toFixed(2)),
    };
    rows.push(row);
    say(`row: ${JSON.stringify(row)}`);
  }
  await counter.end();
  await pool.close();
} finally {
  await rig.stop();
}

say('');
say(`bench:scale-out — ${transportName} ($share), ${DEVICES} devices, ${PER} readings each per row, batches of ${BATCH}, ${ACKS} acks, ${THREADS} verify thread(s) per instance, PostgreSQL, ${cpus().length} CPUs`);
say('| ingest instances | readings/s | BAL CPU µs/reading (all instances) | per instance | without idle CPU | idle CPU % (all) | broker CPU µs/reading | ceiling readings/s (2 threads) | ceiling CPU µs/reading | readings/s ÷ ceiling | ceiling CPU ÷ BAL CPU | load 1 min |');
say('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  say(`| ${r.instances} | ${r.perSec} | ${r.balCpuUsPerReading} | ${r.perInstance.join(' / ')} | ${r.balNetCpuUsPerReading} | ${r.idleCpuPercent} | ${r.brokerCpuUsPerReading} | ${r.ceilingPerSec} | ${r.ceilingCpuUsPerReading} | ${r.wallRatio} | ${r.cpuRatio} | ${r.load1m} |`);
}
say(`BENCH ${JSON.stringify({ bench: 'scale-out', transport: transportName, devices: DEVICES, perDevice: PER, batch: BATCH, acks: ACKS, threads: THREADS, rows })}`);
