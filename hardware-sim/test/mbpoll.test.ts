// An independent Modbus implementation — Debian's mbpoll (libmodbus) — reads the SDM630
// simulator over TCP and over RTU (pty) and gets the same registers and floats as modbus-serial.
import { execFile } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadTemplate } from '../src/devices/template.js';
import { SimMeter } from '../src/devices/sim-meter.js';
import { ModbusRtuServer } from '../src/modbus/rtu-server.js';
import { ModbusTcpServer } from '../src/modbus/tcp-server.js';
import { FakeClock, SimClock } from '../src/physics/clock.js';
import { closeClient, reader, tcpClient, type Client } from './helpers/client.js';
import { decodePoints, readAll } from './helpers/decode.js';
import { startPtyPair, type PtyPair } from '@lightnode/test-kit/pty-pair';

// Frozen simulated time: every read sees the same instant, so values must match exactly.
const clock = new SimClock({ startMs: Date.UTC(2026, 0, 15, 19, 30), acceleration: 1, real: new FakeClock(0) });
const meter = new SimMeter({ id: 'sdm630', template: loadTemplate('sdm630'), clock, profile: { kind: 'household' }, initialImportWh: 4_321_000 });
const devices = new Map([[7, meter]]);
let pty: PtyPair, rtu: ModbusRtuServer, tcp: ModbusTcpServer, tcpPort: number, client: Client;

function mbpoll(args: string[]): Promise<Map<number, string>> {
  return new Promise((resolve, reject) => {
    execFile('mbpoll', ['-a', '7', '-0', '-1', '-o', '2', ...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`mbpoll failed: ${stderr || err.message}\n${stdout}`));
      const out = new Map<number, string>();
      for (const m of stdout.matchAll(/^\[(\d+)\]:\s+(\S+)/gm)) out.set(Number(m[1]), m[2]!);
      resolve(out);
    });
  });
}

test.before(async () => {
  pty = await startPtyPair();
  rtu = new ModbusRtuServer({ path: pty.a, devices });
  await rtu.start();
  tcp = new ModbusTcpServer({ devices });
  tcpPort = (await tcp.start()).port;
  client = await tcpClient(tcpPort);
});
test.after(async () => {
  await closeClient(client);
  await rtu.stop();
  await tcp.stop();
  await pty.close();
});

const transports = () => ({
  tcp: ['-m', 'tcp', '-p', String(tcpPort), '127.0.0.1'],
  rtu: ['-m', 'rtu', '-b', '9600', '-P', 'none', pty.b],
});

for (const kind of ['tcp', 'rtu'] as const) {
  test(`mbpoll over ${kind}: raw registers 0x0000..0x004F identical`, async () => {
    client.setID(7);
    const ours = (await client.readInputRegisters(0, 80)).data;
    const theirs = await mbpoll(['-t', '3:hex', '-r', '0', '-c', '80', ...transports()[kind]]);
    assert.is(theirs.size, 80);
    ours.forEach((w, i) => assert.is(parseInt(theirs.get(i)!, 16), w, `register ${i}`));
  });

  test(`mbpoll over ${kind}: floats (big-endian words) equal the data-file decode`, async () => {
    const t = meter.template;
    const values = decodePoints(t, await readAll(t, reader(client, 7)));
    const floats = new Map([
      ...(await mbpoll(['-t', '3:float', '-B', '-r', '0', '-c', '40', ...transports()[kind]])),
      ...(await mbpoll(['-t', '3:float', '-B', '-r', String(0x156), '-c', '8', ...transports()[kind]])),
    ]);
    let compared = 0;
    for (const p of t.points) {
      const got = floats.get(p.address);
      if (got === undefined) continue;
      const expected = values[p.name]! * (p.unit === 'kWh' ? 1e-3 : 1);
      assert.ok(Math.abs(Number(got) - expected) <= Math.abs(expected) * 1e-5 + 1e-6, `${p.name}: mbpoll ${got} vs ${expected}`);
      compared++;
    }
    assert.ok(compared >= 30, `compared ${compared} points`);
    assert.ok(Math.abs(Number(floats.get(0x48)) - 4321) < 0.01, `import energy kWh: ${floats.get(0x48)}`);
  });
}

test.run();
