import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLightNodeError } from '@lightnode/shared/errors';
import { applyEnvOverrides, parseConfig, withRoles } from '../../src/config.js';

const MIN = { chain: { deploymentPath: 'dep.json' } };
const H = `sha256:${'ab'.repeat(32)}`;

function fails(raw: unknown, field: RegExp, env: Record<string, string> = {}): void {
  try { parseConfig(raw, '/etc/bal', env); } catch (err) {
    assert.ok(isLightNodeError(err, 'CONFIG_INVALID'), String(err));
    assert.match((err as Error).message, field);
    return;
  }
  assert.unreachable(`expected CONFIG_INVALID matching ${field}`);
}

test('defaults: embedded broker 1883, SQLite data/bal.db, API 8080, anchoring every 60 s', () => {
  const c = parseConfig(MIN, '/etc/bal');
  assert.equal(c.chain, { kind: 'deployment', deploymentPath: '/etc/bal/dep.json', rpcTimeoutMs: 10_000 });
  assert.equal(c.broker, { kind: 'embedded', host: '127.0.0.1', port: 1883, tls: null, credentialsPath: null, maxPayloadBytes: 2 * 1024 * 1024 });
  assert.equal(c.store, { kind: 'sqlite', path: '/etc/bal/data/bal.db' });
  assert.equal(c.anchoring, { enabled: true, windowMs: 60_000, maxLeaves: 10_000, confirmations: 1, pollIntervalMs: 1000, rebroadcastMs: 30_000, leaseTtlMs: 5000, leaseRenewMs: 1500, leaseRenewDeadlineMs: 4000 });
  assert.equal(c.roles, ['ingest', 'api', 'anchor'], 'every role by default, as one BAL');
  assert.match(c.instanceId, /-\d+$/);
  assert.equal(c.ingest, { futureSkewMs: 60_000, maxInFlightBatches: 64, verifyThreads: 2, ackMode: 'per-reading', ackMaxDelayMs: 1000, ackMaxReadings: 500, shareGroup: null, jetstream: null });
  assert.equal(c.api, { host: '127.0.0.1', port: 8080, tls: null, clients: [], metricsPublic: true, maxPageSize: 1000 });
  assert.is(c.log.level, 'info');
});

test('full config: external broker, postgres, TLS, clients; secrets from env', () => {
  const c = parseConfig({
    chain: { rpcUrl: 'http://besu:8545', chainId: 1337, podRegistry: `0x${'AB'.repeat(20)}`, readingAnchor: `0x${'cd'.repeat(20)}`, deployBlock: 7, anchorKeyPath: 'keys/anchor.hex' },
    broker: { kind: 'external', url: 'mqtts://mosquitto:8883', username: 'bal', caPath: '/etc/ssl/ca.pem' },
    store: { kind: 'postgres', url: 'postgres://bal@db/bal', schema: 'bal' },
    api: { port: 8443, tls: { certPath: 'tls/api.crt', keyPath: 'tls/api.key' }, clients: [
      { name: 'dso', role: 'dso', apiKeyHash: H }, { name: 'ops', role: 'dso', tokenHash: H }] },
  }, '/srv', { BAL_BROKER_PASSWORD: 's3cret', BAL_ANCHOR_KEY: '0x' + '11'.repeat(32) });
  assert.equal(c.chain, { kind: 'direct', rpcUrl: 'http://besu:8545', chainId: 1337, podRegistry: `0x${'ab'.repeat(20)}`, readingAnchor: `0x${'cd'.repeat(20)}`, deployBlock: 7, deployBlockHash: null, anchorKeyPath: '/srv/keys/anchor.hex', anchorKey: '0x' + '11'.repeat(32), rpcTimeoutMs: 10_000 });
  const pinned = parseConfig({ chain: { rpcUrl: 'http://besu:8545', chainId: 1337, podRegistry: `0x${'AB'.repeat(20)}`, readingAnchor: `0x${'cd'.repeat(20)}`, deployBlockHash: `0x${'EE'.repeat(32)}`, rpcTimeoutMs: 500 } }, '/srv');
  assert.is(pinned.chain.kind === 'direct' && pinned.chain.deployBlockHash, `0x${'ee'.repeat(32)}`);
  assert.is(pinned.chain.rpcTimeoutMs, 500);
  assert.is(c.broker.kind === 'external' && c.broker.password, 's3cret');
  assert.equal(c.store, { kind: 'postgres', url: 'postgres://bal@db/bal', schema: 'bal', poolSize: 4, connectTimeoutMs: 10_000, queryTimeoutMs: 60_000 });
  assert.equal(c.api.tls, { certPath: '/srv/tls/api.crt', keyPath: '/srv/tls/api.key' });
  assert.equal(c.api.clients[1], { name: 'ops', role: 'dso', tokenHash: H });
});

test('dataAccess: off by default; relay key, SubscriptionRegistry and wallet key resolved; an external broker needs a dynsec admin', () => {
  const d = parseConfig(MIN, '/etc/bal');
  assert.equal(d.dataAccess, { enabled: false, walletKeyPath: '/etc/bal/data/wallet-master.key', sessionTtlMs: 3_600_000, decisionDeadlineSec: 600,
    loginMaxFailuresPerUser: 5, loginMaxFailuresPerAddress: 20, loginWindowMs: 900_000, cimFormats: ['cim-xml', 'cim-json'] });
  assert.equal(parseConfig({ ...MIN, dataAccess: { cimFormats: [] } }, '/etc/bal').dataAccess.cimFormats, [], 'JSON only');
  fails({ ...MIN, dataAccess: { cimFormats: ['xml'] } }, /dataAccess\.cimFormats/);
  const c = parseConfig({ chain: { deploymentPath: 'dep.json', relayKeyPath: 'keys/relay.hex', subscriptionRegistry: `0x${'EF'.repeat(20)}` }, dataAccess: { enabled: true, walletKeyPath: '/var/lib/bal/w.key' } },
    '/etc/bal', { BAL_RELAY_KEY: '0x' + '22'.repeat(32) });
  assert.equal(c.chain, { kind: 'deployment', deploymentPath: '/etc/bal/dep.json', relayKeyPath: '/etc/bal/keys/relay.hex', relayKey: '0x' + '22'.repeat(32), subscriptionRegistry: `0x${'ef'.repeat(20)}`, rpcTimeoutMs: 10_000 });
  assert.is(c.dataAccess.walletKeyPath, '/var/lib/bal/w.key');
  const ext = { chain: MIN.chain, broker: { kind: 'external', url: 'mqtts://m:8883' }, dataAccess: { enabled: true } };
  fails(ext, /broker\.dynsecUsername/);
  fails({ ...ext, broker: { ...ext.broker, dynsecUsername: 'bal-dynsec' } }, /broker\.dynsecPassword/);
  const ok = parseConfig({ ...ext, broker: { ...ext.broker, dynsecUsername: 'bal-dynsec' } }, '/etc/bal', { BAL_BROKER_DYNSEC_PASSWORD: 'pw' });
  assert.equal(ok.broker.kind === 'external' && ok.broker.dynsec, { username: 'bal-dynsec', password: 'pw' });
  fails({ ...MIN, dataAccess: { sessionTtlMs: 10 } }, /dataAccess\.sessionTtlMs/);
  fails({ ...MIN, relayKey: '0x' + '22'.repeat(32) }, /relayKey/);
});

test('retention: off by default, 60 days, archive folder resolved against the config; bounds refused with the field', () => {
  const d = parseConfig(MIN, '/etc/bal');
  assert.equal(d.retention, { enabled: false, days: 60, archiveDir: '/etc/bal/data/archive', intervalMs: 3_600_000, deleteBatchSize: 500 });
  const c = parseConfig({ ...MIN, retention: { enabled: true, days: 7, archiveDir: '/srv/archive' } }, '/etc/bal', { BAL_RETENTION_DAYS: '30' });
  assert.equal([c.retention.enabled, c.retention.days, c.retention.archiveDir], [true, 30, '/srv/archive']);
  fails({ ...MIN, retention: { days: 0 } }, /retention\.days/);
  fails({ ...MIN, retention: { intervalMs: 1000 } }, /retention\.intervalMs/);
});

test('ingest.jetstream: defaults, password file resolved; needs an external broker, servers and one password source', () => {
  const ext = { kind: 'external', url: 'mqtt://127.0.0.1:1883', password: 'p' };
  const c = parseConfig({ ...MIN, broker: ext, ingest: { jetstream: { servers: ['nats://127.0.0.1:4222'], username: 'bal', passwordPath: 'nats-pw' } } }, '/etc/bal');
  assert.equal(c.ingest.jetstream, {
    servers: ['nats://127.0.0.1:4222'], stream: 'LN_READINGS', consumer: 'bal-ingest', replicas: 1, ackWaitMs: 30_000, maxAckPending: 1000, nakDelayMs: 1000,
    username: 'bal', password: null, passwordPath: '/etc/bal/nats-pw',
  });
  fails({ ...MIN, ingest: { jetstream: { servers: ['nats://127.0.0.1:4222'] } } }, /broker\.kind/);
  fails({ ...MIN, broker: ext, ingest: { jetstream: { servers: [] } } }, /ingest\.jetstream\.servers/);
  fails({ ...MIN, broker: ext, ingest: { jetstream: { servers: ['http://x'] } } }, /ingest\.jetstream\.servers/);
  fails({ ...MIN, broker: ext, ingest: { jetstream: { servers: ['nats://x:4222'], password: 'a', passwordPath: 'b' } } }, /passwordPath/);
  fails({ ...MIN, broker: ext, ingest: { jetstream: { servers: ['nats://x:4222'], replicas: 7 } } }, /replicas/);
});

test('env overrides: BAL_<PATH> for the env fields, typed by the schema', () => {
  const raw = applyEnvOverrides(MIN, { BAL_API_PORT: '9090', BAL_STORE_PATH: '/var/lib/bal.db', BAL_ANCHORING_ENABLED: 'false', BAL_ANCHORING_WINDOW_MS: '5', BAL_LOG_LEVEL: '', OTHER: 'x' });
  const c = parseConfig(raw, '/etc/bal');
  assert.is(c.api.port, 9090);
  assert.equal(c.store, { kind: 'sqlite', path: '/var/lib/bal.db' });
  assert.is(c.anchoring.enabled, false);
  assert.is(c.anchoring.windowMs, 60_000, 'anchoring.windowMs has no variable');
  assert.is(c.log.level, 'info', 'an empty variable is unset');
  assert.equal(MIN, { chain: { deploymentPath: 'dep.json' } }, 'input not mutated');
  try { applyEnvOverrides(MIN, { BAL_API_PORT: 'soon' }); assert.unreachable(); } catch (err) { assert.ok(isLightNodeError(err, 'CONFIG_INVALID')); assert.match((err as Error).message, /BAL_API_PORT \(api\.port\)/); }
  const e = parseConfig({ ...MIN, broker: { kind: 'external', url: 'mqtts://b' } }, '/etc/bal', { BAL_BROKER_PASSWORD: 'pw', BAL_STORE_KIND: 'postgres', BAL_STORE_URL: 'postgres://db/bal' });
  assert.is(e.broker.kind === 'external' && e.broker.password, 'pw');
  assert.is(e.broker.kind === 'external' && e.broker.clientId, `bal@${process.pid}`, 'default client id: <username>@<pid>');
  assert.equal(e.store, { kind: 'postgres', url: 'postgres://db/bal', schema: 'public', poolSize: 4, connectTimeoutMs: 10_000, queryTimeoutMs: 60_000 });
  fails({ ...MIN, anchorKey: '0x11' }, /anchorKey: expected absent from the file \(set BAL_ANCHOR_KEY in the environment\), found "a value \(not shown\)"/);
});

test('bad configs fail closed naming the field', () => {
  fails(null, /config: expected object/);
  fails({}, /chain: expected object/);
  fails({ chain: {} }, /chain\.rpcUrl/);
  fails({ chain: { deploymentPath: 'dep.json', deployBlockHash: `0x${'ee'.repeat(32)}` } }, /chain\.deployBlockHash/);
  fails({ chain: { deploymentPath: 'dep.json', rpcTimeoutMs: 5 } }, /chain\.rpcTimeoutMs/);
  fails({ chain: { deploymentPath: 'd', chainId: 1 } }, /chain\.chainId: expected absent/);
  fails({ ...MIN, extra: 1 }, /^extra: expected no such field/);
  fails({ ...MIN, broker: { kind: 'nats' } }, /broker\.kind/);
  fails({ ...MIN, broker: { port: -1 } }, /broker\.port/);
  fails({ ...MIN, broker: { port: null } }, /broker\.port: expected a port, or broker\.tls/);
  fails({ ...MIN, broker: { kind: 'external', url: 'http://x' } }, /broker\.url/);
  // The BAL's client ids are its account's (src/broker/client-id.ts): `bal-1` could be a data user's.
  fails({ ...MIN, broker: { kind: 'external', url: 'mqtt://b', clientId: 'bal-1' } }, /broker\.clientId: expected broker\.username \(bal\) or bal@/);
  fails({ ...MIN, broker: { kind: 'external', url: 'mqtt://b', username: 'ingest', clientId: 'bal@1' } }, /broker\.clientId/);
  fails({ ...MIN, store: { kind: 'postgres' } }, /store\.url/);
  fails({ ...MIN, store: { kind: 'postgres', url: 'postgres://x', schema: 'Drop Table' } }, /store\.schema/);
  fails({ ...MIN, anchoring: { windowMs: 1.5 } }, /anchoring\.windowMs/);
  fails({ ...MIN, anchoring: { enabled: 'yes' } }, /anchoring\.enabled: expected boolean/);
  // Static consumer PoD lists are gone: consumers are data users whose PoDs follow their subscriptions.
  fails({ ...MIN, api: { clients: [{ name: 'c', role: 'consumer', apiKeyHash: H }] } }, /api\.clients\[0\]\.role/);
  fails({ ...MIN, api: { clients: [{ name: 'c', role: 'dso', pods: ['IT001E00000001'], apiKeyHash: H }] } }, /api\.clients\[0\]\.pods/);
  fails({ ...MIN, api: { clients: [{ name: 'c', role: 'admin', apiKeyHash: H }] } }, /api\.clients\[0\]\.role/);
  fails({ ...MIN, api: { clients: [{ name: 'c', role: 'dso', apiKeyHash: 'plaintext' }] } }, /apiKeyHash/);
  fails({ ...MIN, api: { clients: [{ name: 'c', role: 'dso' }] } }, /apiKeyHash or tokenHash/);
  fails({ ...MIN, api: { clients: [{ name: 'c', role: 'dso', apiKeyHash: H }, { name: 'c', role: 'dso', tokenHash: H }] } }, /unique name/);
  fails({ ...MIN, api: { tls: { certPath: 'c' } } }, /api\.tls\.keyPath/);
  fails({ ...MIN, log: { level: 'trace' } }, /log\.level/);
});

test('roles and instance: from the file, the env or --roles; bad lists and lease timings refused', () => {
  const c = parseConfig({ ...MIN, roles: ['anchor'], instanceId: 'bal-a1' }, '/etc/bal');
  assert.equal(c.roles, ['anchor']);
  assert.is(c.instanceId, 'bal-a1');
  assert.equal(withRoles(c, 'ingest, api').roles, ['ingest', 'api']);
  assert.is(parseConfig(MIN, '/etc/bal', { BAL_INSTANCE_ID: 'bal-env' }).instanceId, 'bal-env');
  fails({ ...MIN, roles: [] }, /roles/);
  fails({ ...MIN, roles: ['ingest', 'ingest'] }, /roles.*each role once/);
  fails({ ...MIN, roles: ['archive'] }, /roles/);
  fails({ ...MIN, instanceId: 'has space' }, /instanceId/);
  for (const bad of ['', 'ingest,foo', 'api,api']) {
    try { withRoles(c, bad); assert.unreachable(`--roles ${bad}`); } catch (err) { assert.ok(isLightNodeError(err, 'CONFIG_INVALID'), String(err)); assert.match((err as Error).message, /--roles/); }
  }
  fails({ ...MIN, anchoring: { leaseTtlMs: 3000, leaseRenewDeadlineMs: 4000 } }, /anchoring\.leaseRenewDeadlineMs/);
  fails({ ...MIN, anchoring: { leaseRenewMs: 4000 } }, /anchoring\.leaseRenewDeadlineMs/);
});

test.run();

test('ingest.shareGroup: off by default; with an external broker a clean session as <username>@<instanceId>; refused on aedes or as a bad level', () => {
  const ext = { ...MIN, instanceId: 'ing-2', broker: { kind: 'external', url: 'mqtt://127.0.0.1:1883' } };
  const plain = parseConfig(ext, '/etc/bal');
  assert.ok(plain.broker.kind === 'external' && plain.broker.clean === false && plain.broker.clientId === `bal@${process.pid}`, 'no group: persistent session as before');
  const shared = parseConfig({ ...ext, ingest: { shareGroup: 'ingest' } }, '/etc/bal');
  assert.is(shared.ingest.shareGroup, 'ingest');
  assert.ok(shared.broker.kind === 'external');
  assert.is(shared.broker.clientId, 'bal@ing-2', 'each instance its own id');
  assert.is(shared.broker.clean, true, 'a dead member leaves the group at once');
  assert.is(parseConfig({ ...ext, ingest: { shareGroup: 'g' } }, '/etc/bal', { BAL_INGEST_SHARE_GROUP: 'g2' }).ingest.shareGroup, 'g2', 'env override');
  // The id it derives is accepted when written out; another is refused (it would be the same on every instance).
  assert.is(parseConfig({ ...ext, broker: { ...ext.broker, clientId: 'bal@ing-2' }, ingest: { shareGroup: 'g' } }, '/etc/bal').broker.kind, 'external');
  fails({ ...ext, broker: { ...ext.broker, clientId: 'bal@fixed' }, ingest: { shareGroup: 'g' } }, /broker\.clientId: expected absent with ingest\.shareGroup/);
  fails({ ...MIN, ingest: { shareGroup: 'g' } }, /ingest\.shareGroup: expected null with the embedded broker \(aedes has no shared subscriptions/);
  for (const bad of ['', 'a/b', '+', '#', 'x'.repeat(65), '$share']) fails({ ...ext, ingest: { shareGroup: bad } }, /ingest\.shareGroup/);
});
