/**
 * The three EMS transports against the lab EMS (hardware-sim startLab): Modbus TCP holding
 * registers, REST and MQTT. Each applies a setpoint, reads it back from the device, and refuses
 * what the EMS refuses with an EDGE_EMS_* code.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startLab, type Lab } from '@lightnode/hardware-sim/lab';
import type { SimEms } from '@lightnode/hardware-sim/ems/sim-ems';
import { isLightNodeError } from '@lightnode/shared/errors';
import type { EmsDriver } from '../../src/ems/driver.js';
import { ModbusEmsDriver } from '../../src/ems/modbus-driver.js';
import { RestEmsDriver } from '../../src/ems/rest-driver.js';
import { MqttEmsDriver } from '../../src/ems/mqtt-driver.js';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';

let lab: Lab;
let broker: TestBroker;
const drivers: [string, EmsDriver][] = [];

test.before(async () => {
  broker = await startAedes();
  lab = await startLab({
    control: { host: '127.0.0.1', port: 0 },
    tcp: [{ name: 't1', host: '127.0.0.1', port: 0 }],
    devices: [
      { id: 'emsA', type: 'ems', slaveId: 7, tcp: 't1' },
      { id: 'emsB', type: 'ems', rest: { host: '127.0.0.1', port: 0 } },
      { id: 'emsC', type: 'ems', mqtt: { url: broker.url, topic: 'site/ems' } },
    ],
  });
  const t1 = lab.endpoints.tcp.t1!;
  drivers.push(['modbus', new ModbusEmsDriver({ host: t1.host, port: t1.port, unitId: 7, timeoutMs: 1000, modeRegister: 0, powerRegister: 1, readbackModeRegister: 0, readbackPowerRegister: 1 })]);
  drivers.push(['rest', new RestEmsDriver({ url: `${lab.endpoints.devices.emsB!.rest!}`.replace(/\/$/, '') + '/ems', timeoutMs: 2000 })]);
  drivers.push(['mqtt', new MqttEmsDriver({ url: broker.url, commandTopic: 'site/ems/set', stateTopic: 'site/ems/state', timeoutMs: 3000 })]);
});

test.after(async () => {
  for (const [, d] of drivers) await d.close().catch(() => undefined);
  await lab?.stop();
  await broker?.close();
});

test('apply + readback on every transport, and the simulator holds the value', async () => {
  const ids = { modbus: 'emsA', rest: 'emsB', mqtt: 'emsC' } as Record<string, string>;
  for (const [name, d] of drivers) {
    await d.apply({ mode: 'limit', activePowerW: 1200 });
    assert.equal(await d.readback(), { mode: 'limit', activePowerW: 1200 }, name);
    await d.apply({ mode: 'target', activePowerW: -800 });
    assert.equal(await d.readback(), { mode: 'target', activePowerW: -800 }, name);
    const view = (lab.devices.get(ids[name]!) as SimEms).view();
    assert.equal([view.mode, view.setpointW], ['target', -800], `${name}: the simulator holds it`);
  }
});

test('what the EMS refuses (out of its limits) becomes an EDGE_EMS_* code', async () => {
  for (const [name, d] of drivers.slice(0, 2)) {
    try {
      await d.apply({ mode: 'limit', activePowerW: 50_000_000 });
      assert.unreachable(`${name} accepted an out-of-range setpoint`);
    } catch (e) {
      assert.ok(isLightNodeError(e) && e.code.startsWith('EDGE_EMS_'), `${name}: ${String(e)}`);
    }
  }
});

test.run();
