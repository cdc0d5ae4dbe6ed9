// The EMS accepts a valid setpoint over Modbus (TCP and RTU), REST and MQTT, reads it back,
// ramps the applied value, and refuses out-of-range values on every interface.
import mqtt from 'mqtt';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmsMqtt, type EmsMqtt } from '../src/ems/ems-mqtt.js';
import { startEmsRest } from '../src/ems/ems-rest.js';
import { SimEms } from '../src/ems/sim-ems.js';
import { ModbusRtuServer } from '../src/modbus/rtu-server.js';
import { ModbusTcpServer } from '../src/modbus/tcp-server.js';
import { FakeClock, SimClock } from '../src/physics/clock.js';
import { closeClient, rtuClient, tcpClient, type Client } from './helpers/client.js';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import { startPtyPair, type PtyPair } from '@lightnode/test-kit/pty-pair';

const real = new FakeClock(0);
const clock = new SimClock({ startMs: 0, acceleration: 1, real });
const ems = new SimEms({ id: 'ems1', clock, limits: { minW: -6000, maxW: 6000, rampWPerSec: 100 } });
let tcp: ModbusTcpServer, rtu: ModbusRtuServer, pty: PtyPair, tc: Client, rc: Client;
let rest: Awaited<ReturnType<typeof startEmsRest>>;
let broker: TestBroker, emsMqtt: EmsMqtt, mqttUrl: string;

test.before(async () => {
  tcp = new ModbusTcpServer({ devices: new Map([[10, ems]]) });
  tc = await tcpClient((await tcp.start()).port);
  tc.setID(10);
  pty = await startPtyPair();
  rtu = new ModbusRtuServer({ path: pty.a, devices: new Map([[10, ems]]) });
  await rtu.start();
  rc = await rtuClient(pty.b);
  rc.setID(10);
  rest = await startEmsRest(ems);
  broker = await startAedes();
  mqttUrl = broker.url;
  emsMqtt = await startEmsMqtt(ems, { url: mqttUrl, topic: 'lab/ems1', publishIntervalMs: 0 });
});
test.after(async () => {
  await emsMqtt.stop();
  await closeClient(tc);
  await closeClient(rc);
  await tcp.stop();
  await rtu.stop();
  await pty.close();
  await new Promise((r) => rest.server.close(r));
  await broker.close();
});

const int32 = (hi: number, lo: number) => ((hi << 16) | lo) >> 0;
const words = (w: number) => [(w >>> 16) & 0xffff, w & 0xffff];
async function modbusExceptionOf(p: Promise<unknown>): Promise<number | undefined> {
  try { await p; return undefined; } catch (e) { return (e as { modbusCode?: number }).modbusCode; }
}

test('Modbus TCP: mode + setpoint written with FC16, read back, ramped over simulated time', async () => {
  await tc.writeRegisters(0, [2, ...words(-3000)]);
  let r = (await tc.readHoldingRegisters(0, 13)).data;
  assert.is(r[0], 2, 'mode target');
  assert.is(int32(r[1]!, r[2]!), -3000, 'setpoint read back');
  assert.is(int32(r[3]!, r[4]!), 0, 'applied starts at 0');
  assert.is(r[5], 1, 'status ramping');
  assert.equal([int32(r[6]!, r[7]!), int32(r[8]!, r[9]!), int32(r[10]!, r[11]!)], [-6000, 6000, 100]);
  real.advance(10_000); // 10 s at 100 W/s
  r = (await tc.readHoldingRegisters(0, 13)).data;
  assert.is(int32(r[3]!, r[4]!), -1000, 'applied ramps at 100 W/s');
  real.advance(60_000);
  r = (await tc.readHoldingRegisters(0, 6)).data;
  assert.is(int32(r[3]!, r[4]!), -3000);
  assert.is(r[5], 2, 'settled');
});

test('Modbus RTU: setpoint written, read back; mode via FC06', async () => {
  await rc.writeRegisters(1, words(4500));
  await rc.writeRegister(0, 1);
  const r = (await rc.readHoldingRegisters(0, 3)).data;
  assert.equal([r[0], int32(r[1]!, r[2]!)], [1, 4500]);
});

test('Modbus: out-of-range setpoint and bad mode → exception 3; read-only → 2; nothing changes', async () => {
  const before = ems.view();
  assert.is(await modbusExceptionOf(tc.writeRegisters(1, words(6001))), 3);
  assert.is(await modbusExceptionOf(rc.writeRegisters(1, words(-7000))), 3);
  assert.is(await modbusExceptionOf(tc.writeRegister(0, 7)), 3);
  assert.is(await modbusExceptionOf(tc.writeRegister(1, 5)), 3, 'half an int32');
  assert.is(await modbusExceptionOf(tc.writeRegisters(3, [0, 1])), 2, 'applied is read-only');
  assert.equal(ems.view().setpointW, before.setpointW);
  assert.is(ems.view().writeCount, before.writeCount);
});

test('REST: PUT valid setpoint, GET reads back; out of range → 400 with a code', async () => {
  let res = await fetch(`${rest.url}/ems/setpoint`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'limit', setpointW: -2500 }) });
  assert.is(res.status, 200);
  res = await fetch(`${rest.url}/ems/setpoint`);
  const v = (await res.json()) as { mode: string; setpointW: number; minW: number };
  assert.equal([v.mode, v.setpointW, v.minW], ['limit', -2500, -6000]);
  const r = (await tc.readHoldingRegisters(1, 2)).data;
  assert.is(int32(r[0]!, r[1]!), -2500, 'same state over Modbus');
  for (const body of [{ setpointW: 99999 }, { setpointW: 1.5 }, { mode: 'boost' }, {}]) {
    res = await fetch(`${rest.url}/ems/setpoint`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.is(res.status, 400, JSON.stringify(body));
    assert.match(((await res.json()) as { code: string }).code, /^SIM_EMS_/);
  }
  res = await fetch(`${rest.url}/ems/setpoint`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{bad json' });
  assert.is(res.status, 400);
  assert.is(((await res.json()) as { code: string }).code, 'SIM_REQUEST_INVALID');
  res = await fetch(`${rest.url}/ems/setpoint`, { method: 'PUT', body: 'setpointW=100' });
  assert.is(res.status, 400);
  assert.match(((await res.json()) as { message: string }).message, /JSON body with content-type: application\/json/);
  res = await fetch(`${rest.url}/ems/setpont`);
  assert.is(res.status, 404);
  assert.equal(await res.json(), { code: 'SIM_ROUTE_UNKNOWN', message: 'no route GET /ems/setpont; routes: GET /healthz, GET /ems/setpoint, PUT /ems/setpoint' });
  assert.is(((await (await fetch(`${rest.url}/ems/setpoint`)).json()) as { setpointW: number }).setpointW, -2500, 'refusals changed nothing');
});

test('MQTT (aedes): command accepted and published state; out of range refused with a code', async () => {
  const c = await mqtt.connectAsync(mqttUrl);
  const results: Record<string, unknown>[] = [];
  const states: Record<string, unknown>[] = [];
  c.on('message', (t, p) => (t.endsWith('/result') ? results : states).push(JSON.parse(p.toString())));
  await c.subscribeAsync(['lab/ems1/result', 'lab/ems1/state']);
  const waitFor = async (arr: unknown[], n: number) => { for (let i = 0; i < 200 && arr.length < n; i++) await new Promise((r) => setTimeout(r, 10)); };
  await c.publishAsync('lab/ems1/set', JSON.stringify({ mode: 'target', setpointW: 1234 }), { qos: 1 });
  await waitFor(results, 1);
  assert.is(results[0]!.ok, true);
  assert.is(ems.view().setpointW, 1234);
  const r = (await rc.readHoldingRegisters(1, 2)).data;
  assert.is(int32(r[0]!, r[1]!), 1234, 'same state over Modbus RTU');
  await waitFor(states, 2);
  assert.ok(states.some((s) => s.setpointW === 1234), 'state published');
  await c.publishAsync('lab/ems1/set', JSON.stringify({ setpointW: -60000 }), { qos: 1 });
  await c.publishAsync('lab/ems1/set', 'not json', { qos: 1 });
  await waitFor(results, 3);
  assert.equal(results.slice(1).map((x) => [x.ok, x.code]), [[false, 'SIM_EMS_SETPOINT_OUT_OF_RANGE'], [false, 'SIM_REQUEST_INVALID']]);
  assert.is(ems.view().setpointW, 1234);
  await c.endAsync();
});

test.run();
