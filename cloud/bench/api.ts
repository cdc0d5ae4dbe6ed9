/**
 * bench:api (issue 15) — the REST API beside ingest, in ONE process as the demo runs it: embedded
 * aedes + verify pool + registry mirror + SQLite store + cumulative-ack ingest + anchorer on anvil
 * + the REST API. A publisher child replays one reading per MQTT message at BENCH_API_INGEST
 * (5,000) readings/s while an open-loop HTTP load child asks, for BENCH_API_SECONDS (10):
 *  - GET /api/readings/:id/receipt at 2,000 req/s (anchored ids) — target p99 ≤ 5 ms;
 *  - GET /api/readings?limit=100&cursor=… at 500 req/s (keyset pages) — target p99 ≤ 20 ms;
 * latencies from each request's scheduled start. Same-run baselines: the same two streams with
 * no ingest, and a Platone-style receipt that reads the certification from the chain per request
 * (`ReadingAnchor.getAnchor` over JSON-RPC + the anchor's tree rebuilt, no cache) at
 * BENCH_API_BASELINE_RATE (2,000) req/s beside ingest. Prints a table and `BENCH {json}`.
 */
import { createServer, type AddressInfo } from 'node:net';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { Wallet } from 'ethers';
import { startAnvil, ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { deployAll } from '@lightnode/contracts/deploy';
import { jsonRpcProvider, readingAnchorAt } from '@lightnode/contracts/connect';
import { registerBenchDevices } from './bench-kit.js';
import { makeDomain } from '@lightnode/shared/eip712';
import { buildMerkleTreeFlat } from '@lightnode/shared/merkle';
import { hexToBytes } from '@lightnode/shared/hex';
import type { Reading, SignedReading } from '@lightnode/shared/reading';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { createLogger } from '../src/log.js';
import { MetricsRegistry } from '../src/metrics.js';
import { createVerifyPool } from '../src/verify/pool.js';
import { ingestEip712 } from '../src/verify/digest.js';
import { startRegistryMirror } from '../src/registry/mirror.js';
import { startIngest } from '../src/ingest/ingest.js';
import { startAnchorer } from '../src/anchor/anchorer.js';
import { createApiApp } from '../src/api/app.js';
import { secretHash } from '../src/api/auth.js';

const env = (k: string, d: number) => Number(process.env[k] ?? d);
const DEVICES = env('BENCH_DEVICES', 500);
const SECONDS = env('BENCH_API_SECONDS', 10);
const INGEST_RATE = env('BENCH_API_INGEST', 5000);
const RECEIPT_RATE = env('BENCH_API_RECEIPTS', 2000);
const PAGE_RATE = env('BENCH_API_PAGES', 500);
const BASELINE_RATE = env('BENCH_API_BASELINE_RATE', 2000);
const PREFILL = env('BENCH_API_PREFILL', 20); // readings per device stored + anchored before the load
const PHASE_PER_DEVICE = Math.ceil((INGEST_RATE * SECONDS) / DEVICES); // readings per device per loaded phase
const say = (s: string) => process.stdout.write(`${s}\n`);
const log = createLogger({ level: 'warn' });
const dir = mkdtempSync(join(tmpdir(), 'bal-api-bench-'));
const secp = createRequire(import.meta.url)('secp256k1/bindings') as { ecdsaSign(m: Uint8Array, k: Uint8Array): { signature: Uint8Array; recid: number } };
const API_KEY = 'bench-api-key';

const anvil = await startAnvil();
try {
  const admin = new Wallet(ANVIL_PRIVATE_KEYS[0], jsonRpcProvider(anvil.rpcUrl, anvil.chainId));
  const dep = await deployAll(admin);
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  const devices = await registerBenchDevices(admin, dep.podRegistry, DEVICES, 'IT002E', 10_000_000);
  const ts0 = (await admin.provider!.getBlock('latest'))!.timestamp * 1000 + 1000;
  const sep = ingestEip712.domainSeparator(domain);
  const sign = (di: number, s: number): SignedReading => {
    const d = devices[di]!;
    const r: Reading = { pod: d.pod, meter: 'sdm630', seq: s, timestamp: ts0 + s * 10, source: 'modbus', values: [
      { quantity: '1-0:1.8.0', value: 12_345_678 + s * 7, scale: 0, unit: 'Wh' }, { quantity: '1-0:1.7.0', value: 1500 + (s % 100), scale: 0, unit: 'W' }] };
    const { signature, recid } = secp.ecdsaSign(ingestEip712.readingDigestFor(sep, r), d.key);
    return { ...r, signature: `0x${Buffer.from(signature).toString('hex')}${(27 + recid).toString(16)}` as `0x${string}` };
  };
  /** One reading per message, device-interleaved, seqs [from, to) of every device. */
  const jobsFile = (name: string, from: number, to: number): { path: string; count: number } => {
    const lines: string[] = [];
    for (let s = from; s < to; s++) for (let di = 0; di < DEVICES; di++) {
      lines.push(JSON.stringify({ topic: `ln/v1/${devices[di]!.pod}/readings`, payload: JSON.stringify({ v: 1, readings: [sign(di, s)] }) }));
    }
    const path = join(dir, `${name}.jsonl`);
    writeFileSync(path, lines.join('\n'));
    return { path, count: lines.length };
  };
  const prefill = jobsFile('prefill', 0, PREFILL);
  const loadA = jobsFile('load-a', PREFILL, PREFILL + PHASE_PER_DEVICE);
  const loadB = jobsFile('load-b', PREFILL + PHASE_PER_DEVICE, PREFILL + 2 * PHASE_PER_DEVICE);
  say(`setup: ${DEVICES} devices, ${prefill.count} prefill + ${loadA.count + loadB.count} load readings signed`);

  // ---------------------------------------------------------------- the BAL, one process
  const aedes = await Aedes.createBroker();
  const broker = createServer(aedes.handle);
  await new Promise<void>((r) => broker.listen(0, '127.0.0.1', () => r()));
  const url = `mqtt://127.0.0.1:${(broker.address() as AddressInfo).port}`;
  const metrics = new MetricsRegistry();
  const store = openSqliteStore({ path: join(dir, 'bal.db') });
  const provider = jsonRpcProvider(anvil.rpcUrl, anvil.chainId);
  const pool = await createVerifyPool({ domain, threads: 2 });
  const mirror = await startRegistryMirror({ provider, podRegistry: dep.podRegistry, fromBlock: dep.deployBlock, log, metrics });
  const balClient = await mqtt.connectAsync(url, { clientId: 'bal' });
  const ingest = await startIngest({ mqtt: balClient, store, mirror, pool, metrics, log, config: { ackMode: 'cumulative' } });
  const anchorer = startAnchorer({ store, signer: new Wallet(ANVIL_PRIVATE_KEYS[0], provider), readingAnchor: dep.readingAnchor, metrics, log, config: { windowMs: 1000, pollIntervalMs: 250 } });
  const app = createApiApp({ store, deployment: { chainId: dep.chainId, podRegistry: dep.podRegistry, readingAnchor: dep.readingAnchor }, clients: [{ name: 'bench', role: 'dso', apiKeyHash: secretHash(API_KEY) }], metrics });

  // The Platone-style baseline: the certification read from the chain for every request.
  const anchorContract = readingAnchorAt(dep.readingAnchor, provider);
  const chainReceipt = async (id: number): Promise<object> => {
    const r = await store.readingById(id);
    if (!r || r.anchorIndex === null || r.leafIndex === null) throw new Error('not anchored');
    const a = await anchorContract.getFunction('getAnchor')(r.anchorIndex) as { root: string; leafCount: bigint; blockNumber: bigint };
    const leaves = await store.anchorLeaves(r.anchorIndex);
    const flat = new Uint8Array(leaves.length * 32);
    leaves.forEach((l, i) => flat.set(hexToBytes(l, 32), i * 32));
    const tree = buildMerkleTreeFlat(flat);
    if (tree.root !== String(a.root).toLowerCase()) throw new Error('root mismatch');
    return { reading: r.reading, digest: r.digest, anchor: { index: r.anchorIndex, root: a.root, leafCount: Number(a.leafCount), blockNumber: Number(a.blockNumber) }, proof: tree.proof(r.leafIndex) };
  };
  const server = http.createServer((req, res) => {
    const m = /^\/bench\/chain-receipt\/(\d+)$/.exec(req.url ?? '');
    if (!m) { app(req, res); return; }
    chainReceipt(Number(m[1])).then((body) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(body)); }, () => { res.statusCode = 500; res.end(); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const publish = (jobs: { path: string; count: number }, rate: number): Promise<{ ms: number; acked: number }> => new Promise((resolve, reject) => {
    const pub = fork(fileURLToPath(new URL('./publisher.ts', import.meta.url)), [url, jobs.path, '10', String(jobs.count), String(rate)], { execArgv: ['--import', 'tsx'] });
    pub.on('message', (m: { kind: string; ms: number; acked: number }) => {
      if (m.kind === 'ready') pub.send('go');
      else if (m.kind === 'done') { pub.send('end'); resolve(m); }
      else if (m.kind === 'timeout') reject(new Error(`publisher timed out at ${m.acked}/${jobs.count}`));
    });
    pub.on('exit', (code) => { if (code) reject(new Error(`publisher exited with ${code}`)); });
  });
  type Stream = { name: string; rate: number; urls: string[] };
  type LoadResult = { name: string; sent: number; ok: number; errors: number; p50: number; p99: number; max: number };
  const load = (streams: Stream[], seconds: number): Promise<LoadResult[]> => new Promise((resolve, reject) => {
    const spec = { durationMs: seconds * 1000, streams: streams.map((s) => ({ ...s, headers: { 'x-api-key': API_KEY } })) };
    const child = fork(fileURLToPath(new URL('./http-load.ts', import.meta.url)), [JSON.stringify(spec)], { execArgv: ['--import', 'tsx'] });
    child.on('message', (m: { results: LoadResult[] }) => resolve(m.results));
    child.on('exit', (code) => { if (code) reject(new Error(`load generator exited with ${code}`)); });
  });

  // ---------------------------------------------------------------- prefill: stored and anchored
  await publish(prefill, 0);
  await ingest.idle();
  await anchorer.flush(120_000);
  const counts = await store.counts();
  const anchoredIds: number[] = [];
  for (let id = 1; anchoredIds.length < 2000 && id <= prefill.count; id += Math.max(1, Math.floor(prefill.count / 2000))) anchoredIds.push(id);
  const pageCursors = Array.from({ length: 200 }, (_, i) => Math.floor((i * prefill.count) / 200));
  const streams = (withBaseline: boolean): Stream[] => [
    { name: 'receipt', rate: RECEIPT_RATE, urls: anchoredIds.map((id) => `${api}/api/readings/${id}/receipt`) },
    { name: 'page100', rate: PAGE_RATE, urls: pageCursors.map((c) => `${api}/api/readings?limit=100${c > 0 ? `&cursor=${c}` : ''}`) },
    ...(withBaseline ? [{ name: 'chain-receipt', rate: BASELINE_RATE, urls: anchoredIds.map((id) => `${api}/bench/chain-receipt/${id}`) }] : []),
  ];
  say(`prefill: ${counts.readings} readings stored, ${anchoredIds.length} anchored ids sampled`);

  // ---------------------------------------------------------------- phases
  const idle = await load(streams(false), Math.min(5, SECONDS));
  const cpu0 = process.cpuUsage();
  const [withIngest, ingestA] = await Promise.all([load(streams(false), SECONDS), publish(loadA, INGEST_RATE)]);
  const balCpuA = process.cpuUsage(cpu0);
  const [baseline, ingestB] = await Promise.all([load(streams(true).filter((s) => s.name === 'chain-receipt'), SECONDS), publish(loadB, INGEST_RATE)]);

  await ingest.stop();
  await anchorer.stop();
  await balClient.endAsync(true);
  await mirror.stop();
  await pool.close();
  await new Promise<void>((r) => server.close(() => r()));
  await store.close();
  await new Promise<void>((r) => broker.close(() => r()));
  await new Promise<void>((r) => aedes.close(() => r()));

  const pick = (rs: LoadResult[], n: string) => rs.find((r) => r.name === n)!;
  const out = {
    bench: 'api', devices: DEVICES, seconds: SECONDS, loadAvg1m: Number(loadavg()[0]!.toFixed(2)), cpus: cpus().length,
    ingestTargetPerSec: INGEST_RATE,
    ingestAchievedPerSec: Math.round(ingestA.acked / (ingestA.ms / 1000)), ingestAchievedPerSecBaselinePhase: Math.round(ingestB.acked / (ingestB.ms / 1000)),
    balCpuUsPerReadingWithApi: Number(((balCpuA.user + balCpuA.system) / ingestA.acked).toFixed(1)),
    idle: { receipt: pick(idle, 'receipt'), page100: pick(idle, 'page100') },
    withIngest: { receipt: pick(withIngest, 'receipt'), page100: pick(withIngest, 'page100') },
    chainReceiptWithIngest: pick(baseline, 'chain-receipt'),
    targets: { receiptP99Ms: 5, page100P99Ms: 20 },
  };
  const row = (label: string, r: LoadResult, rate: number) => say(`| ${label} | ${rate} | ${r.ok}/${r.sent} | ${r.p50} | ${r.p99} | ${r.max} |`);
  say('\n| stream | req/s | ok/sent | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|---|');
  row('receipt, API alone', out.idle.receipt, RECEIPT_RATE);
  row('page of 100, API alone', out.idle.page100, PAGE_RATE);
  row(`receipt, ingest at ${INGEST_RATE}/s beside`, out.withIngest.receipt, RECEIPT_RATE);
  row(`page of 100, ingest at ${INGEST_RATE}/s beside`, out.withIngest.page100, PAGE_RATE);
  row(`baseline: receipt read from the chain per request, ingest beside`, out.chainReceiptWithIngest, BASELINE_RATE);
  say(`ingest achieved ${out.ingestAchievedPerSec} readings/s (target ${INGEST_RATE}) during the API load; load average ${out.loadAvg1m} on ${out.cpus} CPUs`);
  say(`targets: receipt p99 ${out.withIngest.receipt.p99} ms (≤ 5: ${out.withIngest.receipt.p99 <= 5 ? 'met' : 'NOT met'}), page p99 ${out.withIngest.page100.p99} ms (≤ 20: ${out.withIngest.page100.p99 <= 20 ? 'met' : 'NOT met'})`);
  say(`BENCH ${JSON.stringify(out)}`);
} finally {
  await anvil.stop();
  rmSync(dir, { recursive: true, force: true });
}
