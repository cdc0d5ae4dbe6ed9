import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import { verifyMerkleProof } from '@lightnode/shared/merkle';
import { addressOf, recoverReadingSigner, readingDigest } from '@lightnode/shared/eip712';
import { bytesToHex } from '@lightnode/shared/hex';
import { validateReceipt, verifyReceiptOffline } from '@lightnode/shared/receipt';
import { connect } from 'node:net';
import { ANCHOR_TX, DEPLOYMENT, DOMAIN, KEY_A, KEYS, OpenApiValidator, POD_A, POD_B, startFixture, type Fixture } from './api-fixture.js';

let fx: Fixture;
const v = new OpenApiValidator();
test.before(async () => { fx = await startFixture(); });
test.after(async () => { await fx?.close(); });

type Auth = { key?: string; token?: string };
const DSO: Auth = { key: KEYS.dso };

/** GET, validate against the OpenAPI document for `route`, return status + body. */
async function get(path: string, route: string, auth: Auth = DSO): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (auth.key) headers['x-api-key'] = auth.key;
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  const res = await fetch(fx.api.url + path, { headers });
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  v.check(route, res.status, body);
  return { status: res.status, body };
}

test('serves an OpenAPI 3.1 document that ajv compiles', async () => {
  const res = await fetch(`${fx.api.url}/api/openapi.json`);
  assert.is(res.status, 200);
  const doc = await res.json() as { openapi: string; paths: Record<string, unknown> };
  assert.is(doc.openapi, '3.1.0');
  for (const p of ['/api/certification/getByTransaction', '/api/readings', '/api/readings/{id}', '/api/readings/{id}/receipt', '/api/nodes', '/api/nodes/{pod}', '/healthz', '/metrics']) {
    assert.ok(doc.paths[p], p);
  }
  new OpenApiValidator(doc); // the served copy compiles too
});

test('data endpoints need credentials; keys and bearer tokens map to roles', async () => {
  for (const [path, route] of [['/api/readings', '/api/readings'], ['/api/readings/1', '/api/readings/{id}'], ['/api/readings/1/receipt', '/api/readings/{id}/receipt'],
    ['/api/nodes', '/api/nodes'], [`/api/nodes/${POD_A}`, '/api/nodes/{pod}'], [`/api/certification/getByTransaction?transaction=${ANCHOR_TX}`, '/api/certification/getByTransaction']] as const) {
    const none = await get(path, route, {});
    assert.is(none.status, 401, path);
    assert.is(none.body.code, 'BAL_API_UNAUTHORIZED');
    assert.is((await get(path, route, { key: 'not-a-key' })).status, 401, `${path} bad key`);
    assert.is((await get(path, route, { token: 'not-a-token' })).status, 401, `${path} bad token`);
  }
  const viaToken = await get('/api/readings', '/api/readings', { token: KEYS.dsoToken });
  assert.is(viaToken.status, 200);
  assert.equal(new Set(viaToken.body.items.map((r: { pod: string }) => r.pod)), new Set([POD_A, POD_B]), 'a dso client reads every PoD');
  assert.is((await get('/api/readings', '/api/readings', { key: KEYS.dsoToken })).status, 401, 'a token is not an API key');
});

test('GET /api/readings pages by cursor and filters by pod, time and status', async () => {
  const all: number[] = [];
  let next: string | null = null;
  do {
    const r = await get(`/api/readings?limit=3${next ? `&cursor=${next}` : ''}`, '/api/readings');
    assert.is(r.status, 200);
    assert.ok(r.body.items.length <= 3);
    all.push(...r.body.items.map((x: { id: number }) => x.id));
    next = r.body.next;
  } while (next);
  assert.equal(all, [...fx.ids.a, ...fx.ids.b]);
  const b = await get(`/api/readings?pod=${POD_B}`, '/api/readings');
  assert.equal(b.body.items.map((x: { seq: number }) => x.seq), [1, 2, 3, 4]);
  const t0 = 1_763_000_000_000;
  const ranged = await get(`/api/readings?pod=${POD_A}&from=${t0 + 2 * 60_000}&to=${new Date(t0 + 4 * 60_000).toISOString()}`, '/api/readings');
  assert.equal(ranged.body.items.map((x: { seq: number }) => x.seq), [2, 3]);
  const pending = await get('/api/readings?status=pending', '/api/readings');
  assert.equal(pending.body.items.map((x: { pod: string; seq: number }) => `${x.pod}:${x.seq}`), [`${POD_A}:5`, `${POD_A}:6`, `${POD_B}:3`, `${POD_B}:4`]);
  const confirmed = await get('/api/readings?status=confirmed', '/api/readings');
  assert.is(confirmed.body.items.length, 6);
});

test('GET /api/readings/{id} returns the signed reading as stored', async () => {
  const r = await get(`/api/readings/${fx.ids.a[1]}`, '/api/readings/{id}');
  assert.is(r.status, 200);
  assert.is(r.body.seq, 2);
  assert.is(r.body.status, 'confirmed');
  assert.is(recoverReadingSigner(DOMAIN, r.body.reading), r.body.device);
  assert.is((await get('/api/readings/999999', '/api/readings/{id}')).status, 404);
});

test('receipts verify: signature, digest, OpenZeppelin proof against the anchored root', async () => {
  for (const id of [fx.ids.a[0]!, fx.ids.a[3]!, fx.ids.b[1]!]) {
    const { status, body: rc } = await get(`/api/readings/${id}/receipt`, '/api/readings/{id}/receipt');
    assert.is(status, 200);
    assert.is(rc.chainId, DEPLOYMENT.chainId);
    assert.equal(rc.contracts, { podRegistry: DEPLOYMENT.podRegistry, readingAnchor: DEPLOYMENT.readingAnchor });
    assert.is(rc.anchor.transaction, ANCHOR_TX);
    assert.is(rc.anchor.blockNumber, 12);
    assert.is(rc.anchor.leafCount, 6);
    assert.is(bytesToHex(readingDigest(DOMAIN, rc.reading)), rc.digest);
    assert.is(recoverReadingSigner(DOMAIN, rc.reading), rc.signer);
    assert.ok(SimpleMerkleTree.verify(rc.anchor.root, rc.digest, rc.proof), 'OpenZeppelin accepts the proof');
    assert.ok(verifyMerkleProof(rc.anchor.root, rc.digest, rc.proof));
    assert.not.ok(SimpleMerkleTree.verify(rc.anchor.root, `0x${'00'.repeat(32)}`, rc.proof), 'and rejects another leaf');
    verifyReceiptOffline(validateReceipt(rc)); // the shared verifier: shape, digest, signer, proof
    const tampered = { ...rc, reading: { ...rc.reading, values: [{ ...rc.reading.values[0], value: rc.reading.values[0].value + 1 }] } };
    assert.throws(() => verifyReceiptOffline(validateReceipt(tampered)), /digest/);
  }
  const pending = await get(`/api/readings/${fx.ids.a[5]}/receipt`, '/api/readings/{id}/receipt');
  assert.is(pending.status, 409);
  assert.is(pending.body.code, 'BAL_READING_NOT_ANCHORED');
});

test('GET /api/certification/getByTransaction returns the anchor and its readings in leaf order', async () => {
  const r = await get(`/api/certification/getByTransaction?transaction=${ANCHOR_TX.toUpperCase().replace('0X', '0x')}`, '/api/certification/getByTransaction');
  assert.is(r.status, 200);
  assert.is(r.body.anchor.index, 0);
  assert.is(r.body.anchor.status, 'confirmed');
  assert.equal(r.body.readings.map((x: { leafIndex: number }) => x.leafIndex), [0, 1, 2, 3, 4, 5]);
  const paged = await get(`/api/certification/getByTransaction?transaction=${ANCHOR_TX}&limit=4`, '/api/certification/getByTransaction');
  assert.is(paged.body.next, '4');
  const rest = await get(`/api/certification/getByTransaction?transaction=${ANCHOR_TX}&limit=4&cursor=4`, '/api/certification/getByTransaction');
  assert.equal(rest.body.readings.map((x: { leafIndex: number }) => x.leafIndex), [4, 5]);
  assert.is(rest.body.next, null);
  const unknown = await get(`/api/certification/getByTransaction?transaction=0x${'ab'.repeat(32)}`, '/api/certification/getByTransaction');
  assert.is(unknown.status, 404);
});

test('nodes: list, one, paging', async () => {
  await fx.store.recordNodeStatus({ pod: POD_A, device: addressOf(KEY_A), state: 'online', ts: 1, lastSeq: 6, spoolDepth: 2, quarantined: 0, agentVersion: '0.1.0' }, 2);
  const all = await get('/api/nodes', '/api/nodes');
  assert.equal(all.body.items.map((n: { pod: string }) => n.pod), [POD_A, POD_B]);
  const p1 = await get('/api/nodes?limit=1', '/api/nodes');
  assert.is(p1.body.next, POD_A);
  const p2 = await get(`/api/nodes?limit=1&cursor=${p1.body.next}`, '/api/nodes');
  assert.equal(p2.body.items.map((n: { pod: string }) => n.pod), [POD_B]);
  assert.is(p2.body.next, null);
  const a = await get(`/api/nodes/${POD_A}`, '/api/nodes/{pod}');
  assert.is(a.body.state, 'online');
  assert.is(a.body.spoolDepth, 2);
  assert.is(a.body.readings, 6);
  assert.is(a.body.lastStoredSeq, 6);
  assert.equal(a.body.rejectedByCode, {});
  assert.is((await get('/api/nodes/IT999E99999999', '/api/nodes/{pod}')).status, 404);
});

test('nodes: rejections by ack code per node (list and one); search by part of a PoD or device', async () => {
  await fx.store.addNodeCounters(POD_B, { rejectedByCode: { BAL_SIGNATURE_INVALID: 2, BAL_TIMESTAMP_FUTURE: 1 } });
  const b = await get(`/api/nodes/${POD_B}`, '/api/nodes/{pod}');
  assert.equal(b.body.rejectedByCode, { BAL_SIGNATURE_INVALID: 2, BAL_TIMESTAMP_FUTURE: 1 });
  assert.is(b.body.rejected, 3);
  const all = await get('/api/nodes', '/api/nodes');
  assert.equal(all.body.items.map((n: { pod: string; rejectedByCode: object }) => [n.pod, n.rejectedByCode]),
    [[POD_A, {}], [POD_B, { BAL_SIGNATURE_INVALID: 2, BAL_TIMESTAMP_FUTURE: 1 }]]);
  const byPod = await get(`/api/nodes?search=${POD_B.slice(-6).toLowerCase()}`, '/api/nodes');
  assert.equal(byPod.body.items.map((n: { pod: string }) => n.pod), [POD_B]);
  const byDevice = await get(`/api/nodes?search=${addressOf(KEY_A).slice(2, 14)}&limit=1`, '/api/nodes');
  assert.equal(byDevice.body.items.map((n: { pod: string }) => n.pod), [POD_A]);
  assert.is(byDevice.body.next, null);
  assert.equal((await get('/api/nodes?search=zzz', '/api/nodes')).body.items, []);
});

test('hostile requests get a 4xx with { code, message }, never a 500', async () => {
  const big = '9'.repeat(400);
  const cases: [string, string][] = [
    ['/api/readings/abc', '/api/readings/{id}'], ['/api/readings/-1', '/api/readings/{id}'], ['/api/readings/1e3', '/api/readings/{id}'],
    ['/api/readings/1.5', '/api/readings/{id}'], ['/api/readings/0x10', '/api/readings/{id}'], [`/api/readings/${big}`, '/api/readings/{id}'],
    ['/api/readings/99999999999999999', '/api/readings/{id}'], ['/api/readings/%ZZ', '/api/readings/{id}'], ['/api/readings/1?x=1', '/api/readings/{id}'],
    ['/api/readings/abc/receipt', '/api/readings/{id}/receipt'], [`/api/readings/${big}/receipt`, '/api/readings/{id}/receipt'],
    ['/api/readings?limit=0', '/api/readings'], ['/api/readings?limit=1001', '/api/readings'], ['/api/readings?limit=abc', '/api/readings'],
    [`/api/readings?limit=${big}`, '/api/readings'], ['/api/readings?limit=-1', '/api/readings'], ['/api/readings?cursor=-5', '/api/readings'],
    ['/api/readings?cursor=1.5', '/api/readings'], [`/api/readings?cursor=${big}`, '/api/readings'], ['/api/readings?from=notadate', '/api/readings'],
    [`/api/readings?from=${big}`, '/api/readings'], ['/api/readings?from=2026-13-45T99:99Z', '/api/readings'], ['/api/readings?from=2000&to=1000', '/api/readings'],
    ['/api/readings?status=bogus', '/api/readings'], ['/api/readings?pod=ITX', '/api/readings'], [`/api/readings?pod=${POD_A}&pod=${POD_B}`, '/api/readings'],
    ['/api/readings?limit[a]=1', '/api/readings'], ['/api/readings?unknown=1', '/api/readings'], ['/api/readings?pod=%00', '/api/readings'],
    ['/api/certification/getByTransaction', '/api/certification/getByTransaction'],
    ['/api/certification/getByTransaction?transaction=0x12', '/api/certification/getByTransaction'],
    [`/api/certification/getByTransaction?transaction=0x${'zz'.repeat(32)}`, '/api/certification/getByTransaction'],
    [`/api/certification/getByTransaction?transaction=${'ab'.repeat(32)}`, '/api/certification/getByTransaction'],
    [`/api/certification/getByTransaction?transaction=${ANCHOR_TX}&cursor=x`, '/api/certification/getByTransaction'],
    [`/api/certification/getByTransaction?transaction=${ANCHOR_TX}&transaction=${ANCHOR_TX}`, '/api/certification/getByTransaction'],
    ['/api/nodes/xyz', '/api/nodes/{pod}'], ['/api/nodes?cursor=bad', '/api/nodes'], ['/api/nodes?limit=5000', '/api/nodes'],
    ['/api/nodes?search=%25', '/api/nodes'], ['/api/nodes?search=a_b', '/api/nodes'], [`/api/nodes?search=${'a'.repeat(43)}`, '/api/nodes'],
  ];
  for (const [path, route] of cases) {
    const r = await get(path, route);
    assert.ok(r.status >= 400 && r.status < 500, `${path} → ${r.status}`);
    assert.type(r.body.code, 'string', path);
    assert.type(r.body.message, 'string', path);
  }
  for (const [method, path] of [['GET', '/api/nope'], ['POST', '/api/readings'], ['DELETE', '/api/readings/1'], ['GET', '/api/readings/1/2/3']] as const) {
    const res = await fetch(fx.api.url + path, { method, headers: { 'x-api-key': KEYS.dso } });
    assert.is(res.status, 404, `${method} ${path}`);
    assert.is((await res.json() as { code: string }).code, 'BAL_API_NOT_FOUND');
  }
  const huge = await fetch(`${fx.api.url}/api/readings?pod=${'A'.repeat(20_000)}`, { headers: { 'x-api-key': KEYS.dso } });
  assert.ok(huge.status >= 400 && huge.status < 500, `huge URL → ${huge.status}`);
  assert.is((await get('/api/readings', '/api/readings')).status, 200, 'still serving');
});

/** Send raw bytes on a fresh connection; resolve with the status code and the JSON body. */
function rawRequest(bytes: string): Promise<{ status: number; body: { code?: string; message?: string } }> {
  const url = new URL(fx.api.url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(url.port), url.hostname, () => sock.write(bytes));
    let out = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => { out += d; });
    sock.on('error', reject);
    sock.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(out);
      const at = out.indexOf('\r\n\r\n');
      try { resolve({ status: m ? Number(m[1]) : 0, body: at < 0 ? {} : JSON.parse(out.slice(at + 4)) }); }
      catch { reject(new Error(`not a JSON answer: ${JSON.stringify(out.slice(0, 300))}`)); }
    });
  });
}

test('requests the HTTP parser refuses also get a 4xx with { code, message }', async () => {
  const cases: [string, number][] = [
    ['GARBAGE\r\n\r\n', 400],
    ['GET api/readings HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['GET /api/readings HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n', 400],
    [`GET /api/readings HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ];
  for (const [bytes, status] of cases) {
    const r = await rawRequest(bytes);
    assert.is(r.status, status, JSON.stringify(bytes.slice(0, 40)));
    assert.is(r.body.code, 'BAL_API_BAD_REQUEST');
    assert.type(r.body.message, 'string');
  }
  assert.is((await get('/api/readings', '/api/readings')).status, 200, 'still serving');
});

test('/healthz and /metrics', async () => {
  const h = await get('/healthz', '/healthz', {});
  assert.is(h.status, 200);
  assert.equal(h.body, { status: 'ok', checks: { store: 'ok' } });
  const m = await fetch(`${fx.api.url}/metrics`);
  assert.is(m.status, 200);
  assert.match(m.headers.get('content-type')!, /text\/plain/);
  const text = await m.text();
  assert.match(text, /bal_api_requests_total\{route="\/api\/readings",status="200"\} \d+/);
  assert.match(text, /bal_api_requests_total\{route="\/api\/readings",status="400"\} \d+/);
  assert.match(text, /# TYPE bal_api_request_seconds histogram/);
  // Every error answer of the tests above is counted under its code (incl. the HTTP parser's refusals).
  const errors = new Map([...text.matchAll(/^bal_api_errors_total\{code="([A-Z_]+)"\} (\d+)$/gm)].map((x) => [x[1]!, Number(x[2])]));
  for (const code of ['BAL_API_QUERY_INVALID', 'BAL_API_UNAUTHORIZED', 'BAL_API_NOT_FOUND', 'BAL_READING_NOT_ANCHORED']) {
    assert.ok(errors.get(code)! >= 1, `${code} counted`);
  }
  assert.ok(errors.get('BAL_API_BAD_REQUEST')! >= 5, 'malformed %-escape + the 4 requests the HTTP parser refused');
  assert.not.ok(errors.has('BAL_API_INTERNAL'), 'no 500 in the whole suite');
});

test.run();
