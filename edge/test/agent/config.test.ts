import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLightNodeError } from '@lightnode/shared/errors';
import { applyEnv, configSkeleton, loadConfig, validateConfig } from '../../src/config.js';
import { resolveChain } from '../../src/deployment.js';

const dir = mkdtempSync(join(tmpdir(), 'ln-cfg-'));
const base = { pod: 'IT001E12345678', chain: { chainId: 31337, podRegistry: '0x5FbDB2315678afecb367f032d93F642f64180aa3' } };

function fails(raw: unknown, field: string): void {
  try {
    validateConfig(raw, dir);
  } catch (e) {
    assert.ok(isLightNodeError(e, 'CONFIG_INVALID'), String(e));
    assert.ok((e as Error).message.includes(field), `"${(e as Error).message}" names ${field}`);
    return;
  }
  assert.unreachable(`accepted bad ${field}`);
}

test('defaults, resolved paths, lower-cased registry', () => {
  const c = validateConfig(base, dir);
  assert.is(c.dataDir, dir);
  assert.is(c.spool.path, join(dir, 'spool.db'));
  assert.is(c.keystore.path, join(dir, 'keystore.json'));
  assert.is(c.chain.podRegistry, '0x5fbdb2315678afecb367f032d93f642f64180aa3');
  assert.equal([c.mqtt.protocolVersion, c.mqtt.batchSize, c.mqtt.inFlightBatches, c.mqtt.clientId], [5, 200, 8, 'ln-IT001E12345678']);
  // The BAL's brokers bind a device's client id to its username (cloud README "Client ids").
  assert.is(validateConfig({ ...base, mqtt: { username: 'IT001E12345678' } }, dir).mqtt.clientId, 'IT001E12345678');
  assert.is(validateConfig({ ...base, mqtt: { username: 'IT001E12345678', clientId: 'site-7' } }, dir).mqtt.clientId, 'site-7');
  assert.equal([c.spool.synchronous, c.spool.maxBytes, c.ems.enabled, c.ems.fallback, c.http.host, c.http.port], ['full', 512 * 1024 * 1024, false, 'release', '127.0.0.1', 9464]);
});

test('bad values fail naming the field', () => {
  fails({ ...base, pod: 'XX1' }, 'pod');
  fails({ ...base, typo: 1 }, 'typo');
  fails({ ...base, mqtt: { protocolVersion: 3 } }, 'mqtt.protocolVersion');
  fails({ ...base, mqtt: { url: 'http://x' } }, 'mqtt.url');
  fails({ ...base, mqtt: { tls: { certFile: 'c.pem' } } }, 'mqtt.tls');
  fails({ ...base, mqtt: { reconnectMinMs: 5000, reconnectMaxMs: 1000 } }, 'mqtt.reconnectMaxMs');
  fails({ ...base, spool: { synchronous: 'off' } }, 'spool.synchronous');
  fails({ ...base, meters: [{ id: 'a', kind: 'modbus' }] }, 'meters[0].intervalMs');
  fails({ ...base, meters: [{ id: 'a', kind: 'modbus', intervalMs: 1000 }, { id: 'a', kind: 'chain2' }] }, 'meters[1].id');
  fails({ ...base, meters: [{ id: 'ems', kind: 'chain2' }] }, 'meters[0].id');
  fails({ ...base, ems: { enabled: true, transport: 'rest' } }, 'ems.rest');
  fails({ pod: 'IT001E12345678' }, 'chain');
  fails({ ...base, chain: { chainId: 1, podRegistry: '0x12' } }, 'chain.podRegistry');
});

test('environment overrides win over the file', () => {
  const raw = applyEnv({ ...base, mqtt: { url: 'mqtt://a:1883' } }, { LIGHTNODE_MQTT_URL: 'mqtts://b:8883', LIGHTNODE_HTTP_PORT: '0', LIGHTNODE_LOG_LEVEL: 'debug', LIGHTNODE_MQTT_PASSWORD: 'pw' });
  const c = validateConfig(raw, dir);
  assert.equal([c.mqtt.url, c.http.port, c.log.level, c.mqtt.password], ['mqtts://b:8883', 0, 'debug', 'pw']);
  assert.throws(() => applyEnv(base, { LIGHTNODE_HTTP_PORT: 'abc' }), (e: unknown) => isLightNodeError(e, 'CONFIG_INVALID'));
  const c2 = validateConfig(applyEnv(base, { LIGHTNODE_CHAIN_RPC_URL: 'http://rpc:8545', LIGHTNODE_RPC_URL: 'http://old', LIGHTNODE_MQTT_USERNAME: '', LIGHTNODE_MQTT__URL: 'mqtt://x:1' }), dir);
  assert.equal([c2.chain.rpcUrl, c2.mqtt.username, c2.mqtt.url], ['http://rpc:8545', undefined, 'mqtt://127.0.0.1:1883'], 'one rule: LIGHTNODE_<PATH>; empty = unset');
});

test('derived runtime config: seconds and days to ms, readback registers, meter entry handed on whole', () => {
  const c = validateConfig({
    ...base, spool: { maxAgeDays: 2, boundsCheckIntervalSec: 5 }, mqtt: { ackTimeoutSec: 7, statusIntervalSec: 9, tls: { caFile: 'ca.pem' } },
    meters: [{ id: 'm', kind: 'modbus', cron: '0 * * * * *', template: 'sdm630', link: { kind: 'tcp', host: 'h', port: 502 } }],
    ems: { enabled: true, modbus: { modeRegister: 10, powerRegister: 11 }, signersRefreshSec: 3 },
  }, dir);
  assert.equal([c.spool.maxAgeMs, c.spool.boundsCheckIntervalMs, c.mqtt.ackTimeoutMs, c.mqtt.statusIntervalMs, c.ems.signersRefreshMs], [2 * 86_400_000, 5000, 7000, 9000, 3000]);
  assert.is(c.mqtt.tls.caFile, join(dir, 'ca.pem'));
  assert.equal([c.ems.modbus?.readbackModeRegister, c.ems.modbus?.readbackPowerRegister, c.ems.modbus?.port], [10, 11, 502]);
  assert.equal(c.meters[0], { id: 'm', kind: 'modbus', cron: '0 * * * * *', raw: { id: 'm', kind: 'modbus', cron: '0 * * * * *', template: 'sdm630', link: { kind: 'tcp', host: 'h', port: 502 } } });
  fails({ ...base, ems: { enabled: true } }, 'ems.modbus');
  fails({ ...base, meters: [{ id: 'm', kind: 'modbus', intervalMs: 50 }] }, 'meters[0].intervalMs');
});

test('loadConfig: the init skeleton validates; the deployment file supplies the domain and rpcUrl', () => {
  const file = join(dir, 'lightnode.json');
  writeFileSync(file, JSON.stringify(configSkeleton('IT001E12345678')));
  writeFileSync(join(dir, 'deployment.json'), JSON.stringify({ rpcUrl: 'http://127.0.0.1:8545', chainId: 31337, podRegistry: '0x5FbDB2315678afecb367f032d93F642f64180aa3', readingAnchor: '0x' + '11'.repeat(20), deployBlock: 1, admin: '0x' + '22'.repeat(20) }));
  const c = loadConfig(file, {});
  assert.equal(resolveChain(c.chain), { chainId: 31337, podRegistry: '0x5fbdb2315678afecb367f032d93f642f64180aa3', rpcUrl: 'http://127.0.0.1:8545' });
  writeFileSync(file, '{ not json');
  assert.throws(() => loadConfig(file, {}), (e: unknown) => isLightNodeError(e, 'CONFIG_INVALID'));
  assert.throws(() => loadConfig(join(dir, 'absent.json'), {}), (e: unknown) => isLightNodeError(e, 'CONFIG_READ'));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
