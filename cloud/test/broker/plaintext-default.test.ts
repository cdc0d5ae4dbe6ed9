// S-BAP-01, TLS by default where it matters: `bal mosquitto-config` writes an MQTTS listener when
// it is given a certificate and, without one, a plain listener on loopback only (with a warning).
// The configs run in a real Mosquitto: the loopback listener is unreachable from the machine's
// network address; the TLS one is reachable there, and nothing plain is.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { networkInterfaces, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { freePort } from '@lightnode/test-kit/free-port';
import { startMosquitto, type MosquittoProcess } from '@lightnode/test-kit/mosquitto';
import { makeTestCa } from '@lightnode/test-kit/tls-ca';
import { main } from '../../src/cli.js';
import { hashPassword } from '../../src/broker/password-hash.js';
import { isLoopback, plaintextExposures } from '../../src/plaintext.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-plaintext-'));
const running: MosquittoProcess[] = [];
test.after(async () => { for (const m of running) await m.stop(); rmSync(dir, { recursive: true, force: true }); });

/** This machine's first non-loopback IPv4 address, if it has one. */
const lanAddress = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address ?? null;

async function bal(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { out: (l) => { stdout += `${l}\n`; }, err: (t) => { stderr += t; } });
  return { code, stdout, stderr };
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, host);
    s.setTimeout(2000, () => { s.destroy(); resolve(false); });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

let creds = '';
test.before(async () => {
  creds = join(dir, 'creds.json');
  writeFileSync(creds, JSON.stringify({ v: 1, accounts: [{ username: 'bal', role: 'bal', passwordHash: await hashPassword('bal-pw', { iterations: 101 }) }] }));
});

test('isLoopback and the plaintext rule', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', 'x.localhost', '::ffff:127.0.0.1']) assert.ok(isLoopback(h), h);
  for (const h of ['0.0.0.0', '::', '192.0.2.2', '10.0.0.1', 'broker.example', 'localhost.example', '128.0.0.1', '']) assert.not.ok(isLoopback(h), h);
  const api = { host: '127.0.0.1', tls: null };
  assert.equal(plaintextExposures({ broker: { kind: 'embedded', host: '127.0.0.1', port: 1883 }, api }), []);
  assert.equal(plaintextExposures({ broker: { kind: 'embedded', host: '0.0.0.0', port: null }, api }), [], 'TLS only on the network');
  assert.equal(plaintextExposures({ broker: { kind: 'embedded', host: '0.0.0.0', port: 1883 }, api }).map((e) => e.field), ['broker.port']);
  assert.equal(plaintextExposures({ broker: { kind: 'external', url: 'mqtt://broker.example:1883' }, api }).map((e) => e.field), ['broker.url']);
  assert.equal(plaintextExposures({ broker: { kind: 'external', url: 'ws://10.1.1.1/mqtt' }, api }).map((e) => e.field), ['broker.url']);
  assert.equal(plaintextExposures({ broker: { kind: 'external', url: 'mqtt://localhost:1883' }, api }), []);
  assert.equal(plaintextExposures({ broker: { kind: 'external', url: 'mqtts://broker.example:8883' }, api }), []);
  assert.equal(plaintextExposures({ broker: { kind: 'embedded', host: '127.0.0.1', port: 1 }, api: { host: '0.0.0.0', tls: null } }).map((e) => e.field), ['api.tls']);
  assert.equal(plaintextExposures({ broker: { kind: 'embedded', host: '127.0.0.1', port: 1 }, api: { host: '0.0.0.0', tls: { certPath: 'c', keyPath: 'k' } } }), []);
});

test('no options: plain MQTT on 127.0.0.1 only, with a warning; Mosquitto is not reachable from the network', async () => {
  const r = await bal(['mosquitto-config', '--credentials', creds, '--out', join(dir, 'default')]);
  assert.is(r.code, 0, r.stderr);
  const o = JSON.parse(r.stdout);
  assert.equal(o.listeners, [{ port: 1883, host: '127.0.0.1', tls: false }]);
  const conf = readFileSync(o.configPath, 'utf8');
  assert.equal(conf.match(/^listener .*$/gm), ['listener 1883 127.0.0.1']);
  assert.match(r.stderr, /^WARNING no --cert\/--key: only plain MQTT on 127\.0\.0\.1:1883, which devices on the network cannot reach/m);

  // the same defaults on a free port, run in a real Mosquitto
  const port = await freePort();
  const p = await bal(['mosquitto-config', '--credentials', creds, '--out', join(dir, 'default-run'), '--port', String(port), '--run-as-user', userInfo().username]);
  assert.is(p.code, 0, p.stderr);
  running.push(await startMosquitto(JSON.parse(p.stdout).configPath, port));
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: 'bal', password: 'bal-pw', reconnectPeriod: 0 });
  await c.endAsync(true);
  if (lanAddress) assert.is(await reachable(lanAddress, port), false, `plain listener reachable on ${lanAddress}`);
});

test('--cert/--key: MQTTS on every interface and no plain listener, no warning; --port adds plain on loopback', async () => {
  const ca = makeTestCa(join(dir, 'ca'), { serverAltNames: `DNS:localhost,IP:127.0.0.1${lanAddress ? `,IP:${lanAddress}` : ''}` });
  const tlsPort = await freePort();
  const r = await bal(['mosquitto-config', '--credentials', creds, '--out', join(dir, 'tls'), '--cert', ca.serverCert, '--key', ca.serverKey, '--tls-port', String(tlsPort), '--run-as-user', userInfo().username]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '', 'no warning');
  const o = JSON.parse(r.stdout);
  assert.equal(o.listeners, [{ port: tlsPort, host: null, tls: true }]);
  const conf = readFileSync(o.configPath, 'utf8');
  assert.equal(conf.match(/^listener .*$/gm), [`listener ${tlsPort}`]);
  assert.match(conf, /^certfile .*server\.pem$/m);
  running.push(await startMosquitto(o.configPath, tlsPort));
  const host = lanAddress ?? '127.0.0.1';
  const c = await mqtt.connectAsync(`mqtts://${host}:${tlsPort}`, { username: 'bal', password: 'bal-pw', reconnectPeriod: 0, ca: readFileSync(ca.caCert), connectTimeout: 5000 });
  await c.endAsync(true);

  const both = await bal(['mosquitto-config', '--credentials', creds, '--out', join(dir, 'tls-plain'), '--cert', ca.serverCert, '--key', ca.serverKey, '--port', '1884']);
  assert.is(both.code, 0, both.stderr);
  assert.equal(JSON.parse(both.stdout).listeners, [{ port: 1884, host: '127.0.0.1', tls: false }, { port: 8883, host: null, tls: true }]);
  assert.is(both.stderr, '');
});

test('a plain listener on a named network address is written as asked, with a warning; mistakes exit 2', async () => {
  const r = await bal(['mosquitto-config', '--credentials', creds, '--out', join(dir, 'lan'), '--host', '0.0.0.0']);
  assert.is(r.code, 0, r.stderr);
  assert.match(readFileSync(JSON.parse(r.stdout).configPath, 'utf8'), /^listener 1883 0\.0\.0\.0$/m);
  assert.match(r.stderr, /^WARNING plain MQTT on 0\.0\.0\.0:1883: device passwords and readings cross the network unencrypted/m);
  for (const args of [['--no-plain'], ['--cert', 'c.pem'], ['--key', 'k.pem'], ['--tls-port', '8883']]) {
    const bad = await bal(['mosquitto-config', '--credentials', creds, '--out', join(dir, 'bad'), ...args]);
    assert.is(bad.code, 2, args.join(' '));
  }
});

test.run();
