/**
 * bench:scale-out-nats — the JetStream transport (issue 16) with 1, 2 and 3 ingest instances:
 * pre-signed readings of N registered devices are published over MQTT (bench/publisher.ts, a
 * child process) to a private nats-server's MQTT listener; a JetStream stream captures them and
 * K ingest processes (bench/scale-out-nats-instance.ts) pull through one durable consumer into
 * one PostgreSQL schema and ack back over MQTT. Per K, from the same run:
 *  - readings/s (first publish → last ack at the publisher);
 *  - BAL CPU µs per reading (sum over the K processes, from /proc), NATS CPU µs per reading;
 *  - the crypto ceiling (digest + recover on 2 worker threads, as bench/ingest.ts), before and after.
 * Env: BENCH_DEVICES (200), BENCH_READINGS (100 per device), BENCH_BATCH (20 per message),
 * BENCH_CONNECTIONS (10), BENCH_THREADS (1 verify worker per instance), BENCH_INSTANCES ("1,2,3"),
 * BENCH_PG_URL. Prints a table and `BENCH {json}`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Wallet } from 'ethers';
import pg from 'pg';
import { connect } from 'nats';
import { startAnvil, ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { deployAll } from '@lightnode/contracts/deploy';
import { jsonRpcProvider } from '@lightnode/contracts/connect';
import { makeDomain, recoverReadingSigner } from '@lightnode/shared/eip712';
import { createVerifyPool } from '../src/verify/pool.js';
import { jobLines, measureCeiling, presignReadings, registerBenchDevices } from './bench-kit.js';
import { procCpuUs } from './proc-cpu.js';
import { startNatsCluster } from '../test/nats/cluster.js';

const env = (k: string, d: number): number => (process.env[k] ? Number(process.env[k]) : d);
const DEVICES = env('BENCH_DEVICES', 200);
const PER_DEVICE = env('BENCH_READINGS', 100);
const BATCH = env('BENCH_BATCH', 20);
const CONNECTIONS = env('BENCH_CONNECTIONS', 10);
const THREADS = env('BENCH_THREADS', 1);
const INSTANCES = (process.env.BENCH_INSTANCES ?? '1,2,3').split(',').map(Number);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOTAL = DEVICES * PER_DEVICE;
const say = (s: string): void => { process.stdout.write(`${s}\n`); };
const dir = mkdtempSync(join(tmpdir(), 'bal-bench-nats-'));

const once = <T>(c: ChildProcess, kind: string): Promise<T> => new Promise((res, rej) => {
  const on = (m: { kind: string }): void => { if (m.kind === kind) { c.off('message', on); res(m as T); } else if (m.kind === 'timeout') rej(new Error(`timeout: ${JSON.stringify(m)}`)); };
  c.on('message', on);
  c.once('exit', (code) => rej(new Error(`child exited ${code} before ${kind}`)));
});

const anvil = await startAnvil();
const nats = await startNatsCluster({ accounts: [] }); // no accounts: anonymous (bench only)
try {
  const admin = new Wallet(ANVIL_PRIVATE_KEYS[0], jsonRpcProvider(anvil.rpcUrl, anvil.chainId));
  const dep = await deployAll(admin);
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  const devices = await registerBenchDevices(admin, dep.podRegistry, DEVICES, 'IT001E', 20_000_000);
  const ts0 = (await admin.provider!.getBlock('latest'))!.timestamp * 1000 + 1000;
  const byDevice = presignReadings(domain, devices, 0, PER_DEVICE, ts0);
  if (recoverReadingSigner(domain, byDevice[0]![0]!) !== devices[0]!.address.toLowerCase()) throw new Error('bench signer mismatch');
  const jobs = jobLines(byDevice, BATCH);
  const jobsPath = join(dir, 'jobs.jsonl');
  writeFileSync(jobsPath, jobs.join('\n'));
  say(`setup: ${DEVICES} devices, ${TOTAL} readings in ${jobs.length} messages of ${BATCH}; nats-server ${nats.nodes[0]!.url} (MQTT ${nats.nodes[0]!.mqttUrl})`);

  const ceilingPool = await createVerifyPool({ domain, threads: 2 });
  const sample = byDevice.slice(0, 40).flat().slice(0, 2000);
  await ceilingPool.ceiling(sample, 1);
  const ceiling = () => measureCeiling(ceilingPool, sample, 8);
  const ceilingBefore = await ceiling();
  const natsPid = nats.nodes[0]!.pid()!;
  const nc = await connect({ servers: nats.servers });
  const rows: Record<string, number>[] = [];
  for (const k of INSTANCES) {
    const schema = `bal_bench_nats_${k}_${Date.now().toString(36)}`;
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete('LN_READINGS').catch(() => {}); // a fresh stream and consumer per run
    // One at a time: the first creates the schema (two at once race in PostgreSQL).
    const children: ChildProcess[] = [];
    for (let i = 0; i < k; i++) {
      const c = fork(fileURLToPath(new URL('./scale-out-nats-instance.ts', import.meta.url)), [JSON.stringify({
        id: `bench-${k}-${i}`, rpcUrl: anvil.rpcUrl, chainId: anvil.chainId, podRegistry: dep.podRegistry, deployBlock: dep.deployBlock, pgUrl: PG_URL, schema,
        natsUrl: nats.servers[0], mqttUrl: nats.nodes[0]!.mqttUrl, threads: THREADS,
      })], { execArgv: ['--import', 'tsx'] });
      children.push(c);
      await once(c, 'ready');
    }
    const pub = fork(fileURLToPath(new URL('./publisher.ts', import.meta.url)), [nats.nodes[0]!.mqttUrl, jobsPath, String(CONNECTIONS), String(TOTAL)], { execArgv: ['--import', 'tsx'] });
    await once(pub, 'ready');
    const bal0 = children.reduce((n, c) => n + procCpuUs(c.pid!), 0);
    const nats0 = procCpuUs(natsPid);
    pub.send('go');
    const r = await once<{ ms: number; acked: number; rejected: number; cpuUs: number }>(pub, 'done');
    const balUs = children.reduce((n, c) => n + procCpuUs(c.pid!), 0) - bal0;
    const natsUs = procCpuUs(natsPid) - nats0;
    const load = loadavg()[0]!;
    await Promise.all(children.map(async (c) => { const s = once(c, 'stopped'); c.send('stop'); await s; }));
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    const stored = Number((await db.query(`SELECT count(*) AS n FROM ${schema}.readings`)).rows[0].n);
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
    if (stored !== TOTAL || r.rejected !== 0) throw new Error(`bench integrity (${k} instances): stored ${stored}/${TOTAL}, rejected ${r.rejected}`);
    const row = {
      instances: k, readingsPerSec: Math.round(r.acked / (r.ms / 1000)), balCpuUsPerReading: Number((balUs / r.acked).toFixed(1)),
      natsCpuUsPerReading: Number((natsUs / r.acked).toFixed(1)), publisherCpuUsPerReading: Number((r.cpuUs / r.acked).toFixed(1)), seconds: Number((r.ms / 1000).toFixed(2)), loadAvg1m: Number(load.toFixed(2)),
    };
    rows.push(row);
    say(`${k} instance(s): ${row.readingsPerSec} readings/s, BAL ${row.balCpuUsPerReading} µs CPU/reading (all ${k}), NATS ${row.natsCpuUsPerReading} µs/reading, publisher ${row.publisherCpuUsPerReading} µs/reading, ${row.seconds} s, load ${row.loadAvg1m}`);
  }
  const ceilingAfter = await ceiling();
  await nc.close();
  await ceilingPool.close();
  const ceil = { perSec: Math.round((ceilingBefore.perSec + ceilingAfter.perSec) / 2), cpuUsPerReading: Number(((ceilingBefore.cpuUsPerReading + ceilingAfter.cpuUsPerReading) / 2).toFixed(1)) };
  say(`ceiling: ${ceil.perSec} readings/s digest+recover on 2 threads (${ceil.cpuUsPerReading} µs CPU/reading; before/after ${Math.round(ceilingBefore.perSec)}/${Math.round(ceilingAfter.perSec)}); load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${cpus().length} CPUs`);
  say('');
  say('| ingest instances | readings/s | BAL CPU µs/reading | NATS CPU µs/reading | × ceiling (wall) |');
  say('|---|---|---|---|---|');
  for (const r of rows) say(`| ${r.instances} | ${r.readingsPerSec} | ${r.balCpuUsPerReading} | ${r.natsCpuUsPerReading} | ${(r.readingsPerSec! / ceil.perSec).toFixed(2)} |`);
  say(`BENCH ${JSON.stringify({ bench: 'scale-out-nats', readings: TOTAL, devices: DEVICES, batch: BATCH, threadsPerInstance: THREADS, rows, ceiling: ceil, cpus: cpus().length })}`);
} finally {
  await nats.stop();
  await anvil.stop();
  rmSync(dir, { recursive: true, force: true });
}
// Everything above is closed, yet a handle (not tracked down: the nats client's or a child's)
// kept the process alive for minutes after the table: a bench ends when it has printed.
process.exit(process.exitCode ?? 0);
