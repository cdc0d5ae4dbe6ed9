/**
 * Setpoints end to end: a real anvil chain with PodRegistry (setpoint signers read by eth_call),
 * an aedes broker, the agent, and a Modbus TCP EMS. A DSO-signed setpoint reaches the EMS and
 * comes back as a signed activation reading; bad/non-DSO signatures, other pods, replays and
 * malformed commands are refused with a code and a metric while the agent keeps running.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { AnvilHandle } from '@lightnode/contracts/anvil';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import type { Deployment } from '@lightnode/contracts/deploy';
import { podRegistryAt } from '@lightnode/contracts/connect';
import { makeDomain, recoverReadingSigner, signSetpoint } from '@lightnode/shared/eip712';
import { topicFor } from '@lightnode/shared/topics';
import { parseActivation, type Activation } from '@lightnode/shared/messages';
import type { Setpoint } from '@lightnode/shared/setpoint';
import { physicalValue } from '@lightnode/shared/quantities';
import { validateConfig } from '../../src/config.js';
import { startAgent, type Agent } from '../../src/agent.js';
import { DeviceKey } from '../../src/identity/device-key.js';
import { createLogger } from '../../src/ops/logger.js';
import { SETPOINT_SIGNERS_CALL, decodeSetpointSigners } from '@lightnode/contracts/registry/calls';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import { randomPod, startFakeBal, waitFor, type FakeBal } from '../helpers/broker.js';
import { startTestEms, type TestEms } from '../helpers/ems-server.js';

const dir = mkdtempSync(join(tmpdir(), 'ln-ems-'));
const pod = randomPod();
const dso = DeviceKey.generate();
const stranger = DeviceKey.generate();
const device = DeviceKey.generate();
let chain: ChainFixture;
let anvil: AnvilHandle;
let dep: Deployment;
let broker: TestBroker;
let ems: TestEms;
let agent: Agent;
let bal: FakeBal;
let dsoClient: MqttClient;
const activations: Activation[] = [];
const logLines: string[] = [];

function config(rpcUrl: string) {
  return validateConfig({
    pod, dataDir: dir,
    chain: { chainId: dep.chainId, podRegistry: dep.podRegistry, rpcUrl },
    mqtt: { url: broker.url, protocolVersion: 4, reconnectMinMs: 100, reconnectMaxMs: 500 },
    ems: { enabled: true, transport: 'modbus', fallback: 'release', pollIntervalMs: 500, modbus: { host: '127.0.0.1', port: ems.port, unitId: 1 } },
    http: { port: 0 },
  });
}

function setpoint(over: Partial<Setpoint> = {}): Setpoint {
  const now = Date.now();
  return { pod, id: `sp-${Math.random().toString(16).slice(2, 10)}`, activePowerW: 2500, mode: 'limit', validFrom: now - 1000, validUntil: now + 60_000, ...over };
}

async function send(payload: unknown): Promise<void> {
  await dsoClient.publishAsync(topicFor(pod, 'setpoints'), typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 });
}

async function activationFor(id: string): Promise<Activation> {
  await waitFor(() => activations.some((a) => a.setpointId === id), 10_000, `activation for ${id}`);
  return activations.find((a) => a.setpointId === id)!;
}

test.before(async () => {
  chain = await startChain();
  anvil = chain.anvil;
  dep = chain.deployment;
  const admin = chain.dso;
  await (await podRegistryAt(dep.podRegistry, admin).getFunction('addSetpointSigner')(dso.address)).wait();
  broker = await startAedes();
  ems = await startTestEms();
  bal = await startFakeBal(broker.url, pod, makeDomain(dep.chainId, dep.podRegistry), device.address);
  dsoClient = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  dsoClient.on('message', (_t, p) => activations.push(parseActivation(p)));
  await dsoClient.subscribeAsync(topicFor(pod, 'activations'), { qos: 1 });
  agent = await startAgent(config(anvil.rpcUrl), { key: device, logger: createLogger({ level: 'debug', write: (l) => logLines.push(l) }) });
  await waitFor(() => agent.uplink.connected, 10_000, 'agent connected');
  await new Promise((r) => setTimeout(r, 200)); // subscriptions settle
});

test.after(async () => {
  await agent?.stop();
  await dsoClient?.endAsync(true);
  await bal?.close();
  await ems?.close();
  await broker?.close();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('setpointSigners() read by hand-encoded eth_call equals the registry (and is cached on disk)', async () => {
  assert.is(SETPOINT_SIGNERS_CALL.length, 10);
  const res = await fetch(anvil.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: dep.podRegistry, data: SETPOINT_SIGNERS_CALL }, 'latest'] }) });
  const { result } = (await res.json()) as { result: string };
  assert.equal(decodeSetpointSigners(result), [dso.address]);
  const cache = JSON.parse(readFileSync(join(dir, 'setpoint-signers.json'), 'utf8')) as { signers: string[] };
  assert.equal(cache.signers, [dso.address]);
  assert.is(agent.metrics.value('ems_setpoint_signers', { source: 'chain' }), 1);
});

test('a DSO-signed setpoint reaches the EMS and comes back as a signed activation reading', async () => {
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  const sp = setpoint({ activePowerW: 2500, mode: 'limit' });
  await send({ v: 1, setpoint: dso.withSecret((k) => signSetpoint(domain, sp, k)) });
  const act = await activationFor(sp.id);
  assert.is(act.status, 'applied', JSON.stringify(act));
  assert.is(ems.state().mode, 'limit', 'the simulator runs in limit mode');
  assert.is(ems.state().setpointW, 2500);
  const r = act.reading!;
  assert.is(r.meter, 'ems');
  assert.is(r.source, `activation:${sp.id}`);
  assert.is(recoverReadingSigner(domain, r), device.address, 'activation reading signed by the device');
  assert.is(physicalValue(r.values.find((v) => v.quantity === '1-0:128.10.0')!), 2500);
  await waitFor(() => bal.stored.has(r.seq), 10_000, 'activation reading delivered through the spool');
  assert.is(agent.metrics.value('ems_setpoints_total', { result: 'applied', code: '' }), 1);
  // the EMS state is also polled as ordinary signed readings (ems.pollIntervalMs)
  await waitFor(() => bal.received.some((x) => x.meter === 'ems' && x.source === 'ems' && physicalValue(x.values[0]!) === 2500), 5000, 'polled EMS reading');
});

test('non-DSO signer, tampered content, garbage signature, other pod, replay: refused with codes, EMS untouched', async () => {
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  const before = ems.state().writeCount;
  const s1 = setpoint();
  await send({ v: 1, setpoint: stranger.withSecret((k) => signSetpoint(domain, s1, k)) });
  const s2 = setpoint();
  const signed2 = dso.withSecret((k) => signSetpoint(domain, s2, k));
  await send({ v: 1, setpoint: { ...signed2, activePowerW: 99_000 } }); // tampered after signing
  const s3 = setpoint();
  await send({ v: 1, setpoint: { ...s3, signature: `0x${'11'.repeat(64)}1b` } });
  const s4 = setpoint({ pod: 'IT999E99999999' });
  await send({ v: 1, setpoint: dso.withSecret((k) => signSetpoint(domain, s4, k)) });
  const s5 = setpoint();
  const wrongDomain = makeDomain(dep.chainId + 1, dep.podRegistry); // signed for another chain
  await send({ v: 1, setpoint: dso.withSecret((k) => signSetpoint(wrongDomain, s5, k)) });
  assert.is((await activationFor(s1.id)).code, 'EDGE_SETPOINT_SIGNER_UNKNOWN');
  assert.is((await activationFor(s2.id)).code, 'EDGE_SETPOINT_SIGNER_UNKNOWN');
  assert.ok(['EDGE_SETPOINT_SIGNATURE_INVALID', 'EDGE_SETPOINT_SIGNER_UNKNOWN'].includes((await activationFor(s3.id)).code!));
  assert.is((await activationFor(s4.id)).code, 'EDGE_SETPOINT_POD_MISMATCH');
  assert.is((await activationFor(s5.id)).code, 'EDGE_SETPOINT_SIGNER_UNKNOWN');
  for (const id of [s1.id, s2.id, s3.id, s4.id, s5.id]) assert.is((await activationFor(id)).status, 'refused');
  assert.is(ems.state().writeCount, before, 'nothing written to the EMS');
  assert.ok(agent.metrics.value('ems_setpoints_total', { result: 'refused', code: 'EDGE_SETPOINT_SIGNER_UNKNOWN' }) >= 3);
  // replay of the applied one
  const sp = setpoint();
  const signed = dso.withSecret((k) => signSetpoint(domain, sp, k));
  await send({ v: 1, setpoint: signed });
  await activationFor(sp.id);
  activations.length = 0;
  await send({ v: 1, setpoint: signed });
  assert.is((await activationFor(sp.id)).code, 'EDGE_SETPOINT_REPLAY');
});

test('malformed setpoints: code + metric, agent keeps running and still applies the next valid one', async () => {
  const bad = ['not json', '{"v":2,"setpoint":{}}', JSON.stringify({ v: 1, setpoint: { pod, id: 'x', activePowerW: 1.5 } }), 'x'.repeat(70_000), '[]', 'null'];
  const before = agent.metrics.value('ems_setpoints_total', { result: 'refused', code: 'EDGE_SETPOINT_MALFORMED' });
  for (const b of bad) await send(b);
  await waitFor(() => agent.metrics.value('ems_setpoints_total', { result: 'refused', code: 'EDGE_SETPOINT_MALFORMED' }) - before === bad.length, 10_000, 'all malformed counted');
  assert.ok(logLines.some((l) => l.includes('EDGE_SETPOINT_MALFORMED')));
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  const sp = setpoint({ mode: 'target', activePowerW: -1500 });
  await send({ v: 1, setpoint: dso.withSecret((k) => signSetpoint(domain, sp, k)) });
  assert.is((await activationFor(sp.id)).status, 'applied');
  assert.equal([ems.state().mode, ems.state().setpointW], ['target', -1500]);
  assert.ok(agent.health().ok);
});

test('expiry: policy release puts the EMS back to mode off and spools a second activation reading', async () => {
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  const sp = setpoint({ mode: 'limit', activePowerW: 1000, validUntil: Date.now() + 1500 });
  await send({ v: 1, setpoint: dso.withSecret((k) => signSetpoint(domain, sp, k)) });
  assert.is((await activationFor(sp.id)).status, 'applied');
  assert.is(ems.state().mode, 'limit');
  await waitFor(() => activations.some((a) => a.setpointId === sp.id && a.status === 'expired'), 10_000, 'expiry');
  const exp = activations.find((a) => a.setpointId === sp.id && a.status === 'expired')!;
  assert.is(ems.state().mode, 'off', 'released');
  assert.is(exp.reading?.source, `activation:${sp.id}`);
  const expired = setpoint({ validFrom: Date.now() - 10_000, validUntil: Date.now() - 5000 });
  await send({ v: 1, setpoint: dso.withSecret((k) => signSetpoint(domain, expired, k)) });
  const a = await activationFor(expired.id);
  assert.equal([a.status, a.code], ['expired', 'EDGE_SETPOINT_EXPIRED']);
});

test('chain unreachable: the cached signer list still authorises the DSO (and only the DSO)', async () => {
  await agent.stop();
  const cfg = config('http://127.0.0.1:1'); // nothing listens there
  agent = await startAgent(cfg, { key: device, logger: createLogger({ level: 'error', write: () => undefined }) });
  await waitFor(() => agent.uplink.connected, 10_000, 'reconnected');
  await new Promise((r) => setTimeout(r, 200));
  assert.is(agent.metrics.value('ems_setpoint_signers', { source: 'cache' }), 1);
  const domain = makeDomain(dep.chainId, dep.podRegistry);
  // The restarted agent's first EMS write can meet the simulator still closing the old agent's
  // connection (EDGE_EMS_IO, transient): a DSO operator sends a new setpoint then, and so does this test.
  let okAct: Awaited<ReturnType<typeof activationFor>> | null = null;
  for (let attempt = 0; attempt < 3 && okAct?.status !== 'applied'; attempt++) {
    const ok = setpoint();
    await send({ v: 1, setpoint: dso.withSecret((k) => signSetpoint(domain, ok, k)) });
    okAct = await activationFor(ok.id);
    if (okAct.status !== 'applied' && okAct.code !== 'EDGE_EMS_IO') break;
  }
  assert.is(okAct!.status, 'applied', `${okAct!.status} ${okAct!.code ?? ''}`);
  const no = setpoint();
  await send({ v: 1, setpoint: stranger.withSecret((k) => signSetpoint(domain, no, k)) });
  assert.is((await activationFor(no.id)).code, 'EDGE_SETPOINT_SIGNER_UNKNOWN');
});

test.run();
