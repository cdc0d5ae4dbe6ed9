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
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Wallet } from 'ethers';
import pg from 'pg';
import { connect } from 'nats';
import { startAnvil, ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { deployAll } from '@lightnode/contracts/deploy';
import { jsonRpcProvider, podRegistryAt } from '@lightnode/contracts/connect';
import { makeDomain, recoverReadingSigner } from '@lightnode/shared/eip712';
import type { Reading, SignedReading } from '@lightnode/shared/reading';
import { createVerifyPool } from '../src/verify/pool.js';
import { ingestEip712 } from '../src/verify/digest.js';
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
const secp = createRequire(import.meta.url)('secp256k1/bindings') as { ecdsaSign(msg32: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number } };
const dir = mkdtempSync(join(tmpdir(), 'bal-bench-nats-'));

/** CPU µs a process has used (utime + stime from /proc; clock ticks of 10 ms). */
function procCpuUs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) * 10_000;
}
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
  const devices = Array.from({ length: DEVICES }, (_, i) => {
    const w = Wallet.createRandom();
    return { pod: `IT001E${String(20_000_000 + i).padStart(8, '0')}`, key: Buffer.from(w.privateKey.slice(2), 'hex'), address: w.address };
  });
  const reg = podRegistryAt(dep.podRegistry, admin);
  let nonce = await admin.getNonce('pending');
  const txs = [];
  for (let i = 0; i < DEVICES; i += 200) {
    const chunk = devices.slice(i, i + 200);
    txs.push(await reg.getFunction('registerBatch')(chunk.map((d) => d.pod), chunk.map((d) => d.address), { nonce: nonce++ }));
  }
  await Promise.all(txs.map((t) => t.wait()));
  const ts0 = (await admin.provider!.getBlock('latest'))!.timestamp * 1000 + 1000;
  const sep = ingestEip712.domainSeparator(domain);
  const byDevice: SignedReading[][] = devices.map((d) => Array.from({ length: PER_DEVICE }, (_, s) => {
    const r: Reading = { pod: d.pod, meter: 'sdm630', seq: s, timestamp: ts0 + s * 20, source: 'modbus', values: [
      { quantity: '1-0:1.8.0', value: 12_345_678 + s * 7, scale: 0, unit: 'Wh' }, { quantity: '1-0:1.7.0', value: 1500 + (s % 100), scale: 0, unit: 'W' },
      { quantity: '1-0:32.7.0', value: 2301, scale: -1, unit: 'V' }, { quantity: '1-0:31.7.0', value: 652, scale: -2, unit: 'A' },
    ] };
    const { signature, recid } = secp.ecdsaSign(ingestEip712.readingDigestFor(sep, r), d.key);
    return { ...r, signature: `0x${Buffer.from(signature).toString('hex')}${(27 + recid).toString(16)}` as `0x${string}` };
  }));
  if (recoverReadingSigner(domain, byDevice[0]![0]!) !== devices[0]!.address.toLowerCase()) throw new Error('bench signer mismatch');
  const jobs: string[] = [];
  for (let s = 0; s < PER_DEVICE; s += BATCH) {
    for (let di = 0; di < DEVICES; di++) jobs.push(JSON.stringify({ topic: `ln/v1/${devices[di]!.pod}/readings`, payload: JSON.stringify({ v: 1, readings: byDevice[di]!.slice(s, s + BATCH) }) }));
  }
  const jobsPath = join(dir, 'jobs.jsonl');
  writeFileSync(jobsPath, jobs.join('\n'));
  say(`setup: ${DEVICES} devices, ${TOTAL} readings in ${jobs.length} messages of ${BATCH}; nats-server ${nats.nodes[0]!.url} (MQTT ${nats.nodes[0]!.mqttUrl})`);

  const ceilingPool = await createVerifyPool({ domain, threads: 2 });
  const sample = byDevice.slice(0, 40).flat().slice(0, 2000);
  await ceilingPool.ceiling(sample, 1);
  const ceiling = async (): Promise<{ perSec: number; cpuUs: number }> => {
    const cpu0 = process.cpuUsage();
    const c = await ceilingPool.ceiling(sample, 8);
    const cpu = process.cpuUsage(cpu0);
    return { perSec: c.verified / (c.ms / 1000), cpuUs: (cpu.user + cpu.system) / c.verified };
  };
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
  const ceil = { perSec: Math.round((ceilingBefore.perSec + ceilingAfter.perSec) / 2), cpuUsPerReading: Number(((ceilingBefore.cpuUs + ceilingAfter.cpuUs) / 2).toFixed(1)) };
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
