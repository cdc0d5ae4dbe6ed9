/**
 * bench:store-insert — SQLite `storeBatch` CPU and wall µs per reading at one reading per device
 * per transaction, as the group commit makes them at batch 1 (issue 15): 400 devices, PER
 * readings each (50), G readings per transaction (64), the first 10 seqs of every device warm
 * up and are not measured.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import { readingBody } from '../src/store/common.js';
import type { StoredReadingInput } from '../src/store/types.js';
const DEV = 400, PER = Number(process.env.PER ?? 50), G = Number(process.env.G ?? 64);
const devs = Array.from({ length: DEV }, (_, i) => ({ pod: `IT001E${String(10_000_000 + i).padStart(8, '0')}`, signer: `0x${randomBytes(20).toString('hex')}` as `0x${string}` }));
const inputs: StoredReadingInput[] = [];
for (let s = 0; s < PER; s++) for (const d of devs) {
  const reading = { pod: d.pod, meter: 'sdm630', seq: s, timestamp: 1_760_000_000_000 + s * 20, source: 'modbus', values: [
    { quantity: '1-0:1.8.0', value: 12_345_678 + s * 7, scale: 0, unit: 'Wh' }, { quantity: '1-0:1.7.0', value: 1500, scale: 0, unit: 'W' },
    { quantity: '1-0:32.7.0', value: 2301, scale: -1, unit: 'V' }, { quantity: '1-0:31.7.0', value: 652, scale: -2, unit: 'A' }], signature: `0x${randomBytes(65).toString('hex')}` as `0x${string}` };
  inputs.push({ reading, digest: `0x${randomBytes(32).toString('hex')}`, signer: d.signer, receivedAtMs: Date.now(), body: readingBody(reading) });
}
const store = openSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'h15-store-')), 'bal.db') });
// warm-up: first 10 seqs
const W = DEV * 10;
for (let i = 0; i < W; i += G) await store.storeBatch(inputs.slice(i, i + G));
const c0 = process.cpuUsage(); const t0 = performance.now();
for (let i = W; i < inputs.length; i += G) await store.storeBatch(inputs.slice(i, i + G));
const c = process.cpuUsage(c0);
console.log(`G=${G}: ${((c.user + c.system) / (inputs.length - W)).toFixed(2)} µs CPU/reading, ${((performance.now() - t0) * 1000 / (inputs.length - W)).toFixed(2)} µs wall`);
await store.close();
