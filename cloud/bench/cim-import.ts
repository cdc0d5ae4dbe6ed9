/**
 * The data-server path's cost per message (issue 13 §4): one signed MeterReadings message of
 * 1,000 PoDs × 2 registers (XML), through `planCimMessage` (unwrap, strict XML decode, mapping,
 * signature recovery, 1,000 EIP-712 digests; the registry check is a stub) and then
 * `storeCimMessage` into a fresh SQLite file. Baseline in the same run: `decodeCimXml` of the
 * same payload alone. Prints one JSON line: ms per message and readings per second for each.
 *
 *   node --import tsx cloud/bench/cim-import.ts [--pods 1000] [--rounds 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeDomain } from '@lightnode/shared/eip712';
import { encodeCimXml, decodeCimXml } from '@lightnode/shared/cim/xml-codec';
import { signCimMessage } from '@lightnode/shared/cim/signed-message';
import { readingTypeOfObis } from '@lightnode/shared/cim/reading-type';
import type { CimMessage } from '@lightnode/shared/cim/model';
import { planCimMessage } from '../src/cim-import/import-plan.js';
import { openSqliteStore } from '../src/store/sqlite-store.js';

const { values } = parseArgs({ options: { pods: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '5' } } });
const pods = Number(values.pods);
const rounds = Number(values.rounds);
const domain = makeDomain(31337, '0x5fbdb2315678afecb367f032d93f642f64180aa3');
const key = crypto.getRandomValues(new Uint8Array(32));
const imp = readingTypeOfObis('1-0:1.8.0')!.code;
const exp = readingTypeOfObis('1-0:2.8.0')!.code;

function message(round: number): Uint8Array {
  const at = new Date(Date.UTC(2026, 11, 5, 8, 0) + round * 900_000).toISOString();
  const msg: CimMessage = {
    Header: { Verb: 'created', Noun: 'MeterReadings', Timestamp: at, Source: 'bench', MessageID: `bench-${round}` },
    Payload: { MeterReadings: { MeterReading: Array.from({ length: pods }, (_, i) => ({
      IntervalBlocks: [], Meter: { mRID: `M${i}`, Names: [] }, UsagePoint: { mRID: `IT001E${String(i + 1).padStart(8, '0')}`, Names: [] },
      Readings: [
        { timeStamp: at, value: (1_000_000 + i * 997 + round * 25) / 1000 + '', ReadingQualities: [], ReadingType: { ref: imp } },
        { timeStamp: at, value: '50.000', ReadingQualities: [], ReadingType: { ref: exp } },
      ],
    })) } },
  };
  return new TextEncoder().encode(encodeCimXml(msg));
}

const dir = mkdtempSync(join(tmpdir(), 'bench-cim-'));
const store = openSqliteStore({ path: join(dir, 'bal.db') });
const times = { decode: [] as number[], plan: [] as number[], store: [] as number[] };
let bytes = 0;
for (let r = 0; r < rounds + 1; r++) {
  const payload = message(r);
  bytes = payload.length;
  const wire = signCimMessage(domain, 'bench', payload, key);
  let t = performance.now();
  decodeCimXml(payload);
  const decodeMs = performance.now() - t;
  t = performance.now();
  const plan = await planCimMessage('bench', wire, { domain, check: async () => ({ ok: true }), nowMs: Date.UTC(2027, 0, 1), futureSkewMs: 60_000 });
  const planMs = performance.now() - t;
  if (!plan.ok) throw new Error(`plan refused: ${JSON.stringify(plan)}`);
  t = performance.now();
  await store.storeCimMessage(plan.message, plan.inputs);
  const storeMs = performance.now() - t;
  if (r === 0) continue; // warm-up
  times.decode.push(decodeMs); times.plan.push(planMs); times.store.push(storeMs);
}
await store.close();
rmSync(dir, { recursive: true, force: true });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const out = {
  bench: 'cim-import', pods, readings: pods, payloadBytes: bytes, rounds,
  baselineDecodeMs: +median(times.decode).toFixed(1), planMs: +median(times.plan).toFixed(1), storeMs: +median(times.store).toFixed(1),
  planReadingsPerSec: Math.round(pods / (median(times.plan) / 1000)), storeReadingsPerSec: Math.round(pods / (median(times.store) / 1000)),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
