/**
 * bench:ingest — pre-signed readings of N registered devices replayed over MQTT at full speed
 * into one BAL (embedded aedes + verify pool + registry mirror + SQLite store + ingest, all in
 * this process; the publishers run in a child process on the same 2-core machine).
 *
 * Prints, from the same run:
 *  - ingest: readings/s verified + stored + acked (first publish → last ack);
 *  - ceiling: digest + signer recovery on the pool's 2 worker threads, no I/O;
 *  - naive: ethers verifyTypedData + one autocommitted INSERT per reading (the seed's design),
 *    compared per core (CPU µs per reading), since it runs on one thread and the BAL on several;
 *  - cpu: CPU µs per reading spent by the BAL process (all threads) and by the ceiling, with
 *    the projection to 2 cores given to the BAL alone — a figure the shared machine's load
 *    distorts far less than wall-clock rates;
 * and one machine-readable line `BENCH {json}`.
 *
 * Env: BENCH_DEVICES (1000), BENCH_READINGS (50 per device), BENCH_BATCH (50 readings per
 * MQTT message), BENCH_CONNECTIONS (10 publisher connections), BENCH_THREADS (2 verify workers),
 * BENCH_NAIVE (1000 readings for the baseline), BENCH_ACKS (per-reading | cumulative),
 * BENCH_GATHER_MS (verify pool micro-batching window, 2), BENCH_PROFILE (file: CPU profile of
 * the main thread during the replay), BENCH_BROKER (aedes | mosquitto: a local
 * `mosquitto` binary started on a free port; its CPU is reported separately), BENCH_STORE
 * (sqlite | postgres, BENCH_PG_URL default postgres://postgres@127.0.0.1:5432/test, own schema),
 * BENCH_WARMUP (5 readings per device first, not measured), BENCH_QOS (1: the BAL's readings
 * subscription QoS), BENCH_MAX_IN_FLIGHT (64: ingest.maxInFlightBatches).
 */
import { Session } from 'node:inspector';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import Database from 'better-sqlite3';
import { Wallet, verifyTypedData } from 'ethers';
import { startAnvil, ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { deployAll } from '@lightnode/contracts/deploy';
import { jsonRpcProvider } from '@lightnode/contracts/connect';
import { makeDomain, READING_TYPES, recoverReadingSigner } from '@lightnode/shared/eip712';
import type { SignedReading } from '@lightnode/shared/reading';
import pg from 'pg';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { openPostgresStore } from '../src/store/postgres-store.js';
import { createLogger } from '../src/log.js';
import { MetricsRegistry } from '../src/metrics.js';
import { createVerifyPool } from '../src/verify/pool.js';
import { keccakImpl } from '../src/verify/keccak.js';
import { startRegistryMirror } from '../src/registry/mirror.js';
import { startIngest } from '../src/ingest/ingest.js';
import { mainThreadCpuUs, procCpuUs, threadCpuUs, threadIds } from './proc-cpu.js';
import { jobLines, measureCeiling, presignReadings, registerBenchDevices } from './bench-kit.js';

const env = (k: string, d: number) => Number(process.env[k] ?? d);
const DEVICES = env('BENCH_DEVICES', 1000);
const PER_DEVICE = env('BENCH_READINGS', 50);
const BATCH = env('BENCH_BATCH', 50);
const CONNECTIONS = env('BENCH_CONNECTIONS', 10);
const THREADS = env('BENCH_THREADS', 2);
const NAIVE = env('BENCH_NAIVE', 1000);
/** `aedes` (embedded default, in the BAL process) or `mosquitto` (external, production). */
const BROKER = process.env.BENCH_BROKER === 'mosquitto' ? 'mosquitto' : 'aedes';
/** `sqlite` (embedded default) or `postgres` (BENCH_PG_URL, default the local test database). */
const STORE = process.env.BENCH_STORE === 'postgres' ? 'postgres' : 'sqlite';
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOTAL = DEVICES * PER_DEVICE;
/** Readings per device replayed first and not measured (JIT, caches, WAL: the steady state is measured, as the ceiling's is after its warm-up). */
const WARMUP = env('BENCH_WARMUP', 5);
/** QoS of the BAL's readings subscription (ingest.readingsQos); default 1. */
const READINGS_QOS = process.env.BENCH_QOS === '0' ? 0 : 1;
/** `per-reading` (v 1 ack per message) or `cumulative` (v 2 ack per PoD per window). */
const ACKS = process.env.BENCH_ACKS === 'cumulative' ? 'cumulative' : 'per-reading';

const log = createLogger({ level: 'warn' });
const dir = mkdtempSync(join(tmpdir(), 'bal-bench-'));
const say = (s: string) => process.stdout.write(`${s}\n`);

interface BenchBroker { url: string; cpuUs(): number; close(): Promise<void> }

async function startAedes(): Promise<BenchBroker> {
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cpuUs: () => 0, // inside this process: counted in the BAL's CPU
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}

async function startMosquitto(workDir: string): Promise<BenchBroker> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const conf = join(workDir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\nmax_inflight_messages 0\n`);
  const child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  process.on('exit', () => child.kill('SIGKILL'));
  const url = `mqtt://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { await (await mqtt.connectAsync(url, { reconnectPeriod: 0 })).endAsync(); break; } catch (err) {
      if (i > 100 || child.exitCode !== null) throw new Error(`mosquitto did not start: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    cpuUs: () => procCpuUs(child.pid!),
    close: async () => { child.kill('SIGTERM'); if (child.exitCode === null) await new Promise((r) => child.once('exit', r)); },
  };
}

/** BENCH_PROFILE=file: a V8 CPU profile of the BAL's main thread during the replay only. */
function mainThreadProfiler(file: string) {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) => new Promise<any>((res, rej) => session.post(method, params ?? {}, (e, r) => (e ? rej(e) : res(r))));
  return {
    start: async () => { await post('Profiler.enable'); await post('Profiler.start'); },
    stop: async () => { const r = await post('Profiler.stop'); writeFileSync(file, JSON.stringify(r.profile)); session.disconnect(); },
  };
}

const anvil = await startAnvil();
try {
  // ---------------------------------------------------------------- chain + devices
  const admin = new Wallet(ANVIL_PRIVATE_KEYS[0], jsonRpcProvider(anvil.rpcUrl, anvil.chainId));
  const dep = await deployAll(admin);
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  const devices = await registerBenchDevices(admin, dep.podRegistry, DEVICES, 'IT001E', 10_000_000);
  const regBlock = await admin.provider!.getBlock('latest');
  // Readings must postdate the registration and stay within the future-skew window.
  const ts0 = regBlock!.timestamp * 1000 + 1000;

  // ---------------------------------------------------------------- pre-signed readings (native signer, bench only)
  const tSign = performance.now();
  const byDevice: SignedReading[][] = presignReadings(domain, devices, 0, WARMUP + PER_DEVICE, ts0);
  if (recoverReadingSigner(domain, byDevice[0]![0]!) !== devices[0]!.address.toLowerCase()) throw new Error('bench signer mismatch');
  say(`setup: ${DEVICES} devices registered, ${TOTAL} readings pre-signed in ${((performance.now() - tSign) / 1000).toFixed(1)} s`);
  /** Messages of seqs [from, to) of every device, `BATCH` readings each, device after device per round. */
  const writeJobs = (file: string, from: number, to: number): string => {
    writeFileSync(join(dir, file), jobLines(byDevice.map((rs) => rs.slice(from, to)), BATCH).join('\n'));
    return join(dir, file);
  };
  const warmPath = writeJobs('warmup.jsonl', 0, WARMUP);
  const jobsPath = writeJobs('jobs.jsonl', WARMUP, WARMUP + PER_DEVICE);

  // ---------------------------------------------------------------- the BAL
  const broker = BROKER === 'mosquitto' ? await startMosquitto(dir) : await startAedes();
  const url = broker.url;
  const metrics = new MetricsRegistry();
  const pgSchema = `bal_bench_${Date.now().toString(36)}`;
  const store = STORE === 'postgres' ? await openPostgresStore({ url: PG_URL, schema: pgSchema }) : openSqliteStore({ path: join(dir, 'bal.db') });
  // The threads that appear while the pool starts are its workers: their CPU is reported apart.
  const tasksBeforePool = new Set(threadIds());
  const pool = await createVerifyPool({ domain, threads: THREADS, gatherMs: env('BENCH_GATHER_MS', 2) });
  const workerTids = threadIds().filter((t) => !tasksBeforePool.has(t));
  const workersCpuUs = (): number => workerTids.reduce((a, t) => a + threadCpuUs(t), 0);
  const mirror = await startRegistryMirror({ provider: jsonRpcProvider(anvil.rpcUrl, anvil.chainId), podRegistry: dep.podRegistry, fromBlock: dep.deployBlock, log, metrics });
  const balClient = await mqtt.connectAsync(url, { clientId: 'bal' });
  const ingest = await startIngest({ mqtt: balClient, store, mirror, pool, metrics, log, config: { ackMode: ACKS, readingsQos: READINGS_QOS, maxInFlightBatches: env('BENCH_MAX_IN_FLIGHT', 64) } });

  // Ceiling first, on an idle machine: digest + recover on the pool's threads.
  const sample = byDevice.slice(0, 40).flat().slice(0, 2000);
  const rounds = Math.max(1, Math.round(16_000 / sample.length));
  await pool.ceiling(sample, 1); // warm-up
  // Wall rate on 2 threads, and CPU µs per reading (process-wide: both workers + main).
  const ceilingBefore = await measureCeiling(pool, sample, rounds);

  // ---------------------------------------------------------------- replay
  const pub = fork(fileURLToPath(new URL('./publisher.ts', import.meta.url)), [url, jobsPath, String(CONNECTIONS), String(TOTAL), '0', warmPath, String(DEVICES * WARMUP)], { execArgv: ['--import', 'tsx'] });
  const profiler = process.env.BENCH_PROFILE ? mainThreadProfiler(process.env.BENCH_PROFILE) : null;
  let balCpu0 = process.cpuUsage();
  let brokerCpu0 = 0;
  let mainCpu0 = 0;
  let workersCpu0 = 0;
  const result = await new Promise<{ ms: number; acked: number; rejected: number; ackMessages: number; cpuUs: number }>((resolve, reject) => {
    pub.on('message', (m: { kind: string; ms: number; acked: number; rejected: number; ackMessages: number; cpuUs: number }) => {
      if (m.kind === 'ready') pub.send(WARMUP > 0 ? 'warmup' : 'go');
      if ((m.kind === 'ready' && WARMUP === 0) || m.kind === 'warm') { balCpu0 = process.cpuUsage(); mainCpu0 = mainThreadCpuUs(); workersCpu0 = workersCpuUs(); brokerCpu0 = broker.cpuUs(); void profiler?.start(); pub.send('go'); }
      else if (m.kind === 'done') { void profiler?.stop(); resolve(m); }
      else if (m.kind === 'timeout') reject(new Error(`bench timed out: ${m.acked}/${TOTAL} acked`));
    });
    pub.on('error', reject);
    pub.on('exit', (code) => { if (code) reject(new Error(`publisher exited with ${code}`)); });
  });
  const balCpu = process.cpuUsage(balCpu0);
  const mainCpuUs = mainThreadCpuUs() - mainCpu0;
  const workersCpuUsSpent = workersCpuUs() - workersCpu0;
  const brokerCpuUs = broker.cpuUs() - brokerCpu0;
  const ingestPerSec = result.acked / (result.ms / 1000);
  const ingestCpuUsPerReading = (balCpu.user + balCpu.system) / result.acked;
  // The machine is shared: measure the ceiling before and after the replay and use the mean.
  const ceilingAfter = await measureCeiling(pool, sample, rounds);
  const ceilingPerSec = (ceilingBefore.perSec + ceilingAfter.perSec) / 2;
  const ceilingCpuUsPerReading = (ceilingBefore.cpuUsPerReading + ceilingAfter.cpuUsPerReading) / 2;
  const counts = await store.counts();
  await ingest.stop();

  // ---------------------------------------------------------------- same-conditions ceiling
  // The crypto ceiling above runs alone; the BAL shares the 2 cores with the publisher and the
  // broker. So also: the same publisher replays the same messages through the same broker to a
  // minimal consumer (subscription at the BAL's QoS, parse + digest + recover on the SAME pool
  // threads; no store, no registry, no ack): the fair wall-clock bound for this machine.
  const consumer = await mqtt.connectAsync(url, { clientId: 'bench-ceiling-consumer' });
  const sameRun = await new Promise<{ ms: number; cpuUs: number; mainUs: number; workersUs: number; verified: number }>((resolve, reject) => {
    let verified = 0;
    let t0 = 0;
    let cpu0 = process.cpuUsage();
    let main0 = 0;
    let workers0 = 0;
    consumer.on('message', (topic, payload) => {
      const pod = topic.split('/')[2]!;
      pool.verifyBatch(pod, payload).then((r) => {
        for (const it of r.items) if (it.ok) verified++;
        if (verified >= TOTAL) {
          const cpu = process.cpuUsage(cpu0);
          resolve({ ms: performance.now() - t0, cpuUs: cpu.user + cpu.system, mainUs: mainThreadCpuUs() - main0, workersUs: workersCpuUs() - workers0, verified });
        }
      }, reject);
    });
    consumer.subscribeAsync('ln/v1/+/readings', { qos: READINGS_QOS }).then(() => {
      pub.on('message', (m: { kind: string }) => { if (m.kind === 'sent' && verified < TOTAL) setTimeout(() => reject(new Error(`same-conditions ceiling: ${verified}/${TOTAL} verified`)), 30_000).unref(); });
      t0 = performance.now();
      cpu0 = process.cpuUsage();
      main0 = mainThreadCpuUs();
      workers0 = workersCpuUs();
      pub.send('replay');
    }, reject);
  });
  pub.send('end');
  await consumer.endAsync(true);
  const sameRunPerSec = sameRun.verified / (sameRun.ms / 1000);
  await balClient.endAsync(true);
  await mirror.stop();
  await pool.close();
  await store.close();
  if (STORE === 'postgres') {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try { await c.query(`DROP SCHEMA IF EXISTS ${pgSchema} CASCADE`); } finally { await c.end(); }
  }
  await broker.close();
  if (counts.readings !== TOTAL + DEVICES * WARMUP || result.rejected !== 0) throw new Error(`bench integrity: stored ${counts.readings}/${TOTAL + DEVICES * WARMUP}, rejected ${result.rejected}`);

  // ---------------------------------------------------------------- naive baseline (same run)
  const db = new Database(join(dir, 'naive.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE readings (id INTEGER PRIMARY KEY, device TEXT, seq INTEGER, body TEXT, UNIQUE (device, seq))');
  const insert = db.prepare('INSERT INTO readings (device, seq, body) VALUES (?, ?, ?)');
  const naiveSet = byDevice.flat().slice(0, NAIVE);
  const types = { Reading: [...READING_TYPES.Reading], Measurement: [...READING_TYPES.Measurement] };
  const tn = performance.now();
  const naiveCpu0 = process.cpuUsage();
  for (const r of naiveSet) {
    const { signature, ...reading } = r;
    const signer = verifyTypedData(domain, types, reading, signature).toLowerCase();
    insert.run(signer, r.seq, JSON.stringify(r));
  }
  const naivePerSec = naiveSet.length / ((performance.now() - tn) / 1000);
  const naiveCpu = process.cpuUsage(naiveCpu0);
  const naiveCpuUsPerReading = (naiveCpu.user + naiveCpu.system) / naiveSet.length;
  db.close();

  const out = {
    bench: 'ingest', readings: TOTAL, devices: DEVICES, batch: BATCH, connections: CONNECTIONS, threads: THREADS,
    secp: pool.secp, keccak: keccakImpl, store: STORE,
    ingestPerSec: Math.round(ingestPerSec), ceilingPerSec: Math.round(ceilingPerSec),
    ratioToCeiling: Number((ingestPerSec / ceilingPerSec).toFixed(2)), naivePerSec: Math.round(naivePerSec),
    // Fair comparison (issue 15): the naive loop runs on one thread, the BAL on THREADS workers +
    // main, so compare CPU time per reading (per core), not wall rates.
    naiveCpuUsPerReading: Number(naiveCpuUsPerReading.toFixed(1)),
    speedupVsNaivePerCore: Number((naiveCpuUsPerReading / ingestCpuUsPerReading).toFixed(1)),
    speedupVsNaiveWall: Number((ingestPerSec / naivePerSec).toFixed(1)),
    ceilingBefore: Math.round(ceilingBefore.perSec), ceilingAfter: Math.round(ceilingAfter.perSec), loadAvg1m: Number(loadavg()[0]!.toFixed(2)), cpus: cpus().length,
    // Load-independent view: CPU time the BAL process spent per reading (all its threads) vs the
    // ceiling's, and what that projects to on 2 cores given to the BAL alone.
    ingestCpuUsPerReading: Number(ingestCpuUsPerReading.toFixed(1)), ceilingCpuUsPerReading: Number(ceilingCpuUsPerReading.toFixed(1)),
    publisherCpuUsPerReading: Number((result.cpuUs / result.acked).toFixed(1)), broker: BROKER,
    externalBrokerCpuUsPerReading: BROKER === 'mosquitto' ? Number((brokerCpuUs / result.acked).toFixed(1)) : null,
    projectedIngestPerSec2Cores: Math.round(2e6 / ingestCpuUsPerReading), projectedCeilingPerSec2Cores: Math.round(2e6 / ceilingCpuUsPerReading),
    cpuRatioToCeiling: Number((ceilingCpuUsPerReading / ingestCpuUsPerReading).toFixed(2)),
    // The fair wall-clock bound: same publisher, broker and pool threads, consumer doing only parse + digest + recover.
    sameConditionsCeilingPerSec: Math.round(sameRunPerSec), ratioToSameConditionsCeiling: Number((ingestPerSec / sameRunPerSec).toFixed(2)),
    sameConditionsCeilingCpuUsPerReading: Number((sameRun.cpuUs / sameRun.verified).toFixed(1)),
    sameConditionsMainUsPerReading: Number((sameRun.mainUs / sameRun.verified).toFixed(1)), sameConditionsWorkersUsPerReading: Number((sameRun.workersUs / sameRun.verified).toFixed(1)),
    warmupReadings: DEVICES * WARMUP, readingsQos: READINGS_QOS,
    acks: ACKS, ackMessages: result.ackMessages, mainThreadCpuUsPerReading: Number((mainCpuUs / result.acked).toFixed(1)),
    // The rest of the BAL's CPU: its verify worker threads, and the others (V8's GC and compiler
    // helpers, libuv) = total − main − workers.
    workersCpuUsPerReading: Number((workersCpuUsSpent / result.acked).toFixed(1)),
    otherThreadsCpuUsPerReading: Number(((balCpu.user + balCpu.system - mainCpuUs - workersCpuUsSpent) / result.acked).toFixed(1)),
  };
  say(`ingest  : ${out.ingestPerSec} readings/s verified+stored+acked (${TOTAL} readings after ${DEVICES * WARMUP} warm-up, batches of ${BATCH}, ${BROKER}, ${STORE}, readings QoS ${READINGS_QOS}, ${(result.ms / 1000).toFixed(2)} s)`);
  say(`ceiling : ${out.ceilingPerSec} readings/s digest+recover on ${THREADS} threads (${pool.secp} secp256k1, ${keccakImpl} keccak), alone (the issue's ceiling)`);
  say(`same-run: ${out.sameConditionsCeilingPerSec} readings/s, ${out.sameConditionsCeilingCpuUsPerReading} µs CPU/reading (main ${out.sameConditionsMainUsPerReading}, workers ${out.sameConditionsWorkersUsPerReading}): same publisher + broker → a consumer doing only parse + digest + recover on the same ${THREADS} pool threads (QoS ${READINGS_QOS}, no store, no ack); BAL wall ratio to it ${out.ratioToSameConditionsCeiling}`);
  say(`naive   : ${out.naivePerSec} readings/s on 1 thread, ${out.naiveCpuUsPerReading} µs CPU/reading (ethers verifyTypedData + one INSERT per reading)`);
  say(`ratio   : ${out.ratioToCeiling} × ceiling (wall); ${out.speedupVsNaivePerCore} × naive per core (CPU µs/reading; wall ${out.speedupVsNaiveWall} ×, 1 thread vs ${THREADS}) (ceiling before/after ${out.ceilingBefore}/${out.ceilingAfter}; load average ${out.loadAvg1m} on ${out.cpus} CPUs)`);
  say(`acks    : ${out.ackMessages} ack messages for ${TOTAL} readings (${ACKS}); BAL threads µs CPU/reading: main ${out.mainThreadCpuUsPerReading}, verify workers ${out.workersCpuUsPerReading} (${THREADS}), other ${out.otherThreadsCpuUsPerReading}`);
  say(`cpu     : BAL ${out.ingestCpuUsPerReading} µs CPU/reading (all threads) vs ceiling ${out.ceilingCpuUsPerReading} µs → projected on 2 free cores ${out.projectedIngestPerSec2Cores} vs ${out.projectedCeilingPerSec2Cores} readings/s (${out.cpuRatioToCeiling} ×); publisher ${out.publisherCpuUsPerReading} µs/reading (not counted)${out.externalBrokerCpuUsPerReading === null ? '' : `; mosquitto ${out.externalBrokerCpuUsPerReading} µs/reading (separate process, not counted)`}`);
  say(`BENCH ${JSON.stringify(out)}`);
} finally {
  await anvil.stop();
  rmSync(dir, { recursive: true, force: true });
}
