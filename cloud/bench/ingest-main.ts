/**
 * bench:ingest-main — the ingest's main-thread CPU per reading without MQTT or verify workers
 * (issue 15): a hand-fed ReadingsSource, precomputed worker results, the registry mirror
 * answering from memory, acks counted, and the real SQLite store (FAKESTORE=1: a store that
 * answers `stored` at once, so only the ingest's own JavaScript is measured). 400 devices, PER
 * readings each (60) in messages of B readings (1), 64 messages in flight as the MQTT source's
 * gate allows; the first sixth warms up and is not measured.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { readingBody } from '../src/store/common.js';
import { startIngest } from '../src/ingest/ingest.js';
import { MetricsRegistry } from '../src/metrics.js';
import { createLogger } from '../src/log.js';
import type { CoreBatchResult } from '../src/verify/verify-core.js';
import type { VerifyPool } from '../src/verify/pool.js';
import type { BalStore, StoredReadingInput } from '../src/store/types.js';
import type { MqttClient } from 'mqtt';
const DEV = 400, PER = Number(process.env.PER ?? 60), B = Number(process.env.B ?? 1);
const devs = Array.from({ length: DEV }, (_, i) => ({ pod: `IT001E${String(10_000_000 + i).padStart(8, '0')}`, signer: `0x${randomBytes(20).toString('hex')}` as `0x${string}` }));
const jobs: { pod: string; res: CoreBatchResult }[] = [];
const now = Date.now();
for (let s = 0; s < PER; s += B) for (const d of devs) {
  const items = [];
  for (let k = s; k < s + B; k++) {
    const reading = { pod: d.pod, meter: 'sdm630', seq: k, timestamp: now - 100_000 + k * 20, source: 'modbus', values: [
      { quantity: '1-0:1.8.0', value: 12_345_678 + k * 7, scale: 0, unit: 'Wh' }, { quantity: '1-0:1.7.0', value: 1500, scale: 0, unit: 'W' },
      { quantity: '1-0:32.7.0', value: 2301, scale: -1, unit: 'V' }, { quantity: '1-0:31.7.0', value: 652, scale: -2, unit: 'A' }], signature: `0x${randomBytes(65).toString('hex')}` as `0x${string}` };
    items.push({ ok: true as const, reading, digest: `0x${randomBytes(32).toString('hex')}` as `0x${string}`, signer: d.signer, body: readingBody(reading) });
  }
  jobs.push({ pod: d.pod, res: { envelopeError: null, items } });
}
const byPayload = new Map<Buffer, CoreBatchResult>();
const payloads = jobs.map((j) => { const b = Buffer.from(j.pod); byPayload.set(b, j.res); return b; });
const real = openSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'h15-main-')), 'bal.db') });
let nextId = 1;
const store: BalStore = process.env.FAKESTORE
  ? { ...real, storeBatch: async (inputs: StoredReadingInput[]) => ({ stored: inputs.map((x) => x.reading.seq), duplicate: [], equivocation: [], outcomes: inputs.map(() => 'stored' as const), ids: inputs.map(() => nextId++) }), close: () => real.close() }
  : real;
let handle!: (pod: string, payload: Buffer) => Promise<boolean>;
const pool = { secp: 'native', threads: 2, queued: () => 0, restarts: () => 0, verifyBatch: (_pod: string, p: Buffer) => new Promise<CoreBatchResult>((r) => setImmediate(() => r(byPayload.get(p)!))) } as unknown as VerifyPool;
let acks = 0;
const mqtt = { publish: (_t: string, _p: string, _o: unknown, cb: (e?: Error) => void) => { acks++; cb(); } } as unknown as MqttClient;
const ingest = await startIngest({
  mqtt, store, pool, metrics: new MetricsRegistry(), log: createLogger({ level: 'warn' }),
  mirror: { checkLocal: () => null, checkSigner: async () => ({ ok: true as const }) },
  source: { kind: 'fake', describe: 'fake', start: async (h) => { handle = h; }, stop: async () => {} },
  config: { ackMode: 'cumulative', ackMaxDelayMs: 50 },
});
// Feed in waves of 64 in flight, as the source's gate would.
async function feed(from: number, to: number) {
  let i = from; const inflight = new Set<Promise<boolean>>();
  while (i < to) {
    while (inflight.size < Number(process.env.INFL ?? 64) && i < to) { const p = handle(jobs[i]!.pod, payloads[i++]!); inflight.add(p); void p.finally(() => inflight.delete(p)); }
    await Promise.race(inflight);
  }
  await ingest.idle();
}
const warm = Math.floor(jobs.length / 6);
await feed(0, warm);
const c0 = process.cpuUsage();
await feed(warm, jobs.length);
const c = process.cpuUsage(c0);
const n = (jobs.length - warm) * B;
console.log(`B=${B}: main-thread ingest ${((c.user + c.system) / n).toFixed(2)} µs CPU/reading (${n} readings, ${process.env.FAKESTORE ? 'store answered at once' : 'SQLite store'}; ${acks} ack messages)`);
await ingest.stop(); await store.close();
