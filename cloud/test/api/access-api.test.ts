/**
 * The data-access REST routes end to end over HTTP: a SQLite store holding readings and users,
 * the service over the real parts (../access/real-parts.ts: anvil with the SubscriptionRegistry,
 * the embedded aedes broker and its enforcer); every answer validated against the OpenAPI
 * document. Readings, receipts and nodes follow the caller's accepted subscriptions.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet } from 'ethers';
import { certifiedTopic } from '@lightnode/shared/topics';
import { chainPerSuite, grantDsoAdmin } from '@lightnode/test-kit/chain';
import { createDataAccessService, type DataAccessService } from '../../src/access/service.js';
import { createLogger } from '../../src/log.js';
import { ANCHOR_TX, KEYS, OpenApiValidator, POD_A, POD_B, startFixture, type Fixture } from './api-fixture.js';
import { TEST_SCRYPT, startAccessParts, trySubscribe, type AccessParts } from '../access/real-parts.js';

const TA = certifiedTopic(POD_A);
const TB = certifiedTopic(POD_B);
const PW = 'correct horse battery';
const BYO = new Wallet(`0x${'4c'.repeat(32)}`);
const v = new OpenApiValidator();
const chain = chainPerSuite(test);
let fx: Fixture;
let off: Fixture;
let svc: DataAccessService;
let parts: AccessParts;
const logLines: string[] = [];
const bodies: string[] = [];
const tokens: Record<string, string> = {};

type Method = 'get' | 'post' | 'put' | 'patch';
interface Opts { token?: string; key?: string; body?: unknown; raw?: string; base?: Fixture }

/** Call, validate the answer against the OpenAPI document for (method, route), return status + body. */
async function call(method: Method, path: string, route: string, o: Opts = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.key) headers['x-api-key'] = o.key;
  if (o.body !== undefined || o.raw !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch((o.base ?? fx).api.url + path, { method: method.toUpperCase(), headers, ...(o.raw !== undefined ? { body: o.raw } : o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) });
  const text = await res.text();
  const body = res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  bodies.push(text);
  v.check(route, res.status, body, method);
  return { status: res.status, body, headers: res.headers };
}

test.before(async () => {
  const log = createLogger({ level: 'debug', write: (l) => { logLines.push(l); } });
  parts = await startAccessParts(chain());
  fx = await startFixture({
    log,
    access: (store, metrics) => {
      svc = createDataAccessService({ store, certifier: parts.certifier, enforcer: parts.enforcer, masterKey: new Uint8Array(32).fill(5), metrics, log, passwordParams: TEST_SCRYPT });
      parts.bind(svc);
      return svc;
    },
  });
  off = await startFixture();
  const admin = await svc.createUser({ username: 'dso-admin', role: 'admin', password: PW });
  await grantDsoAdmin(chain(), admin.wallet);
});
test.after(async () => { await parts?.close(); await fx?.close(); await off?.close(); });

test('login, me, users (admin): create, list, patch, streams', async () => {
  const l = await call('post', '/api/login', '/api/login', { body: { username: 'dso-admin', password: PW } });
  assert.is(l.status, 200);
  assert.is(l.body.user.role, 'admin');
  tokens.admin = l.body.token;
  const A = { token: tokens.admin };
  for (const [username, role, extra] of [['prod-a', 'producer', { pods: [POD_A] }], ['prod-b', 'producer', {}], ['cons', 'consumer', {}], ['byo', 'consumer', { wallet: BYO.address }]] as const) {
    const c = await call('post', '/api/users', '/api/users', { ...A, body: { username, role, password: PW, ...extra } });
    assert.is(c.status, 201, JSON.stringify(c.body));
    assert.is(c.body.username, username);
  }
  const s = await call('post', '/api/users/prod-b/streams', '/api/users/{username}/streams', { ...A, body: { pod: POD_B } });
  assert.equal(s.body, { producer: 'prod-b', topic: TB, pod: POD_B });
  assert.is(s.status, 201);
  const list = await call('get', '/api/users', '/api/users', A);
  assert.equal(list.body.items.map((x: { username: string }) => x.username), ['dso-admin', 'prod-a', 'prod-b', 'cons', 'byo']);
  assert.equal((await call('get', '/api/users?role=producer', '/api/users', A)).body.items.map((x: { pods: string[] }) => x.pods), [[POD_A], [POD_B]]);
  for (const name of ['prod-a', 'prod-b', 'cons', 'byo']) {
    tokens[name] = (await call('post', '/api/login', '/api/login', { body: { username: name, password: PW } })).body.token;
  }
  const me = await call('get', '/api/me', '/api/me', { token: tokens.byo });
  assert.equal([me.body.username, me.body.wallet, me.body.custody], ['byo', BYO.address.toLowerCase(), 'external']);
  // Disable / enable and password through PATCH; the disabled user's session ends.
  const d = await call('patch', '/api/users/prod-b', '/api/users/{username}', { ...A, body: { enabled: false } });
  assert.is(d.body.enabled, false);
  assert.is((await call('get', '/api/me', '/api/me', { token: tokens['prod-b'] })).status, 401);
  assert.is((await call('patch', '/api/users/prod-b', '/api/users/{username}', { ...A, body: { enabled: true, password: 'prod b new password' } })).body.enabled, true);
  tokens['prod-b'] = (await call('post', '/api/login', '/api/login', { body: { username: 'prod-b', password: 'prod b new password' } })).body.token;
  // My password: needs the current one; ends my sessions.
  const t = (await call('post', '/api/login', '/api/login', { body: { username: 'cons', password: PW } })).body.token;
  assert.is((await call('put', '/api/me/password', '/api/me/password', { token: t, body: { currentPassword: 'nope nope nope', newPassword: 'cons new password' } })).status, 403);
  assert.is((await call('put', '/api/me/password', '/api/me/password', { token: t, body: { currentPassword: PW, newPassword: 'cons new password' } })).status, 204);
  assert.is((await call('get', '/api/me', '/api/me', { token: tokens.cons })).status, 401);
  tokens.cons = (await call('post', '/api/login', '/api/login', { body: { username: 'cons', password: 'cons new password' } })).body.token;
  // Logout.
  const t2 = (await call('post', '/api/login', '/api/login', { body: { username: 'cons', password: 'cons new password' } })).body.token;
  assert.is((await call('post', '/api/logout', '/api/logout', { token: t2 })).status, 204);
  assert.is((await call('get', '/api/me', '/api/me', { token: t2 })).status, 401);
});

test('subscriptions: request, accept, the consumer\'s readings follow; revoke takes them away', async () => {
  const C = { token: tokens.cons };
  assert.equal((await call('get', '/api/readings', '/api/readings', C)).body.items, [], 'no accepted subscription: no readings');
  assert.equal((await call('get', '/api/nodes', '/api/nodes', C)).body.items, []);
  const producers = await call('get', '/api/producers', '/api/producers', C);
  assert.equal(producers.body.items.map((r: { producer: string; topic: string; status: null }) => [r.producer, r.topic, r.status]), [['prod-a', TA, null], ['prod-b', TB, null]]);
  const r = await call('post', '/api/subscriptions', '/api/subscriptions', { ...C, body: { topic: TA } });
  assert.is(r.status, 201);
  assert.is(r.body.status, 'requested');
  const id = r.body.id as number;
  assert.is((await call('get', '/api/producers', '/api/producers', C)).body.items[0].status, 'requested');
  const a = await call('post', `/api/subscriptions/${id}/accept`, '/api/subscriptions/{id}/accept', { token: tokens['prod-a'] });
  assert.is(a.status, 200);
  assert.is(a.body.status, 'accepted');
  assert.is((await parts.reader.subscriptionOf(a.body.providerWallet, a.body.consumerWallet, TA))?.status, 'accepted', 'recorded on chain');
  const m = await parts.mqttClient('cons', 'cons new password');
  assert.is(await trySubscribe(m, TA), 1, 'the broker serves the accepted stream');
  assert.is(await trySubscribe(m, TB), 128, 'and no other');
  await m.endAsync(true);
  const mine = await call('get', '/api/readings', '/api/readings', C);
  assert.equal(mine.body.items.map((x: { id: number }) => x.id), fx.ids.a);
  assert.is((await call('get', `/api/readings?pod=${POD_B}`, '/api/readings', C)).status, 403);
  assert.is((await call('get', `/api/readings/${fx.ids.b[0]}`, '/api/readings/{id}', C)).status, 404);
  assert.is((await call('get', `/api/readings/${fx.ids.a[0]}/receipt`, '/api/readings/{id}/receipt', C)).status, 200);
  assert.equal((await call('get', '/api/nodes', '/api/nodes', C)).body.items.map((n: { pod: string }) => n.pod), [POD_A]);
  const cert = await call('get', `/api/certification/getByTransaction?transaction=${ANCHOR_TX}`, '/api/certification/getByTransaction', C);
  assert.ok(cert.body.readings.length > 0 && cert.body.readings.every((x: { pod: string }) => x.pod === POD_A));
  // Producers read their own PoDs, admin all.
  assert.ok((await call('get', '/api/readings', '/api/readings', { token: tokens['prod-b'] })).body.items.every((x: { pod: string }) => x.pod === POD_B));
  assert.is((await call('get', '/api/readings', '/api/readings', { token: tokens.admin })).body.items.length, fx.ids.a.length + fx.ids.b.length);

  const one = await call('get', `/api/subscriptions/${id}`, '/api/subscriptions/{id}', C);
  assert.is(one.body.status, 'accepted');
  const listed = await call('get', `/api/subscriptions?status=accepted&topic=${encodeURIComponent(TA)}`, '/api/subscriptions', { token: tokens['prod-a'] });
  assert.equal(listed.body.items.map((s: { id: number }) => s.id), [id]);
  assert.equal((await call('get', '/api/subscriptions', '/api/subscriptions', { token: tokens['prod-b'] })).body.items, []);
  assert.is((await call('get', '/api/subscriptions', '/api/subscriptions', { key: KEYS.dso })).body.items.length, 1, 'a dso key reads all');
  const rv = await call('post', `/api/subscriptions/${id}/revoke`, '/api/subscriptions/{id}/revoke', { token: tokens.admin });
  assert.is(rv.body.status, 'revoked');
  assert.is((await parts.reader.subscriptionOf(rv.body.providerWallet, rv.body.consumerWallet, TA))?.status, 'revoked', 'recorded on chain');
  assert.not.ok(parts.broker.grants.has('cons', TA), 'the broker grant is gone');
  assert.equal((await call('get', '/api/readings', '/api/readings', C)).body.items, []);
  const again = await call('post', '/api/subscriptions', '/api/subscriptions', { ...C, body: { topic: TA } });
  assert.is(again.body.id, id);
  assert.is((await call('post', `/api/subscriptions/${id}/refuse`, '/api/subscriptions/{id}/refuse', { token: tokens['prod-a'] })).body.status, 'refused');
  await call('post', '/api/subscriptions', '/api/subscriptions', { ...C, body: { topic: TA } });
  await call('post', `/api/subscriptions/${id}/accept`, '/api/subscriptions/{id}/accept', { token: tokens['prod-a'] });
  const h = await call('get', `/api/subscriptions/${id}/history`, '/api/subscriptions/{id}/history', C);
  assert.equal(h.body.items.map((e: { action: string }) => e.action), ['request', 'accept', 'revoke', 'request', 'refuse', 'request', 'accept']);
  // cancel by the consumer
  const other = await call('post', '/api/subscriptions', '/api/subscriptions', { ...C, body: { topic: TB } });
  assert.is((await call('post', `/api/subscriptions/${other.body.id}/cancel`, '/api/subscriptions/{id}/cancel', { ...C, body: {} })).body.status, 'cancelled');
});

test('bring-your-own wallet: typed data, then the signed request and decision', async () => {
  const B = { token: tokens.byo };
  const td = await call('get', `/api/subscriptions/typed-data?topic=${encodeURIComponent(TA)}`, '/api/subscriptions/typed-data', B);
  assert.is(td.status, 200);
  const { EIP712Domain: _d, ...types } = td.body.typedData.types;
  const signature = await BYO.signTypedData(td.body.typedData.domain, types, td.body.typedData.message);
  const noSig = await call('post', '/api/subscriptions', '/api/subscriptions', { ...B, body: { topic: TA } });
  assert.is(noSig.status, 400);
  assert.is(noSig.body.code, 'BAL_ACCESS_SIGNATURE_INVALID');
  const r = await call('post', '/api/subscriptions', '/api/subscriptions', { ...B, body: { topic: TA, signature, deadline: td.body.deadline } });
  assert.is(r.status, 201, JSON.stringify(r.body));
  const replay = await call('post', '/api/subscriptions', '/api/subscriptions', { ...B, body: { topic: TB, signature, deadline: td.body.deadline } });
  assert.is(replay.body.code, 'BAL_ACCESS_SIGNATURE_INVALID');
  const c = await call('get', `/api/subscriptions/${r.body.id}/typed-data?action=cancel`, '/api/subscriptions/{id}/typed-data', B);
  assert.is(c.body.nonce, '1');
  const sig2 = await BYO.signTypedData(c.body.typedData.domain, types, c.body.typedData.message);
  const done = await call('post', `/api/subscriptions/${r.body.id}/cancel`, '/api/subscriptions/{id}/cancel', { ...B, body: { signature: sig2, deadline: c.body.deadline } });
  assert.is(done.body.status, 'cancelled');
});

test('the seed\'s certification endpoints: both body casings, both topic encodings; getByTransaction still routed', async () => {
  const cons = (await call('get', '/api/me', '/api/me', { token: tokens.cons })).body.wallet;
  const prodA = (await call('get', '/api/me', '/api/me', { token: tokens['prod-a'] })).body.wallet;
  const lower = await call('post', '/api/certification', '/api/certification', { key: KEYS.dso, body: { providerId: prodA, consumerId: cons, topic: TA } });
  assert.is(lower.status, 200, JSON.stringify(lower.body));
  assert.is(lower.body.status, 'accepted');
  assert.match(lower.body.transaction, /^0x[0-9a-f]{64}$/);
  const upper = await call('post', '/api/certification', '/api/certification', { token: tokens.cons, body: { ProviderId: prodA, ConsumerId: cons, Topic: TA } });
  assert.equal(upper.body, lower.body);
  assert.is((await call('post', '/api/certification', '/api/certification', { token: tokens.byo, body: { providerId: prodA, consumerId: cons, topic: TA } })).status, 403, 'another consumer');
  const encoded = await call('get', `/api/certification/${encodeURIComponent(TA)}`, '/api/certification/{topic}', { token: tokens.cons });
  assert.is(encoded.status, 200);
  assert.is(encoded.body.topic, TA);
  const raw = await call('get', `/api/certification/${TA}`, '/api/certification/{topic}', { key: KEYS.dso });
  assert.equal(raw.body, encoded.body);
  assert.ok(raw.body.subscriptions.some((s: { consumer: string; status: string }) => s.consumer === cons && s.status === 'accepted'));
  assert.is((await call('get', `/api/certification/getByTransaction?transaction=${ANCHOR_TX}`, '/api/certification/getByTransaction')).status, 401, 'still the anchor route (needs credentials)');
  assert.is((await call('get', `/api/certification/getByTransaction?transaction=${ANCHOR_TX}`, '/api/certification/getByTransaction', { key: KEYS.dso })).status, 200);
});

test('bad input: a coded 4xx each (never 500), counted; rate-limited logins get 429 + Retry-After', async () => {
  const A = { token: tokens.admin };
  const C = { token: tokens.cons };
  const P = { token: tokens['prod-b'] };
  const subId = (await call('get', '/api/subscriptions', '/api/subscriptions', C)).body.items[0].id;
  const cases: [Method, string, string, Opts, number, string][] = [
    ['post', '/api/login', '/api/login', { raw: '{bad json' }, 400, 'BAL_API_BAD_REQUEST'],
    ['post', '/api/login', '/api/login', { body: [1, 2] }, 400, 'BAL_API_BODY_INVALID'],
    ['post', '/api/login', '/api/login', { body: { username: 'cons', password: PW, extra: 1 } }, 400, 'BAL_API_BODY_INVALID'],
    ['post', '/api/login', '/api/login', { body: { username: 'cons', password: 'wrong password' } }, 401, 'BAL_ACCESS_LOGIN_FAILED'],
    ['post', '/api/login', '/api/login', { body: { username: 42, password: {} } }, 401, 'BAL_ACCESS_LOGIN_FAILED'],
    ['post', '/api/logout', '/api/logout', { key: KEYS.dso }, 403, 'BAL_ACCESS_FORBIDDEN'],
    ['get', '/api/me', '/api/me', {}, 401, 'BAL_API_UNAUTHORIZED'],
    ['get', '/api/me', '/api/me', { key: KEYS.dso }, 403, 'BAL_ACCESS_FORBIDDEN'],
    ['get', '/api/users', '/api/users', C, 403, 'BAL_ACCESS_FORBIDDEN'],
    ['get', '/api/users?role=root', '/api/users', A, 400, 'BAL_API_QUERY_INVALID'],
    ['post', '/api/users', '/api/users', { ...A, body: { username: 'x', role: 'consumer', password: PW } }, 400, 'BAL_ACCESS_USER_INVALID'],
    ['post', '/api/users', '/api/users', { ...A, body: { username: 'cons', role: 'consumer', password: PW } }, 409, 'BAL_ACCESS_USER_EXISTS'],
    ['post', '/api/users', '/api/users', { ...A, body: { username: 'newbie', role: 'consumer', password: PW, wallet: '0xzz' } }, 400, 'BAL_ACCESS_USER_INVALID'],
    ['post', '/api/users', '/api/users', { ...A, body: { username: 'prod-c', role: 'producer', password: PW, pods: [POD_A] } }, 409, 'BAL_ACCESS_TOPIC_EXISTS'],
    ['post', '/api/users', '/api/users', { ...C, body: { username: 'newbie', role: 'admin', password: PW } }, 403, 'BAL_ACCESS_FORBIDDEN'],
    ['patch', '/api/users/nobody', '/api/users/{username}', { ...A, body: { enabled: false } }, 404, 'BAL_ACCESS_USER_UNKNOWN'],
    ['patch', '/api/users/cons', '/api/users/{username}', { ...A, body: { enabled: 'no' } }, 400, 'BAL_API_BODY_INVALID'],
    ['patch', '/api/users/cons', '/api/users/{username}', { ...A, body: {} }, 400, 'BAL_API_BODY_INVALID'],
    ['patch', '/api/users/cons', '/api/users/{username}', { ...A, body: { password: 'short' } }, 400, 'BAL_ACCESS_USER_INVALID'],
    ['post', '/api/users/cons/streams', '/api/users/{username}/streams', { ...A, body: { pod: 'IT001E00000005' } }, 400, 'BAL_ACCESS_USER_INVALID'],
    ['post', '/api/users/prod-a/streams', '/api/users/{username}/streams', { ...A, body: { pod: 'bad' } }, 400, 'BAL_ACCESS_USER_INVALID'],
    ['put', '/api/me/password', '/api/me/password', { ...C, body: { currentPassword: 'cons new password', newPassword: 'short' } }, 400, 'BAL_ACCESS_USER_INVALID'],
    ['get', '/api/subscriptions?status=bogus', '/api/subscriptions', C, 400, 'BAL_API_QUERY_INVALID'],
    ['get', '/api/subscriptions?x=1', '/api/subscriptions', C, 400, 'BAL_API_QUERY_INVALID'],
    ['post', '/api/subscriptions', '/api/subscriptions', { ...C, body: { topic: 'certified/v1/IT001E99999999/readings' } }, 404, 'BAL_ACCESS_TOPIC_UNKNOWN'],
    ['post', '/api/subscriptions', '/api/subscriptions', { ...C, body: { topic: 42 } }, 404, 'BAL_ACCESS_TOPIC_UNKNOWN'],
    ['post', '/api/subscriptions', '/api/subscriptions', { ...C, body: { topic: TA } }, 409, 'BAL_ACCESS_DUPLICATE_REQUEST'],
    ['post', '/api/subscriptions', '/api/subscriptions', { ...C, body: { topic: TB, signature: 5 } }, 400, 'BAL_API_BODY_INVALID'],
    ['post', '/api/subscriptions', '/api/subscriptions', { key: KEYS.dso, body: { topic: TB } }, 403, 'BAL_ACCESS_FORBIDDEN'],
    ['post', '/api/subscriptions', '/api/subscriptions', { ...P, body: { topic: TA } }, 403, 'BAL_ACCESS_FORBIDDEN'],
    ['post', `/api/subscriptions/${subId}/accept`, '/api/subscriptions/{id}/accept', C, 403, 'BAL_ACCESS_SELF_DECISION'],
    ['post', `/api/subscriptions/${subId}/revoke`, '/api/subscriptions/{id}/revoke', P, 403, 'BAL_ACCESS_NOT_TOPIC_OWNER'],
    ['post', `/api/subscriptions/${subId}/accept`, '/api/subscriptions/{id}/accept', { token: tokens['prod-a'] }, 409, 'BAL_ACCESS_TRANSITION_INVALID'],
    ['post', '/api/subscriptions/999999/accept', '/api/subscriptions/{id}/accept', A, 404, 'BAL_ACCESS_SUBSCRIPTION_UNKNOWN'],
    ['post', '/api/subscriptions/abc/accept', '/api/subscriptions/{id}/accept', A, 400, 'BAL_API_QUERY_INVALID'],
    ['get', '/api/subscriptions/999999', '/api/subscriptions/{id}', C, 404, 'BAL_ACCESS_SUBSCRIPTION_UNKNOWN'],
    ['get', `/api/subscriptions/${subId}`, '/api/subscriptions/{id}', { token: tokens.byo }, 404, 'BAL_ACCESS_SUBSCRIPTION_UNKNOWN'],
    ['get', '/api/subscriptions/-1/history', '/api/subscriptions/{id}/history', C, 400, 'BAL_API_QUERY_INVALID'],
    ['get', `/api/subscriptions/${subId}/typed-data`, '/api/subscriptions/{id}/typed-data', C, 400, 'BAL_API_QUERY_INVALID'],
    ['get', `/api/subscriptions/${subId}/typed-data?action=grab`, '/api/subscriptions/{id}/typed-data', C, 400, 'BAL_API_QUERY_INVALID'],
    ['get', '/api/subscriptions/typed-data?action=accept', '/api/subscriptions/typed-data', C, 400, 'BAL_API_QUERY_INVALID'],
    ['post', '/api/certification', '/api/certification', { key: KEYS.dso, body: { providerId: '0x12', consumerId: '0x34', topic: TA } }, 400, 'BAL_ACCESS_USER_INVALID'],
    ['post', '/api/certification', '/api/certification', { key: KEYS.dso, body: { providerId: `0x${'11'.repeat(20)}`, ProviderId: `0x${'11'.repeat(20)}` } }, 400, 'BAL_API_BODY_INVALID'],
    ['post', '/api/certification', '/api/certification', { key: KEYS.dso, body: { providerId: `0x${'11'.repeat(20)}`, consumerId: `0x${'22'.repeat(20)}`, topic: 'nope' } }, 404, 'BAL_ACCESS_TOPIC_UNKNOWN'],
    ['get', '/api/certification/certified%2Fv1%2FIT001E99999999%2Freadings', '/api/certification/{topic}', C, 404, 'BAL_ACCESS_TOPIC_UNKNOWN'],
    ['get', '/api/certification/a/b/c', '/api/certification/{topic}', C, 404, 'BAL_ACCESS_TOPIC_UNKNOWN'],
    ['get', `/api/certification/${TA}`, '/api/certification/{topic}', {}, 401, 'BAL_API_UNAUTHORIZED'],
  ];
  const before = await fetch(`${fx.api.url}/metrics`).then((r) => r.text());
  for (const [method, path, route, o, status, code] of cases) {
    const r = await call(method, path, route, o);
    assert.is(r.status, status, `${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
    assert.is(r.body.code, code, `${method} ${path}`);
  }
  const after = await fetch(`${fx.api.url}/metrics`).then((r) => r.text());
  const count = (text: string, code: string): number => Number(new RegExp(`^bal_api_errors_total\\{code="${code}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  for (const code of new Set(cases.map((c) => c[5]))) assert.ok(count(after, code) > count(before, code), `${code} counted`);
  assert.match(after, /bal_access_refusals_total\{code="BAL_ACCESS_SELF_DECISION"\} [1-9]/);
  assert.not.match(after, /bal_api_errors_total\{code="BAL_API_INTERNAL"\}/);

  // Brute force: 5 failures for one user, then 429 with Retry-After even with the right password.
  for (let i = 0; i < 5; i++) await call('post', '/api/login', '/api/login', { body: { username: 'byo', password: `wrong ${i} wrong` } });
  const limited = await call('post', '/api/login', '/api/login', { body: { username: 'byo', password: PW } });
  assert.is(limited.status, 429);
  assert.is(limited.body.code, 'BAL_ACCESS_LOGIN_RATE_LIMITED');
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
});

test('without a data-access service the routes answer 503 BAL_ACCESS_DISABLED; API keys keep working', async () => {
  for (const [method, path, route, o] of [
    ['post', '/api/login', '/api/login', { body: { username: 'a', password: 'b' } }], ['get', '/api/me', '/api/me', { key: KEYS.dso }],
    ['get', '/api/subscriptions', '/api/subscriptions', { key: KEYS.dso }], ['post', '/api/certification', '/api/certification', { key: KEYS.dso, body: {} }],
    ['get', `/api/certification/${TA}`, '/api/certification/{topic}', { key: KEYS.dso }], ['get', '/api/producers', '/api/producers', { key: KEYS.dso }],
  ] as [Method, string, string, Opts][]) {
    const r = await call(method, path, route, { ...o, base: off });
    assert.is(r.status, 503, path);
    assert.is(r.body.code, 'BAL_ACCESS_DISABLED');
  }
  assert.is((await call('get', '/api/readings', '/api/readings', { key: KEYS.dso, base: off })).status, 200);
  assert.is((await call('get', '/api/readings', '/api/readings', { token: KEYS.dsoToken, base: off })).status, 200);
  assert.is((await call('get', '/api/readings', '/api/readings', { token: KEYS.dsoToken })).status, 200, 'config tokens still work beside sessions');
});

test('no password, hash or key in any answer or log line', () => {
  const all = bodies.join('\n') + logLines.join('\n');
  for (const secret of [PW, 'cons new password', 'prod b new password', 'scrypt', 'passwordHash', 'encryptedKey', 'v1:']) assert.not.ok(all.includes(secret), secret);
  assert.ok(logLines.some((l) => l.includes('access decision')));
});

test.run();
