// startLab from one config: all device kinds on shared endpoints, the control API changes
// faults and values at runtime, bad config is refused naming the field, stop frees everything.
import WebSocket from 'ws';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseChain2Message } from '@lightnode/shared/chain2';
import { loadTemplate } from '../src/devices/template.js';
import { startLab, type Lab } from '../src/lab.js';
import { FakeClock } from '../src/physics/clock.js';
import { closeClient, reader, rtuClient, tcpClient, type Client } from './helpers/client.js';
import { decodePoints, readAll } from './helpers/decode.js';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import { freePort } from '@lightnode/test-kit/free-port';
import { startPtyPair, type PtyPair } from '@lightnode/test-kit/pty-pair';

const real = new FakeClock(1_000_000);
let lab: Lab, pty: PtyPair, broker: TestBroker, tc: Client, rc: Client, mqttUrl: string;

test.before(async () => {
  pty = await startPtyPair();
  broker = await startAedes();
  mqttUrl = broker.url;
  lab = await startLab({
    startTime: '2026-06-01T10:00:00Z', timeAcceleration: 3600, seed: 5,
    tcp: [{ name: 'lan', port: 0 }],
    serial: [{ name: 'rs485', path: pty.a }],
    devices: [
      { id: 'm1', type: 'sdm630', slaveId: 1, tcp: 'lan', rtu: 'rs485', profile: { kind: 'household' }, initialImportWh: 1000 },
      { id: 'm2', type: 'sdm120', slaveId: 2, rtu: 'rs485', profile: { kind: 'constant', powerW: 600 } },
      { id: 'm3', type: 'sunspec-meter', slaveId: 3, tcp: 'lan', profile: { kind: 'pv' }, faults: { exception: 6 } },
      { id: 'ems', type: 'ems', slaveId: 10, tcp: 'lan', rest: { port: 0 }, mqtt: { url: mqttUrl, topic: 'lab/ems' }, limits: { minW: -5000, maxW: 5000 } },
      { id: 'gw', type: 'chain2', pod: 'IT001E11112222', ws: { port: 0 } },
    ],
  }, { realClock: real });
  tc = await tcpClient(lab.endpoints.tcp.lan!.port);
  rc = await rtuClient(pty.b);
});
test.after(async () => {
  await closeClient(tc);
  await closeClient(rc);
  await lab.stop();
  await pty.close();
  await broker.close();
});

const put = (path: string, body: unknown) => fetch(`${lab.endpoints.control}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('endpoints list every device with its transports', () => {
  const e = lab.endpoints;
  assert.equal(e.devices.m1!.tcp, e.tcp.lan);
  assert.is(e.devices.m1!.rtu!.path, pty.a);
  assert.is(e.devices.m1!.slaveId, 1);
  assert.match(e.devices.ems!.rest!, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(e.devices.ems!.mqtt, { url: mqttUrl, topic: 'lab/ems' });
  assert.match(e.devices.gw!.ws!, /^ws:\/\//);
  assert.match(e.control, /^http:/);
});

test('the same meter over TCP and RTU; configured fault active from the start', async () => {
  const t = loadTemplate('sdm630');
  const a = decodePoints(t, await readAll(t, reader(tc, 1)));
  const b = decodePoints(t, await readAll(t, reader(rc, 1)));
  assert.is(a.importEnergy, b.importEnergy);
  assert.is(a.importEnergy, 1000);
  tc.setID(3);
  try { await tc.readHoldingRegisters(40000, 2); assert.unreachable(); } catch (e) { assert.is((e as { modbusCode?: number }).modbusCode, 6); }
});

test('control API: faults and values change at runtime; bad input is refused with a code', async () => {
  let res = await put('/devices/m3/faults', {});
  assert.is(res.status, 200);
  tc.setID(3);
  assert.is((await tc.readHoldingRegisters(40000, 2)).data[0], 0x5375);
  res = await put('/devices/m1/faults', { exception: 4 });
  assert.is(res.status, 200);
  try { await reader(rc, 1)(4, 0, 2); assert.unreachable(); } catch (e) { assert.is((e as { modbusCode?: number }).modbusCode, 4); }
  await put('/devices/m1/faults', {});
  res = await put('/devices/m1/values', { powerW: 4242 });
  assert.is(res.status, 200);
  const v = decodePoints(loadTemplate('sdm630'), await readAll(loadTemplate('sdm630'), reader(tc, 1)));
  assert.is(Math.round(v.power!), 4242);
  real.advance(1000); // one simulated hour at 4242 W
  const w = decodePoints(loadTemplate('sdm630'), await readAll(loadTemplate('sdm630'), reader(tc, 1)));
  assert.ok(Math.abs(w.importEnergy! - v.importEnergy! - 4242) < 0.5, `${w.importEnergy! - v.importEnergy!} Wh in an hour`);
  res = await put('/devices/m1/values', { voltageV: 240 });
  assert.equal(((await res.json()) as { overrides: unknown }).overrides, { powerW: 4242, voltageV: 240 }, 'absent keys are kept');
  res = await put('/devices/m1/values', { voltageV: null, bogus: 1 });
  assert.is(res.status, 400);
  assert.is(((await res.json()) as { code: string }).code, 'SIM_VALUES_INVALID');
  res = await put('/devices/m1/values', { voltageV: null });
  assert.equal(((await res.json()) as { overrides: unknown }).overrides, { powerW: 4242 }, 'null clears');
  res = await put('/devices/ems/values', { mode: 'target', setpointW: 2000 });
  assert.is(res.status, 200);
  tc.setID(10);
  assert.equal((await tc.readHoldingRegisters(0, 3)).data, [2, 0, 2000]);
  res = await put('/devices/ems/values', { setpointW: 9000 });
  assert.is(res.status, 400);
  assert.is(((await res.json()) as { code: string }).code, 'SIM_EMS_SETPOINT_OUT_OF_RANGE');
  res = await put('/devices/m1/faults', { exception: 3 });
  assert.is(res.status, 400);
  assert.is(((await res.json()) as { code: string }).code, 'SIM_FAULT_INVALID');
  res = await put('/devices/nope/faults', {});
  assert.is(res.status, 404);
  assert.is(((await res.json()) as { code: string }).code, 'SIM_DEVICE_UNKNOWN');
  // curl's default form body: refused as not JSON, faults untouched
  res = await fetch(`${lab.endpoints.control}/devices/m1/faults`, { method: 'PUT', body: 'timeout=true', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.is(res.status, 400);
  assert.equal(await res.json(), { code: 'SIM_REQUEST_INVALID', message: 'send a JSON body with content-type: application/json' });
  // an unknown route is a JSON 404 naming the routes, not an HTML page
  for (const [method, path] of [['GET', '/nothing'], ['DELETE', '/lab']] as const) {
    res = await fetch(`${lab.endpoints.control}${path}`, { method });
    assert.is(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const body = (await res.json()) as { code: string; message: string };
    assert.is(body.code, 'SIM_ROUTE_UNKNOWN');
    assert.match(body.message, `no route ${method} ${path}; routes: GET /lab,`);
  }
  const labView = (await (await fetch(`${lab.endpoints.control}/lab`)).json()) as { devices: Record<string, { overrides?: { powerW?: number } }> };
  assert.is(labView.devices.m1!.overrides!.powerW, 4242);
  const metrics = await (await fetch(`${lab.endpoints.control}/metrics`)).text();
  const served = Number(/sim_modbus_frames_total\{transport="tcp",endpoint="lan",outcome="requests"\} (\d+)/.exec(metrics)?.[1]);
  assert.ok(served > 10, `tcp requests counted: ${served}`);
});

test('Chain 2 gateway of the lab streams parseable frames over its WebSocket', async () => {
  const ws = new WebSocket(lab.endpoints.devices.gw!.ws!);
  const frames: string[] = [];
  ws.on('message', (m) => frames.push(m.toString()));
  await new Promise((r) => ws.once('open', r));
  ws.send('!');
  for (let i = 0; i < 200 && frames.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(frames.length >= 3);
  for (const f of frames) parseChain2Message(f);
  ws.close();
});

test('bad configs are refused naming the field', async () => {
  const cases: [unknown, RegExp][] = [
    [{ devices: [{ id: 'x', type: 'sdm999' }] }, /devices\[0\]\.type/],
    [{ devices: [{ id: 'x', type: 'sdm630', tcp: 'nope', slaveId: 1 }] }, /devices\[0\]\.tcp/],
    [{ tcp: [{ name: 'l' }], devices: [{ id: 'x', type: 'sdm630', tcp: 'l' }] }, /devices\[0\]\.slaveId/],
    [{ tcp: [{ name: 'l' }], devices: [{ id: 'x', type: 'sdm630', tcp: 'l', slaveId: 1 }, { id: 'y', type: 'sdm120', tcp: 'l', slaveId: 1 }] }, /devices\[1\]\.slaveId/],
    [{ devices: [{ id: 'g', type: 'chain2', ws: {} }] }, /devices\[0\]\.pod/],
    [{ devices: [{ id: 'x', type: 'sdm630', faults: { exception: 5 } }] }, /devices\[0\]\.faults\.exception/],
    [{ timeAcceleration: -1, devices: [{ id: 'x', type: 'sdm630' }] }, /timeAcceleration/],
  ];
  for (const [cfg, field] of cases) {
    try { await startLab(cfg); assert.unreachable(JSON.stringify(cfg)); } catch (e) {
      assert.ok(['CONFIG_INVALID', 'SIM_FAULT_INVALID'].includes((e as { code: string }).code), (e as Error).message);
      assert.match((e as Error).message, field);
    }
  }
});

test('start failures name their cause: missing device data file, unreachable EMS broker', async () => {
  const closed = await freePort();
  const cases: [unknown, string, RegExp][] = [
    [{ tcp: [{ name: 'l', port: 0 }], devices: [{ id: 'm', type: 'meter', template: '/no/such/meter.json', tcp: 'l', slaveId: 1 }] },
      'SIM_TEMPLATE_INVALID', /^device data file \/no\/such\/meter\.json: cannot read it \(ENOENT\)$/],
    [{ devices: [{ id: 'm', type: 'meter', template: 'my-meter.json', slaveId: 1 }] },
      'SIM_TEMPLATE_INVALID', /^device data file my-meter\.json: cannot read it \(ENOENT\)$/], // a .json name is a path, not a bundled model
    [{ control: { port: 0 }, devices: [{ id: 'e', type: 'ems', mqtt: { url: `mqtt://127.0.0.1:${closed}` } }] },
      'SIM_MQTT_UNREACHABLE', new RegExp(`^EMS "e": cannot connect to the MQTT broker mqtt://127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED\\)$`)],
  ];
  for (const [cfg, code, message] of cases) {
    try { await startLab(cfg); assert.unreachable(JSON.stringify(cfg)); } catch (e) {
      assert.is((e as { code: string }).code, code, (e as Error).message);
      assert.match((e as Error).message, message);
    }
  }
});

test.run();
