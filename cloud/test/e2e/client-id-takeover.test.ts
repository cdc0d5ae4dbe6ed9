/**
 * Issue 17, defect 1, end to end on each broker: the whole BAL (`startBal`, anvil, SQLite), a
 * Light Node stand-in publishing signed readings, and a second device that logs in with its own
 * credentials but the BAL's client id or the first device's, reconnecting every 50 ms (the attack
 * that cut stored readings from 57 to 7 per 30 s). Every attempt is refused with CONNACK 5, the
 * BAL keeps storing, the device is never knocked off; the refusals and a real takeover (a second
 * connection of the same account with the same id) are logged and counted.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { startChain, registerPod, type ChainFixture } from '@lightnode/test-kit/chain';
import { signReading } from '@lightnode/shared/eip712';
import { hexToBytes } from '@lightnode/shared/hex';
import { parseConfig } from '../../src/config.js';
import { startBal, type RunningBal } from '../../src/bal.js';
import { createLogger } from '../../src/log.js';
import { INTERNAL_CLIENT_ID } from '../../src/broker/embedded-broker.js';
import { POD_A, POD_B, PASSWORDS, connackRefusal, testAccounts } from '../broker/helpers.js';
import { startMosquitto } from '../broker/mosquitto-process.js';

const DYNSEC_PLUGIN = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The series of `name` whose labels include `labels` (a running BAL adds instance_id and roles). */
function metric(bal: RunningBal, name: string, labels: string): number {
  const line = bal.metrics.render().split('\n').find((l) => {
    const m = /^([a-z_]+)\{(.*)\} /.exec(l);
    return m !== null && m[1] === name && labels.split(',').every((kv) => m[2]!.split(',').includes(kv));
  });
  return line ? Number(line.split(' ').pop()) : 0;
}

function takeoverSuite(brokerKind: 'embedded' | 'mosquitto'): void {
  const test = suite(`client ids bound to accounts, whole BAL: ${brokerKind} broker`);
  const dir = mkdtempSync(join(tmpdir(), `bal-clientid-${brokerKind}-`));
  const logs: string[] = [];
  const balClientId = brokerKind === 'embedded' ? INTERNAL_CLIENT_ID : `bal@takeover-${process.pid}`;
  let chain: ChainFixture;
  let bal: RunningBal;
  let mosq: { url: string; stop(): Promise<void>; log(): string } | null = null;
  let device: MqttClient;
  let timer: NodeJS.Timeout;
  let deviceCloses = 0;
  const stored = async (): Promise<number> => (await bal.store.listReadings({ pod: POD_A, limit: 1000 })).items.length;
  const waitUntil = async (fn: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> => {
    const end = Date.now() + timeoutMs;
    while (!(await fn())) {
      if (Date.now() > end) assert.unreachable(`timed out waiting for ${what}${mosq ? `\nmosquitto log:\n${mosq.log().slice(-2000)}` : ''}`);
      await sleep(25);
    }
  };

  test.before(async () => {
    chain = await startChain();
    const key = Wallet.createRandom();
    await registerPod(chain, POD_A, key.address);
    const accounts = await testAccounts();
    const env: Record<string, string> = { BAL_ANCHOR_KEY: ANVIL_PRIVATE_KEYS[0]! };
    let broker: Record<string, unknown>;
    if (brokerKind === 'mosquitto') {
      mosq = await startMosquitto(accounts, { dynsecPluginPath: DYNSEC_PLUGIN });
      broker = { kind: 'external', url: mosq.url, username: 'bal', clientId: balClientId };
      env.BAL_BROKER_PASSWORD = PASSWORDS.bal!;
    } else {
      writeFileSync(join(dir, 'credentials.json'), JSON.stringify({ v: 1, accounts }));
      broker = { kind: 'embedded', port: 0, credentialsPath: 'credentials.json' };
    }
    const config = parseConfig({
      chain: { deploymentPath: chain.deploymentPath }, broker, store: { kind: 'sqlite', path: 'bal.db' },
      anchoring: { enabled: true, windowMs: 1000, pollIntervalMs: 100, confirmations: 1 },
      ingest: { verifyThreads: 0 }, registry: { pollIntervalMs: 100 }, api: { port: 0 }, log: { level: 'info' },
    }, dir, env);
    bal = await startBal(config, { log: createLogger({ level: 'info', write: (l) => logs.push(l) }) });
    device = await mqtt.connectAsync(bal.endpoints.mqtt!, { username: POD_A, password: PASSWORDS[POD_A], clientId: POD_A, reconnectPeriod: 200 });
    device.on('close', () => { deviceCloses++; });
    let seq = 0;
    timer = setInterval(() => {
      seq++;
      const r = signReading(chain.domain, { pod: POD_A, meter: 'mt1', seq, timestamp: Date.now(), source: 'modbus',
        values: [{ quantity: '1-0:1.8.0', value: 1_000_000 + seq, scale: 0, unit: 'Wh' }] }, hexToBytes(key.privateKey));
      device.publish(`ln/v1/${POD_A}/readings`, JSON.stringify({ v: 1, readings: [r] }), { qos: 1 });
    }, 100);
    await waitUntil(async () => (await stored()) > 0, 'the first stored reading');
  });

  test.after(async () => {
    clearInterval(timer);
    await device?.endAsync(true).catch(() => undefined);
    await bal?.stop();
    await mosq?.stop();
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a device hammering with the BAL's or another device's client id is refused; the BAL keeps storing", async () => {
    const before = await stored();
    const refusals: (number | null)[] = [];
    const end = Date.now() + 3000;
    for (let i = 0; Date.now() < end; i++) {
      refusals.push(await connackRefusal(bal.endpoints.mqtt!, POD_B, i % 2 === 0 ? balClientId : POD_A));
      await sleep(50);
    }
    assert.ok(refusals.length >= 10, `attempts: ${refusals.length}`);
    assert.equal([...new Set(refusals)], [5], 'every attempt: CONNACK 5 (not authorized)');
    await waitUntil(async () => (await stored()) >= before + 20, 'readings stored during and after the attack');
    assert.is(deviceCloses, 0, 'the device was never knocked off');
    assert.is(metric(bal, 'bal_mqtt_disconnects_total', 'reason="connection_lost"'), 0, "the BAL's connection never dropped");
    if (brokerKind === 'embedded') {
      assert.is(metric(bal, 'bal_broker_client_id_refused_total', 'role="device"'), refusals.length);
      assert.ok(logs.some((l) => l.includes("a login presented the BAL's own client id") && l.includes(POD_B)), 'logged as an error naming the account');
    }
  });

  test('the device under its own id still works', async () => {
    const legit = await mqtt.connectAsync(bal.endpoints.mqtt!, { username: POD_B, password: PASSWORDS[POD_B], clientId: POD_B, reconnectPeriod: 0 });
    await legit.subscribeAsync(`ln/v1/${POD_B}/ack`, { qos: 1 });
    await legit.endAsync(true);
  });

  if (brokerKind === 'embedded') {
    test('a second connection of the same account with the same id (a second agent on one config) is a takeover: logged and counted', async () => {
      const second = await mqtt.connectAsync(bal.endpoints.mqtt!, { username: POD_A, password: PASSWORDS[POD_A], clientId: POD_A, reconnectPeriod: 0 });
      await waitUntil(() => metric(bal, 'bal_broker_session_takeovers_total', 'role="device"') >= 1, 'the takeover counted');
      assert.ok(logs.some((l) => l.includes('mqtt session taken over') && l.includes(POD_A)));
      await second.endAsync(true);
      const before = await stored();
      await waitUntil(async () => (await stored()) > before, 'the device back (it reconnects) and storing');
    });
  } else {
    test("another connection with the BAL's own account and id (a second BAL on one config): the BAL notices, logs and counts it, and keeps storing", async () => {
      const second = await mqtt.connectAsync(bal.endpoints.mqtt!, { username: 'bal', password: PASSWORDS.bal, clientId: balClientId, reconnectPeriod: 0 });
      await waitUntil(() => metric(bal, 'bal_mqtt_disconnects_total', 'reason="connection_lost"') >= 1, "the BAL's dropped connection counted");
      assert.ok(logs.some((l) => l.includes("the BAL's MQTT") && l.includes(balClientId)), 'logged with the client id');
      await second.endAsync(true).catch(() => undefined);
      const before = await stored();
      await waitUntil(async () => (await stored()) > before, 'the BAL back (it reconnects) and storing');
    });
  }

  test.run();
}

takeoverSuite('embedded');
takeoverSuite('mosquitto');
