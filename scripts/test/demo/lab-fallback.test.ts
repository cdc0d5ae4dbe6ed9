// The demo's lab without socat: the SDM120 moves to Modbus TCP, the note says why, and the
// meter really answers there; with socat it is on a pty and no note is printed.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hasSocat, startLab, type Lab } from '../../src/demo/lab.js';

const dir = mkdtempSync(join(tmpdir(), 'demo-lab-'));
const labs: Lab[] = [];
test.after(async () => { for (const l of labs) await l.stop(); rmSync(dir, { recursive: true, force: true }); });

/** SDM120 voltage (FC04 at 0, float32 ABCD) with a hand-made Modbus TCP request. */
function readSdm120Voltage(host: string, port: number, unitId: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(port, host);
    const t = setTimeout(() => { s.destroy(); reject(new Error('no Modbus answer')); }, 3000);
    let got = Buffer.alloc(0);
    s.once('error', (e) => { clearTimeout(t); reject(e); });
    s.on('connect', () => s.write(Buffer.from([0, 1, 0, 0, 0, 6, unitId, 4, 0, 0, 0, 2])));
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length < 13) return;
      clearTimeout(t);
      s.destroy();
      if (got[7] !== 4 || got[8] !== 4) reject(new Error(`unexpected answer ${got.toString('hex')}`));
      else resolve(got.readFloatBE(9));
    });
  });
}

test('socat not on PATH: SDM120 on Modbus TCP with a note saying so, and it answers', async () => {
  const path = process.env.PATH;
  process.env.PATH = dir; // nothing runnable here: no socat
  let lab: Lab;
  try {
    assert.is(hasSocat(), false);
    lab = await startLab({ dir: join(dir, 'no-socat'), chain2Pod: 'IT001E00000002' });
    labs.push(lab);
  } finally { process.env.PATH = path; }
  assert.match(lab.note ?? '', /^socat is not on PATH: the SDM120 is served over Modbus TCP instead of RTU/);
  const ep = lab.endpoints.sdm120;
  assert.is(ep.kind, 'tcp');
  if (ep.kind !== 'tcp') return;
  const v = await readSdm120Voltage(ep.host, ep.port, ep.unitId);
  assert.ok(v > 200 && v < 260, `SDM120 voltage ${v} V over TCP`);
});

test('serial disabled on purpose: the note says so', async () => {
  const lab = await startLab({ dir: join(dir, 'no-serial'), chain2Pod: 'IT001E00000002', serial: false });
  labs.push(lab);
  assert.is(lab.note, 'serial disabled: the SDM120 is served over Modbus TCP');
  assert.is(lab.endpoints.sdm120.kind, 'tcp');
});

test('socat on PATH: SDM120 on the pty, no note', async () => {
  assert.ok(hasSocat(), 'socat is installed here (.ci/run installs it)');
  const lab = await startLab({ dir: join(dir, 'socat'), chain2Pod: 'IT001E00000002' });
  labs.push(lab);
  assert.is(lab.note, null);
  assert.is(lab.endpoints.sdm120.kind, 'rtu');
});

test.run();
