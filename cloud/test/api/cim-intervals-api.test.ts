/**
 * GET /api/readings/cim?intervals=15min (issue 13 §3) end to end: really signed register readings
 * of a PoD in a real SQLite store, on both 2026 DST days, answered as quarter-hour IntervalBlocks
 * in JSON (checked against the OpenAPI document) and XML (decoded by the strict codec). Every
 * value is traced back to its two stored, signed readings; gaps and a counter reset come back as
 * quality codes without a value; visibility is the export's.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCimXml } from '@lightnode/shared/cim/xml-codec';
import { decodeCimJson } from '@lightnode/shared/cim/json-codec';
import type { CimIntervalReading, CimMessage } from '@lightnode/shared/cim/model';
import { localDayBounds, QUARTER_MS } from '@lightnode/shared/cim/local-time';
import { END_DIGEST_SOURCE, START_DIGEST_SOURCE, QUARTER_QUALITY } from '@lightnode/shared/cim/interval-blocks';
import { signReading, readingDigest, addressOf, recoverReadingSigner } from '@lightnode/shared/eip712';
import { bytesToHex, type Hex } from '@lightnode/shared/hex';
import { buildMerkleTree } from '@lightnode/shared/merkle';
import type { Reading } from '@lightnode/shared/reading';
import type { StoredReading, StoredReadingInput } from '../../src/store/types.js';
import { prepareAccess, type PreparedAccess } from '../access/consumer-session.js';
import { DOMAIN, KEYS, KEY_A, KEY_B, OpenApiValidator, POD_A, POD_B, startFixture, type Fixture } from './api-fixture.js';

const ROUTE = '/api/readings/cim';
const SPRING = localDayBounds('2026-03-29');
const AUTUMN = localDayBounds('2026-10-25');
const ANCHOR_TX = `0x${'ab'.repeat(32)}` as Hex;
let fx: Fixture;
let prepared: PreparedAccess | null = null;
let CONSUMER_TOKEN = '';
const v = new OpenApiValidator();
let seq = 1000;

/** A+ rises 250 + k Wh and A− 3 Wh per quarter; returns the register values by timestamp. */
function series(startMs: number, endMs: number, pod: string, key: Uint8Array, skip: (t: number) => boolean = () => false): { inputs: StoredReadingInput[]; aPlus: Map<number, number> } {
  const inputs: StoredReadingInput[] = [];
  const aPlus = new Map<number, number>();
  let plus = 4_000_000;
  let minus = 7_000;
  for (let t = startMs, k = 0; t <= endMs; t += QUARTER_MS, k++) {
    if (!skip(t)) {
      const r: Reading = { pod, meter: 'main', seq: seq++, timestamp: t, source: 'modbus', values: [
        { quantity: '1-0:1.8.0', value: plus, scale: 0, unit: 'Wh' }, { quantity: '1-0:2.8.0', value: minus, scale: 0, unit: 'Wh' },
        { quantity: '1-0:32.7.0', value: 23010, scale: -2, unit: 'V' }] };
      inputs.push({ reading: signReading(DOMAIN, r, key), digest: bytesToHex(readingDigest(DOMAIN, r)), signer: addressOf(key), receivedAtMs: t + 300 });
      aPlus.set(t, plus);
    }
    plus += 250 + k;
    minus += 3;
  }
  return { inputs, aPlus };
}

let spring: ReturnType<typeof series>;
let autumn: ReturnType<typeof series>;
const GAP = AUTUMN.startMs + 10 * QUARTER_MS; // 02:30+02:00 local: no reading
const INSIDE = GAP + 6 * 60_000; // one reading inside the next quarter, at a lower value (a reset)

test.before(async () => {
  prepared = await prepareAccess();
  const access = prepared;
  fx = await startFixture({ access: (store, metrics) => access.service(store, metrics) });
  CONSUMER_TOKEN = await prepared.consumerOf(POD_B);
  spring = series(SPRING.startMs, SPRING.endMs, POD_A, KEY_A);
  autumn = series(AUTUMN.startMs, AUTUMN.endMs, POD_A, KEY_A, (t) => t === GAP || t === GAP + QUARTER_MS);
  const r: Reading = { pod: POD_A, meter: 'main', seq: seq++, timestamp: INSIDE, source: 'modbus', values: [{ quantity: '1-0:1.8.0', value: 5, scale: 0, unit: 'Wh' }] };
  const reset = { reading: signReading(DOMAIN, r, KEY_A), digest: bytesToHex(readingDigest(DOMAIN, r)), signer: addressOf(KEY_A), receivedAtMs: INSIDE };
  const stored = await fx.store.storeBatch([...spring.inputs, ...autumn.inputs, reset]);
  await fx.store.storeBatch(spring.inputs.slice(0, 3)); // re-sent: deduplicated by the store, nothing changes
  // Anchor the first 8 readings of the spring day (index 1 after the fixture's anchor 0).
  const ids = stored.ids.slice(0, 8);
  const leaves = spring.inputs.slice(0, 8).map((x) => x.digest);
  const tree = buildMerkleTree(leaves.map((h) => Buffer.from(h.slice(2), 'hex')));
  const prev = (await fx.store.latestAnchor())!;
  await fx.store.recordAnchor({ index: 1, root: tree.root, leafCount: 8, fromMs: SPRING.startMs, toMs: SPRING.startMs + 8 * QUARTER_MS, prevHash: prev.anchorHash ?? prev.root }, ids, { transaction: ANCHOR_TX, blockNumber: null });
  await fx.store.confirmAnchor(ANCHOR_TX, { blockNumber: 20 });
});
test.after(async () => { await fx?.close(); await prepared?.stop(); });

interface Got { status: number; body: any; text: string; headers: Headers }
async function get(query: string, o: { accept?: string; key?: string; token?: string } = { key: KEYS.dso }): Promise<Got> {
  const headers: Record<string, string> = {};
  if (o.key) headers['x-api-key'] = o.key;
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.accept) headers.accept = o.accept;
  const res = await fetch(`${fx.api.url}${ROUTE}${query}`, { headers });
  const text = await res.text();
  const json = res.headers.get('content-type')?.includes('json');
  const body = json ? JSON.parse(text) : text;
  if (json) v.check(ROUTE, res.status, body);
  return { status: res.status, body, text, headers: res.headers };
}

const blockOf = (m: CimMessage, code: string): CimIntervalReading[] =>
  m.Payload!.MeterReadings.MeterReading[0]!.IntervalBlocks.find((b) => b.ReadingType.ref === code)!.IntervalReadings;
const A_PLUS_15 = '0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0';
const A_MINUS_15 = '0.0.2.4.19.1.12.0.0.0.0.0.0.0.0.3.72.0';
const quality = (r: CimIntervalReading): string => r.ReadingQualities[0]!.ReadingQualityType.ref;

test('2026-03-29: 92 quarters per register, JSON and XML the same, each value register(end) − register(start) of stored signed readings', async () => {
  const j = await get(`?pod=${POD_A}&intervals=15min&day=2026-03-29`);
  assert.is(j.status, 200);
  const x = await get(`?pod=${POD_A}&intervals=15min&day=2026-03-29`, { key: KEYS.dso, accept: 'application/xml' });
  assert.match(x.headers.get('content-type') ?? '', 'application/xml');
  const m = decodeCimJson(j.text);
  const mx = decodeCimXml(x.text);
  assert.equal(mx.Payload, m.Payload);
  assert.equal(m.Reply, { Result: 'OK', Error: [] });
  const plus = blockOf(m, A_PLUS_15);
  assert.is(plus.length, 92);
  assert.is(blockOf(m, A_MINUS_15).length, 92);
  assert.ok(blockOf(m, A_MINUS_15).every((r) => r.value === '0.003'));
  assert.equal(plus.slice(6, 9).map((r) => r.timeStamp), ['2026-03-29T01:45:00+01:00', '2026-03-29T03:00:00+02:00', '2026-03-29T03:15:00+02:00']);
  const stored = new Map<string, StoredReading>((await fx.store.listReadings({ pod: POD_A, fromMs: SPRING.startMs, toMs: SPRING.endMs + 1, limit: 1000 })).items.map((s) => [s.digest, s]));
  assert.is(stored.size, 93);
  let sumWh = 0;
  for (const r of plus) {
    assert.is(quality(r), QUARTER_QUALITY.complete);
    const s = stored.get(r.ReadingQualities.find((q) => q.source === START_DIGEST_SOURCE)!.comment!)!;
    const e = stored.get(r.ReadingQualities.find((q) => q.source === END_DIGEST_SOURCE)!.comment!)!;
    assert.ok(s && e, 'both digests are stored readings');
    assert.is(recoverReadingSigner(DOMAIN, e.reading), addressOf(KEY_A), 'and their signatures recover the PoD key');
    const wh = e.reading.values[0]!.value - s.reading.values[0]!.value;
    assert.is(r.value, (wh / 1000).toFixed(3));
    assert.is(e.timestampMs - s.timestampMs, QUARTER_MS);
    assert.is(Date.parse(r.timeStamp), e.timestampMs, 'timeStamp is the end of the quarter');
    sumWh += wh;
  }
  assert.is(sumWh, spring.aPlus.get(SPRING.endMs)! - spring.aPlus.get(SPRING.startMs)!);
  // The anchored readings bring their transaction along.
  assert.is(plus[0]!.ReadingQualities.find((q) => q.source === 'lightnode:anchor-transaction:start')!.comment, ANCHOR_TX);
  assert.is(plus[7]!.ReadingQualities.filter((q) => q.source?.startsWith('lightnode:anchor-transaction')).length, 1, 'quarter 8 ends on an unanchored reading');
});

test('2026-10-25: 100 quarters; a gap and a counter reset are quality codes without a value, Result PARTIAL', async () => {
  const m = decodeCimXml((await get(`?pod=${POD_A}&intervals=15min&day=2026-10-25`, { key: KEYS.dso, accept: 'text/xml' })).text);
  const plus = blockOf(m, A_PLUS_15);
  assert.is(plus.length, 100);
  assert.is(new Set(plus.map((r) => r.timeStamp)).size, 100);
  // Quarters 9..11 touch the missing 02:30+02:00 and 02:45+02:00 readings; only A+ has a reading inside 02:30–02:45.
  assert.equal(plus.slice(8, 13).map(quality), ['2.10.0', '2.5.259', '2.4.2', '2.5.259', '2.10.0']);
  assert.equal(plus.slice(8, 13).map((r) => r.value !== undefined), [true, false, false, false, true]);
  assert.equal(blockOf(m, A_MINUS_15).slice(8, 13).map(quality), ['2.10.0', '2.5.259', '2.5.259', '2.5.259', '2.10.0'], 'A− has no reading inside');
  assert.equal(m.Reply, { Result: 'PARTIAL', Error: [{ code: 'CIM_INTERVAL_INCOMPLETE', level: 'WARNING', reason: '6 quarter-hour interval(s) without a value', details: '1 partial (2.4.2), 5 missing (2.5.259)' }] });
  // Bridging the gap with from/to and a reading 6 minutes late does not invent a value: partial stays partial.
  const narrow = decodeCimJson((await get(`?pod=${POD_A}&intervals=15min&from=${GAP - QUARTER_MS}&to=${new Date(GAP + 2 * QUARTER_MS).toISOString()}&toleranceMs=60000`)).text);
  assert.equal(blockOf(narrow, A_PLUS_15).map(quality), ['2.5.259', '2.4.2', '2.5.259']);
});

test('a counter reset between two boundary readings is resetOccurred, not a negative delta', async () => {
  const t0 = AUTUMN.endMs + 4 * QUARTER_MS;
  const make = (t: number, value: number): StoredReadingInput => {
    const r: Reading = { pod: POD_A, meter: 'main', seq: seq++, timestamp: t, source: 'modbus', values: [{ quantity: '1-0:1.8.0', value, scale: 0, unit: 'Wh' }] };
    return { reading: signReading(DOMAIN, r, KEY_A), digest: bytesToHex(readingDigest(DOMAIN, r)), signer: addressOf(KEY_A), receivedAtMs: t };
  };
  await fx.store.storeBatch([make(t0, 9_000), make(t0 + QUARTER_MS, 120), make(t0 + 2 * QUARTER_MS, 400)]);
  const m = decodeCimJson((await get(`?pod=${POD_A}&intervals=15min&from=${t0}&to=${t0 + 2 * QUARTER_MS}`)).text);
  const plus = blockOf(m, A_PLUS_15);
  assert.equal(plus.map(quality), ['2.4.8', '2.10.0']);
  assert.equal(plus.map((r) => r.value), [undefined, '0.280']);
});

test('visibility as the export; parameters checked by name', async () => {
  assert.is((await get(`?pod=${POD_A}&intervals=15min&day=2026-03-29`, {})).status, 401);
  const other = await get(`?pod=${POD_A}&intervals=15min&day=2026-03-29`, { token: CONSUMER_TOKEN });
  assert.is(other.status, 403);
  const own = await get(`?pod=${POD_B}&intervals=15min&day=2026-03-29`, { token: CONSUMER_TOKEN });
  assert.is(own.status, 200);
  assert.equal(decodeCimJson(own.text).Payload!.MeterReadings.MeterReading, [], 'no register reading of B that day: no block');
  const T = SPRING.startMs;
  for (const [q, field] of [
    [`?pod=${POD_A}&intervals=1h&day=2026-03-29`, 'intervals'], [`?intervals=15min&day=2026-03-29`, 'pod'],
    [`?pod=${POD_A}&intervals=15min`, 'from'], [`?pod=${POD_A}&intervals=15min&day=2026-02-30`, 'day'], [`?pod=${POD_A}&intervals=15min&day=29-03-2026`, 'day'],
    [`?pod=${POD_A}&intervals=15min&day=2026-03-29&from=${T}`, 'day'], [`?pod=${POD_A}&intervals=15min&from=${T + 60_000}&to=${T + QUARTER_MS}`, 'from'],
    [`?pod=${POD_A}&intervals=15min&from=${T}&to=${T}`, 'to'], [`?pod=${POD_A}&intervals=15min&from=${T}&to=${T + 40 * 86_400_000}`, 'to'],
    [`?pod=${POD_A}&intervals=15min&day=2026-03-29&toleranceMs=60001`, 'toleranceMs'], [`?pod=${POD_A}&intervals=15min&day=2026-03-29&limit=5`, 'limit'],
  ] as const) {
    const r = await get(q);
    assert.is(r.status, 400, q);
    assert.is(r.body.code, 'BAL_API_QUERY_INVALID', q);
    assert.match(r.body.message, field, q);
  }
  assert.ok(KEY_B.length === 32);
});

test.run();
