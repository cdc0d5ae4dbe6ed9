// S-BAP-01: `bal check-config` (and so `bal run`, which loads the config the same way) refuses
// plain MQTT or HTTP on a non-loopback address unless the config says `allowPlaintext: true`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-plaintext-config-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'dep.json'), JSON.stringify({ rpcUrl: 'http://127.0.0.1:8545', chainId: 31337, podRegistry: `0x${'11'.repeat(20)}`, readingAnchor: `0x${'22'.repeat(20)}`, deployBlock: 0, admin: `0x${'33'.repeat(20)}` }));
writeFileSync(join(dir, 'c.pem'), 'cert');
writeFileSync(join(dir, 'k.pem'), 'key');

let n = 0;
/** `bal check-config` on this config (anchoring off, chain from dep.json), with env overrides. */
async function check(config: Record<string, unknown>, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(dir, `bal-${n++}.json`);
  writeFileSync(file, JSON.stringify({ chain: { deploymentPath: 'dep.json' }, anchoring: { enabled: false }, ...config }));
  let stdout = '';
  let stderr = '';
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const code = await main(['check-config', '--config', file], { out: (l) => { stdout += `${l}\n`; }, err: (t) => { stderr += t; } });
    return { code, stdout, stderr };
  } finally {
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  }
}

test('loopback defaults pass', async () => {
  const r = await check({});
  assert.is(r.code, 0, r.stderr);
  assert.is(JSON.parse(r.stdout).ok, true);
  assert.is((await check({ broker: { host: '127.0.0.1' }, api: { host: 'localhost' } })).code, 0);
});

test('plain MQTT of the embedded broker on the network: refused, naming broker.port; TLS-only passes', async () => {
  const r = await check({ broker: { host: '0.0.0.0' } });
  assert.is(r.code, 2);
  assert.match(r.stderr, /CONFIG_INVALID.*broker\.port: expected TLS off loopback, or allowPlaintext: true; found plain MQTT on 0\.0\.0\.0:1883/);
  // TLS listener also on: the plain port still is plaintext on the network
  assert.is((await check({ broker: { host: '0.0.0.0', tls: { certPath: 'c.pem', keyPath: 'k.pem' } } })).code, 2);
  const tlsOnly = await check({ broker: { host: '0.0.0.0', port: null, tls: { certPath: 'c.pem', keyPath: 'k.pem' } } });
  assert.is(tlsOnly.code, 0, tlsOnly.stderr);
  // the same through the environment (BAL_BROKER_HOST), as a container would set it
  assert.is((await check({}, { BAL_BROKER_HOST: '192.0.2.2' })).code, 2);
});

test('plain HTTP API on the network: refused, naming api.tls; with api.tls it passes', async () => {
  const r = await check({ api: { host: '0.0.0.0' } });
  assert.is(r.code, 2);
  assert.match(r.stderr, /api\.tls: expected TLS off loopback, or allowPlaintext: true; found plain HTTP on 0\.0\.0\.0/);
  assert.is((await check({ api: { host: '0.0.0.0', tls: { certPath: 'c.pem', keyPath: 'k.pem' } } })).code, 0);
});

test('an external broker by mqtt:// or ws:// on another host: refused; mqtts:// or loopback pass', async () => {
  const r = await check({ broker: { kind: 'external', url: 'mqtt://broker.example:1883' } });
  assert.is(r.code, 2);
  assert.match(r.stderr, /broker\.url: expected TLS off loopback, or allowPlaintext: true; found mqtt:\/\/ to broker\.example/);
  assert.is((await check({ broker: { kind: 'external', url: 'ws://192.0.2.10:9001/mqtt' } })).code, 2);
  assert.is((await check({ broker: { kind: 'external', url: 'mqtts://broker.example:8883' } })).code, 0);
  assert.is((await check({ broker: { kind: 'external', url: 'mqtt://127.0.0.1:1883' } })).code, 0);
});

test('allowPlaintext: true (or BAL_ALLOW_PLAINTEXT=true) lets every case pass; every exposure is named', async () => {
  const open = { broker: { host: '0.0.0.0' }, api: { host: '0.0.0.0' } };
  const refused = await check(open);
  assert.is(refused.code, 2);
  assert.match(refused.stderr, /plain MQTT on 0\.0\.0\.0:1883.*; plain HTTP on 0\.0\.0\.0/);
  assert.is((await check({ ...open, allowPlaintext: true })).code, 0);
  assert.is((await check(open, { BAL_ALLOW_PLAINTEXT: 'true' })).code, 0);
  assert.is((await check({ broker: { kind: 'external', url: 'mqtt://broker.example:1883' }, allowPlaintext: true })).code, 0);
  assert.is((await check({ allowPlaintext: 'yes' })).code, 2, 'a boolean');
});

test.run();
