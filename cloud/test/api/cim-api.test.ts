/**
 * GET /api/readings/cim (issue 13 §2): the readings of a PoD as an IEC 61968-9 MeterReadings
 * reply, JSON and XML by Accept, every JSON answer validated against the OpenAPI document and
 * every answer decoded by the strict shared codec. Round trip: export → decode → the stored
 * readings' values bit for bit, with digest and anchor transaction. Visibility as /api/readings.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCimXml } from '@lightnode/shared/cim/xml-codec';
import { decodeCimJson } from '@lightnode/shared/cim/json-codec';
import { cimReadingToMeasurement } from '@lightnode/shared/cim/readings-map';
import type { CimMessage } from '@lightnode/shared/cim/model';
import { signReading, readingDigest, addressOf } from '@lightnode/shared/eip712';
import { bytesToHex } from '@lightnode/shared/hex';
import { prepareAccess, type PreparedAccess } from '../access/consumer-session.js';
import { ANCHOR_TX, BASE_TS, DOMAIN, KEY_A, KEYS, OpenApiValidator, POD_A, POD_B, startFixture, type Fixture } from './api-fixture.js';

const ROUTE = '/api/readings/cim';
let CONSUMER_TOKEN = '';
let fx: Fixture;
let prepared: PreparedAccess | null = null;
const v = new OpenApiValidator();

test.before(async () => {
  // A data user who sees only POD_B: a real consumer session whose subscription to B's stream was accepted on chain.
  prepared = await prepareAccess();
  const access = prepared;
  fx = await startFixture({ access: (store, metrics) => access.service(store, metrics) });
  CONSUMER_TOKEN = await prepared.consumerOf(POD_B);
  // One more reading of A with a quantity that has no ReadingType (reactive energy) and a voltage.
  const r = { pod: POD_A, meter: 'main', seq: 7, timestamp: BASE_TS + 7 * 60_000, source: 'modbus', values: [
    { quantity: '1-0:1.8.0', value: 1007, scale: 0, unit: 'Wh' }, { quantity: '1-0:32.7.0', value: 23010, scale: -2, unit: 'V' },
    { quantity: '1-0:3.8.0', value: 12, scale: 0, unit: 'varh' },
  ] };
  await fx.store.storeBatch([{ reading: signReading(DOMAIN, r, KEY_A), digest: bytesToHex(readingDigest(DOMAIN, r)), signer: addressOf(KEY_A), receivedAtMs: r.timestamp + 500 }]);
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
  else assert.is(res.status, 200, 'only a 200 answers XML; errors are JSON');
  return { status: res.status, body, text, headers: res.headers };
}

/** Decoded message → digest → measurements, anchor transaction. */
function byDigest(m: CimMessage): Map<string, { values: unknown[]; tx: string | null; timestampMs: number; pod: string; meter: string }> {
  const out = new Map<string, { values: unknown[]; tx: string | null; timestampMs: number; pod: string; meter: string }>();
  for (const mr of m.Payload!.MeterReadings.MeterReading) {
    for (const r of mr.Readings) {
      const x = cimReadingToMeasurement(r);
      const e = out.get(x.digest!) ?? { values: [], tx: x.anchorTransaction, timestampMs: x.timestampMs, pod: mr.UsagePoint!.mRID!, meter: mr.Meter!.mRID! };
      e.values.push(x.measurement);
      out.set(x.digest!, e);
    }
  }
  return out;
}

test('JSON and XML by Accept; both decode strictly to the same message', async () => {
  const j = await get(`?pod=${POD_A}`);
  assert.is(j.status, 200);
  assert.match(j.headers.get('content-type') ?? '', 'application/json');
  assert.match(j.headers.get('vary') ?? '', 'Accept');
  const x = await get(`?pod=${POD_A}`, { key: KEYS.dso, accept: 'application/xml' });
  assert.is(x.status, 200);
  assert.match(x.headers.get('content-type') ?? '', 'application/xml');
  assert.ok(x.text.includes('<m:MeterReadingsResponseMessage'));
  const fromJson = decodeCimJson(j.text);
  const fromXml = decodeCimXml(new TextEncoder().encode(x.text));
  assert.equal({ ...fromXml, Header: { ...fromXml.Header, Timestamp: '', MessageID: '' } }, { ...fromJson, Header: { ...fromJson.Header, Timestamp: '', MessageID: '' } });
  assert.equal([fromJson.Header.Verb, fromJson.Header.Noun, fromJson.Header.Source], ['reply', 'MeterReadings', 'LightNode-BAL']);
  assert.is((await get(`?pod=${POD_A}`, { key: KEYS.dso, accept: 'text/xml' })).headers.get('content-type')?.startsWith('application/xml'), true);
  assert.is((await get(`?pod=${POD_A}`, { key: KEYS.dso, accept: 'text/html' })).headers.get('content-type')?.startsWith('application/json'), true, 'nothing acceptable: JSON');
});

test('round trip: export → decode → the stored readings bit for bit, with digest and anchor transaction', async () => {
  const stored = (await fx.store.listReadings({ pod: POD_A, limit: 100 })).items;
  assert.is(stored.length, 7);
  for (const accept of ['application/json', 'application/xml']) {
    const got = await get(`?pod=${POD_A}`, { key: KEYS.dso, accept });
    const m = accept === 'application/json' ? decodeCimJson(got.text) : decodeCimXml(got.text);
    const map = byDigest(m);
    assert.is(map.size, stored.length, accept);
    for (const s of stored) {
      const e = map.get(s.digest)!;
      assert.ok(e, `${accept}: digest ${s.digest}`);
      const mapped = s.reading.values.filter((x) => x.quantity !== '1-0:3.8.0');
      assert.equal(e.values, mapped, `${accept} seq ${s.seq}: values`);
      assert.equal([e.pod, e.meter, e.timestampMs], [s.pod, s.reading.meter, s.timestampMs]);
      assert.is(e.tx, s.anchorIndex === null ? null : ANCHOR_TX, `${accept} seq ${s.seq}: anchor transaction`);
    }
    assert.equal(m.Reply, { Result: 'PARTIAL', Error: [{ code: 'CIM_QUANTITY_UNMAPPED', level: 'WARNING', reason: '1-0:3.8.0 has no ReadingType in the OBIS table', details: '1 value(s) of 1-0:3.8.0 left out' }] });
  }
});

test('time range, paging by X-Next-Cursor, Result OK when everything maps', async () => {
  const ranged = await get(`?pod=${POD_A}&from=${BASE_TS + 2 * 60_000}&to=${new Date(BASE_TS + 4 * 60_000).toISOString()}`);
  const m = decodeCimJson(ranged.text);
  assert.equal(m.Payload!.MeterReadings.MeterReading[0]!.Readings.map((r) => r.value), ['1.002', '1.003']);
  assert.equal(m.Reply, { Result: 'OK', Error: [] });
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await get(`?pod=${POD_B}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
    assert.is(page.status, 200);
    seen.push(...decodeCimJson(page.text).Payload!.MeterReadings.MeterReading.flatMap((x) => x.Readings.map((r) => r.value)));
    cursor = page.headers.get('x-next-cursor');
    pages++;
  } while (cursor);
  assert.is(pages, 2);
  assert.equal(seen, ['1.001', '1.002', '1.003', '1.004']);
  const empty = decodeCimJson((await get(`?pod=IT001E99999999`)).text);
  assert.equal(empty.Payload!.MeterReadings.MeterReading, []);
});

test('same visibility as /api/readings: credentials, own PoDs only, parameters checked', async () => {
  const none = await get(`?pod=${POD_A}`, {});
  assert.is(none.status, 401);
  assert.is(none.body.code, 'BAL_API_UNAUTHORIZED');
  const other = await get(`?pod=${POD_A}`, { token: CONSUMER_TOKEN });
  assert.is(other.status, 403);
  assert.is(other.body.code, 'BAL_API_FORBIDDEN');
  const own = await get(`?pod=${POD_B}`, { token: CONSUMER_TOKEN, accept: 'application/xml' });
  assert.is(own.status, 200);
  assert.equal(decodeCimXml(own.text).Payload!.MeterReadings.MeterReading.map((x) => x.UsagePoint!.mRID), [POD_B]);
  for (const [q, field] of [['', 'pod'], ['?pod=nope', 'pod'], [`?pod=${POD_A}&from=yesterday`, 'from'], [`?pod=${POD_A}&from=10&to=5`, 'to'],
    [`?pod=${POD_A}&limit=0`, 'limit'], [`?pod=${POD_A}&status=pending`, 'status'], [`?pod=${POD_A}&pod=${POD_B}`, 'pod']] as const) {
    const r = await get(q);
    assert.is(r.status, 400, q);
    assert.is(r.body.code, 'BAL_API_QUERY_INVALID', q);
    assert.match(r.body.message, field, q);
  }
  const deeper = await fetch(`${fx.api.url}${ROUTE}/1`, { headers: { 'x-api-key': KEYS.dso } });
  assert.is(deeper.status, 404, 'the route does not swallow /api/readings/cim/…');
  assert.is(((await deeper.json()) as { code: string }).code, 'BAL_API_NOT_FOUND');
});

test('/api/readings/{id} still serves ids next to the cim route', async () => {
  const res = await fetch(`${fx.api.url}/api/readings/${fx.ids.a[0]}`, { headers: { 'x-api-key': KEYS.dso } });
  assert.is(res.status, 200);
  v.check('/api/readings/{id}', 200, await res.json());
});

test.run();
