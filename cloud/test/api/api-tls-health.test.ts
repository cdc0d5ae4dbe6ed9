import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEYS, OpenApiValidator, startFixture, type Fixture } from './api-fixture.js';
import { selfSignedCert } from '../tls-cert.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-api-tls-'));
const { certPath, keyPath } = selfSignedCert(dir);

let fx: Fixture;
let chainUp = true;
test.before(async () => {
  fx = await startFixture({ tls: { certPath, keyPath }, health: { chain: async () => { if (!chainUp) throw new Error('rpc unreachable'); return 'ok'; } } });
});
test.after(async () => { await fx?.close(); rmSync(dir, { recursive: true, force: true }); });

function httpsGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${fx.api.url}${path}`, { ca: readFileSync(certPath), headers }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the API serves HTTPS with the configured certificate', async () => {
  assert.match(fx.api.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const r = await httpsGet('/api/readings?limit=2', { 'x-api-key': KEYS.dso });
  assert.is(r.status, 200);
  new OpenApiValidator().check('/api/readings', 200, r.body);
  assert.is(r.body.items.length, 2);
});

test('/healthz reports a failing dependency as 503 degraded', async () => {
  const v = new OpenApiValidator();
  let r = await httpsGet('/healthz');
  assert.is(r.status, 200);
  v.check('/healthz', 200, r.body);
  chainUp = false;
  r = await httpsGet('/healthz');
  assert.is(r.status, 503);
  v.check('/healthz', 503, r.body);
  assert.equal(r.body, { status: 'degraded', checks: { store: 'ok', chain: 'rpc unreachable' } });
});

test('the validator itself rejects responses that break the schema', () => {
  const v = new OpenApiValidator();
  assert.throws(() => v.check('/api/readings', 200, { items: [], next: 5 }), /does not match/);
  assert.throws(() => v.check('/api/readings', 200, { items: [{ id: 1 }], next: null }), /does not match/);
  assert.throws(() => v.check('/api/readings', 500, { code: 'X', message: 'y' }), /not documented/);
  assert.throws(() => v.check('/api/readings/{id}', 404, { message: 'no code' }), /does not match/);
});

test.run();
