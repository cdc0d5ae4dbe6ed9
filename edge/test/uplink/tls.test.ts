/**
 * MQTT over TLS with a CA, a client certificate and username/password, against a Mosquitto
 * instance this test starts (own config, free port, certificates made with openssl), for both
 * MQTT 5 and 3.1.1. A client without the right CA, or with a wrong password, does not get in.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Uplink } from '../../src/uplink/uplink.js';
import { draft } from '../helpers/drafts.js';
import { freePort } from '@lightnode/test-kit/free-port';
import { startMosquitto, type MosquittoProcess } from '@lightnode/test-kit/mosquitto';
import { makeTestCa } from '@lightnode/test-kit/tls-ca';
import { randomPod, startFakeBal, waitFor } from '../helpers/broker.js';
import { mqttConfig, signedSpool } from '../helpers/setup.js';

const dir = mkdtempSync(join(tmpdir(), 'ln-tls-'));
let mosq: MosquittoProcess | undefined;
let port = 0;
const f = (n: string) => join(dir, n);

test.before(async () => { try { await setupBroker(); } catch (e) { console.error("before failed:", e); throw e; } });
async function setupBroker(): Promise<void> {
  makeTestCa(dir, { serverCn: '127.0.0.1', serverAltNames: 'IP:127.0.0.1', clientCn: 'IT001E00000001' });
  execFileSync('mosquitto_passwd', ['-b', '-c', f('passwd'), 'device', 's3cret'], { stdio: 'pipe' });
  // mosquitto started as root drops to its own user: let it read this test's throw-away files
  chmodSync(dir, 0o755);
  for (const n of readdirSync(dir)) chmodSync(f(n), 0o644);
  port = await freePort();
  writeFileSync(f('mosquitto.conf'), [
    'per_listener_settings false', 'allow_anonymous false', `password_file ${f('passwd')}`, 'persistence false',
    `listener ${port} 127.0.0.1`, `cafile ${f('ca.pem')}`, `certfile ${f('server.pem')}`, `keyfile ${f('server.key')}`,
    'require_certificate true', 'tls_version tlsv1.2', '',
  ].join('\n'));
  mosq = await startMosquitto(f('mosquitto.conf'), port);
}

test.after(async () => {
  await mosq?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const tls = () => ({ caFile: f('ca.pem'), certFile: f('client.pem'), keyFile: f('client.key'), rejectUnauthorized: true });

test('mqtts with CA + client certificate + username/password: readings delivered and acked (v5 and v3.1.1)', async () => {
  for (const protocolVersion of [5, 4] as const) {
    const pod = randomPod();
    const s = signedSpool(pod);
    const url = `mqtts://127.0.0.1:${port}`;
    // the BAL stand-in connects with the same CA, certificate and credentials
    const connectOptions = { ca: readFileSync(f('ca.pem')), cert: readFileSync(f('client.pem')), key: readFileSync(f('client.key')), username: 'device', password: 's3cret' };
    const bal = await startFakeBal(url, pod, s.domain, s.key.address, { protocolVersion, connectOptions });
    const uplink = new Uplink({ config: mqttConfig(url, { protocolVersion, username: 'device', password: 's3cret', tls: tls() }), pod, device: s.key.address, agentVersion: 't', spool: s.spool });
    try {
      s.spool.appendMany(Array.from({ length: 50 }, (_, i) => draft('m1', 1_700_000_000_000 + i)));
      uplink.start();
      await waitFor(() => s.spool.status().depth === 0, 10_000, `TLS drain v${protocolVersion}`);
      assert.is(bal.firstArrival.length, 50);
    } finally {
      await uplink.stop();
      await bal.close();
      s.cleanup();
    }
  }
});

test('wrong password or unknown CA: no connection, readings stay spooled', async () => {
  for (const over of [{ password: 'wrong' }, { tls: { ...tls(), caFile: f('server.pem') } }]) {
    const pod = randomPod();
    const s = signedSpool(pod);
    const uplink = new Uplink({ config: mqttConfig(`mqtts://127.0.0.1:${port}`, { username: 'device', password: 's3cret', tls: tls(), ...over }), pod, device: s.key.address, agentVersion: 't', spool: s.spool, metrics: s.metrics });
    s.spool.append(draft());
    uplink.start();
    const errors = () => [...s.metrics.render().matchAll(/^uplink_errors_total\{code="[^"]+"\} (\d+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
    await waitFor(() => errors() > 0, 10_000, 'connection refused and counted');
    await new Promise((r) => setTimeout(r, 300));
    assert.is(uplink.connected, false);
    assert.is(s.spool.status().depth, 1);
    await uplink.stop();
    s.cleanup();
  }
});

test.run();
