/**
 * The dashboard's HTTP side without a browser: the page and its assets under a strict CSP (and
 * a clear 503 when the build is missing), and its JSON endpoints validated against the OpenAPI
 * document: settings, anchors with confirmations, rejections by reason (admin/dso only).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDashboard } from '../../tools/dashboard-build.js';
import { ANCHOR_TX, DEPLOYMENT, KEYS, OpenApiValidator, POD_A, startFixture, type Fixture } from '../api/api-fixture.js';
import { prepareAccess, type PreparedAccess } from '../access/consumer-session.js';

const v = new OpenApiValidator();
const built = mkdtempSync(join(tmpdir(), 'dashboard-build-'));
const empty = mkdtempSync(join(tmpdir(), 'dashboard-empty-'));
let fx: Fixture;
let bare: Fixture;
let prepared: PreparedAccess | null = null;
let consumerToken = '';

test.before(async () => {
  await buildDashboard(built);
  // A consumer is a data user (a real login session over the fixture's store); the dso is the fixture's API key.
  prepared = await prepareAccess();
  const access = prepared;
  fx = await startFixture({
    dashboard: { offlineAfterMs: 30_000, explorerBaseUrl: 'https://explorer.example', dir: built, chainHead: async () => 15 },
    access: (store, metrics) => access.service(store, metrics),
  });
  consumerToken = await prepared.consumerOf(POD_A);
  bare = await startFixture({ dashboard: { offlineAfterMs: 30_000, explorerBaseUrl: null, dir: empty, chainHead: async () => { throw new Error('rpc down'); } } });
});
test.after(async () => { await fx?.close(); await prepared?.stop(); await bare?.close(); rmSync(built, { recursive: true, force: true }); rmSync(empty, { recursive: true, force: true }); });

/** The JSON body, untyped (the OpenAPI validator checks it). */
const json = async (r: Response): Promise<any> => r.json();
const get = (f: Fixture, path: string, key?: string | { bearer: string }): Promise<Response> => fetch(f.api.url + path, {
  redirect: 'manual', ...(typeof key === 'string' ? { headers: { 'x-api-key': key } } : key ? { headers: { authorization: `Bearer ${key.bearer}` } } : {}),
});

test('/ redirects to /ui/; the page and its two assets are served with a strict CSP, nothing else is', async () => {
  const root = await get(fx, '/');
  assert.is(root.status, 302);
  assert.is(root.headers.get('location'), '/ui/');
  for (const [path, type] of [['/ui/', 'text/html'], ['/ui', 'text/html'], ['/ui/app.js', 'text/javascript'], ['/ui/app.css', 'text/css']] as const) {
    const r = await get(fx, path);
    assert.is(r.status, 200, path);
    assert.ok(r.headers.get('content-type')?.startsWith(type), `${path}: ${r.headers.get('content-type')}`);
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.not.match(csp, /unsafe-inline|unsafe-eval|http/);
    assert.is(r.headers.get('x-content-type-options'), 'nosniff');
    await r.arrayBuffer();
  }
  for (const path of ['/ui/index.js', '/ui/..%2Fpackage.json', '/ui/app.js.map']) {
    const r = await get(fx, path);
    assert.is(r.status, 404, path);
    assert.is((await json(r)).code, 'BAL_API_NOT_FOUND');
  }
});

test('without a build the page answers 503 BAL_API_DASHBOARD_NOT_BUILT', async () => {
  const r = await get(bare, '/ui/');
  assert.is(r.status, 503);
  const body = await json(r);
  assert.is(body.code, 'BAL_API_DASHBOARD_NOT_BUILT');
  assert.match(body.message, /pnpm build/);
});

test('settings need credentials and describe this BAL', async () => {
  const none = await get(fx, '/api/dashboard/config');
  v.check('/api/dashboard/config', none.status, await json(none));
  assert.is(none.status, 401);
  const r = await get(fx, '/api/dashboard/config', { bearer: consumerToken });
  const body = await json(r);
  v.check('/api/dashboard/config', r.status, body);
  assert.equal(body, { offlineAfterMs: 30_000, explorerBaseUrl: 'https://explorer.example', chainId: DEPLOYMENT.chainId, contracts: { podRegistry: DEPLOYMENT.podRegistry, readingAnchor: DEPLOYMENT.readingAnchor } });
});

test('anchors, newest first, with confirmations from the chain head (null when the chain is down)', async () => {
  const r = await get(fx, '/api/anchors?limit=5', KEYS.dso);
  const body = await json(r);
  v.check('/api/anchors', r.status, body);
  assert.is(body.head, 15);
  assert.is(body.items.length, 1);
  assert.is(body.items[0].transaction, ANCHOR_TX);
  assert.is(body.items[0].confirmations, 15 - 12 + 1);
  assert.is(body.next, null);
  const down = await json(await get(bare, '/api/anchors', KEYS.dso));
  v.check('/api/anchors', 200, down);
  assert.is(down.head, null);
  assert.is(down.items[0].confirmations, null);
  const bad = await get(fx, '/api/anchors?limit=0', KEYS.dso);
  v.check('/api/anchors', bad.status, await json(bad));
  assert.is(bad.status, 400);
  const past = await json(await get(fx, '/api/anchors?cursor=0', KEYS.dso));
  assert.equal(past.items, []);
});

test('rejections by reason: every ack code, summed over the nodes in the store, for dso only', async () => {
  const r = await get(fx, '/api/ingest/rejections', KEYS.dso);
  const body = await json(r);
  v.check('/api/ingest/rejections', r.status, body);
  assert.is(body.byCode.BAL_SIGNATURE_INVALID, 0);
  assert.is(Object.keys(body.byCode).length, 8);
  await fx.store.addNodeCounters(POD_A, { rejectedByCode: { BAL_SIGNATURE_INVALID: 2 } });
  await fx.store.addNodeCounters('IT001E00000077', { rejectedByCode: { BAL_SIGNATURE_INVALID: 1, BAL_POD_UNKNOWN: 1 } });
  const after = await json(await get(fx, '/api/ingest/rejections', KEYS.dso));
  assert.is(after.byCode.BAL_SIGNATURE_INVALID, 3, 'from the store: survives a BAL restart');
  assert.is(after.byCode.BAL_POD_UNKNOWN, 1);
  assert.is(after.byCode.BAL_TIMESTAMP_FUTURE, 0);
  const asConsumer = await get(fx, '/api/ingest/rejections', { bearer: consumerToken });
  v.check('/api/ingest/rejections', asConsumer.status, await json(asConsumer));
  assert.is(asConsumer.status, 403);
});

test.run();
