// A PMU in the lab config: started with its TCP endpoint, faults and a layout change through the
// lab (and so the control API), and refused in an accelerated lab (a PMU streams in real time).
import { connect } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMMANDS, encodeCommandFrame } from '@lightnode/shared/c37118/command-frame';
import { decodeConfigFrame } from '@lightnode/shared/c37118/config-frame';
import { frameLengthAt, peekFrameType } from '@lightnode/shared/c37118/frame';
import { isLightNodeError } from '@lightnode/shared/errors';
import { startLab, type Lab } from '../src/lab.js';
import { validateLabConfig } from '../src/lab-config.js';
import { PmuServer } from '../src/pmu/pmu-server.js';

const config = { devices: [{ id: 'pmu-lab', type: 'pmu', pmu: { idcode: 11, rateFps: 10, currents: 0 } }] };

test('lab config: a pmu device needs its settings and a real-time lab', () => {
  assert.throws(() => validateLabConfig({ devices: [{ id: 'p', type: 'pmu' }] }), (e: unknown) => isLightNodeError(e, 'CONFIG_INVALID') && e.details.field === 'devices[0].pmu');
  assert.throws(() => validateLabConfig({ ...config, timeAcceleration: 60 }), (e: unknown) => isLightNodeError(e, 'CONFIG_INVALID') && e.details.field === 'timeAcceleration');
  assert.is(validateLabConfig(config).devices[0]!.pmu!.voltages, 3);
});

test('lab PMU: CFG-2 over its endpoint; faults and a layout change through the lab', async () => {
  const lab: Lab = await startLab(config);
  try {
    const ep = lab.endpoints.devices['pmu-lab']!.tcp!;
    const s = connect(ep.port, ep.host);
    let buf = Buffer.alloc(0);
    const frames: Uint8Array[] = [];
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (let n = frameLengthAt(buf); n !== null && n > 0 && buf.length >= n; n = frameLengthAt(buf)) { frames.push(Uint8Array.from(buf.subarray(0, n))); buf = buf.subarray(n); }
    });
    await new Promise((r) => s.once('connect', r));
    s.write(encodeCommandFrame({ version: 2, idcode: 11, soc: 1_700_000_000, fracsec: 0, timeQuality: 0, cmd: COMMANDS.sendCfg2 }));
    for (let i = 0; i < 100 && !frames.some((f) => peekFrameType(f) === 'cfg2'); i++) await new Promise((r) => setTimeout(r, 10));
    const cfg = decodeConfigFrame(frames.find((f) => peekFrameType(f) === 'cfg2')!);
    assert.equal([cfg.idcode, cfg.dataRate, cfg.pmus[0]!.phasors.length, cfg.pmus[0]!.stn], [11, 10, 3, 'pmu-lab']);
    await lab.setFault('pmu-lab', { badCrc: true } as never);
    const pmu = lab.devices.get('pmu-lab') as PmuServer;
    assert.equal(pmu.faults, { badCrc: true });
    await assert.not.throws(async () => lab.setFault('pmu-lab', { stalled: false } as never));
    let refused = false;
    try { await lab.setFault('pmu-lab', { timeout: true }); } catch (e) { refused = isLightNodeError(e, 'SIM_FAULT_INVALID'); }
    assert.ok(refused, 'a Modbus fault is not a PMU fault');
    await lab.setValues('pmu-lab', { currents: 2 });
    for (let i = 0; i < 300 && pmu.config().pmus[0]!.cfgcnt === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.is(pmu.config().pmus[0]!.phasors.length, 5);
    assert.equal((lab.describe().devices as Record<string, { cfgcnt: number }>)['pmu-lab']!.cfgcnt, 1);
    s.destroy();
  } finally {
    await lab.stop();
  }
});

test.run();
