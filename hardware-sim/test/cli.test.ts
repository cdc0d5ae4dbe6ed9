// The `sim` executable: starts a lab from a config file, prints its endpoints as JSON, serves
// the control API, exits 0 on SIGTERM with its ports closed; a bad config exits 1 naming the field.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeClient, tcpClient } from './helpers/client.js';

const BIN = fileURLToPath(new URL('../bin/sim.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
const children = new Set<ChildProcess>();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

function run(configPath: string) {
  const child = spawn(process.execPath, [BIN, configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => { children.delete(child); r(code); }));
  const firstLine = new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no endpoints line; stderr: ${stderr}`)), 30_000);
    child.stdout.on('data', () => { if (stdout.includes('\n')) { clearTimeout(t); resolve(stdout.split('\n')[0]!); } });
    void exited.then(() => { clearTimeout(t); reject(new Error(`exited early; stderr: ${stderr}`)); });
  });
  return { child, firstLine, exited, stderr: () => stderr };
}

const portOpen = (port: number) => new Promise<boolean>((r) => {
  const s = connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); r(true); });
  s.once('error', () => r(false));
});

test('sim <config>: endpoints JSON, Modbus and control API live, clean exit on SIGTERM', async () => {
  const cfg = join(dir, 'lab.json');
  writeFileSync(cfg, JSON.stringify({
    timeAcceleration: 60,
    tcp: [{ name: 'lan', port: 0 }],
    devices: [
      { id: 'meter', type: 'sdm630', slaveId: 1, tcp: 'lan' },
      { id: 'ems', type: 'ems', slaveId: 10, tcp: 'lan', rest: { port: 0 } },
    ],
  }));
  const p = run(cfg);
  const ep = JSON.parse(await p.firstLine) as { control: string; tcp: { lan: { port: number } }; devices: { ems: { rest: string } } };
  const c = await tcpClient(ep.tcp.lan.port);
  c.setID(1);
  assert.is((await c.readInputRegisters(0, 80)).data.length, 80);
  await closeClient(c);
  const lab = (await (await fetch(`${ep.control}/lab`)).json()) as { devices: Record<string, unknown> };
  assert.equal(Object.keys(lab.devices).sort(), ['ems', 'meter']);
  assert.is((await fetch(`${ep.devices.ems.rest}/ems/setpoint`)).status, 200);
  p.child.kill('SIGTERM');
  assert.is(await p.exited, 0);
  assert.match(p.stderr(), /"msg":"stopped"/);
  assert.not.ok(await portOpen(ep.tcp.lan.port), 'Modbus port closed');
});

test('bad config: exit code 1 and a CONFIG_INVALID line naming the field', async () => {
  const cfg = join(dir, 'bad.json');
  writeFileSync(cfg, JSON.stringify({ devices: [{ id: 'm', type: 'sdm630', slaveId: 300 }] }));
  const p = run(cfg);
  p.firstLine.catch(() => {});
  assert.is(await p.exited, 1);
  assert.match(p.stderr(), /CONFIG_INVALID/);
  assert.match(p.stderr(), /devices\[0\]\.slaveId/);
});

test('a serial line that does not exist: exit 1, SIM_SERIAL_OPEN_FAILED with the socat hint, nothing left listening', async () => {
  const cfg = join(dir, 'serial.json');
  const path = join(dir, 'no-such-pty');
  writeFileSync(cfg, JSON.stringify({
    control: { port: 0 }, tcp: [{ name: 'lan', port: 0 }], serial: [{ name: 'rs485', path }],
    devices: [{ id: 'm', type: 'sdm120', slaveId: 1, tcp: 'lan', rtu: 'rs485' }],
  }));
  const p = run(cfg);
  p.firstLine.catch(() => {});
  assert.is(await p.exited, 1);
  const line = JSON.parse(p.stderr().trim().split('\n').at(-1)!) as { code: string; msg: string; details: { path: string } };
  assert.is(line.code, 'SIM_SERIAL_OPEN_FAILED');
  assert.is(line.details.path, path);
  assert.match(line.msg, `cannot open serial line ${path}`);
  assert.match(line.msg, `socat -d -d pty,raw,echo=0,link=${path} `);
  assert.not.match(p.stderr(), /\n\s+at /, 'no stack trace');
});

test('pnpm --filter … sim <relative path>: the path is relative to the folder the command was typed in', async () => {
  writeFileSync(join(dir, 'relative.json'), JSON.stringify({ devices: [{ id: 'm', type: 'sdm630', slaveId: 999 }] }));
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const r = spawnSync('pnpm', ['-C', root, '--silent', '--filter', '@lightnode/hardware-sim', 'sim', 'relative.json'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 1, r.stderr);
  // the file was found and read: the refusal is about its content, not a missing file
  assert.match(r.stderr, /devices\[0\]\.slaveId/);
  assert.not.match(r.stderr, /ENOENT/);
});

test.run();
