// Drafts from every acquisition path (SDM630 over TCP and RTU, SunSpec over TCP, Chain 2) become
// readings that validate, sign with the shared EIP-712 code and recover to the signer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { validateReading } from '@lightnode/shared/reading';
import { addressOf, makeDomain, recoverReadingSigner, signReading } from '@lightnode/shared/eip712';
import { loadTemplate as loadSimTemplate } from '@lightnode/hardware-sim/devices/template';
import { SimMeter } from '@lightnode/hardware-sim/devices/sim-meter';
import { ModbusTcpServer } from '@lightnode/hardware-sim/modbus/tcp-server';
import { ModbusRtuServer } from '@lightnode/hardware-sim/modbus/rtu-server';
import { SimClock } from '@lightnode/hardware-sim/physics/clock';
import { ModbusLinePool, createModbusMeter } from '../../src/meters/modbus-factory.js';
import { Chain2Source } from '../../src/chain2/chain2-source.js';
import { decodeChain2 } from '../../src/chain2/chain2-decoder.js';
import type { ReadingDraft } from '../../src/meters/source.js';
import { startPtyPair } from '@lightnode/test-kit/pty-pair';

const POD = 'IT001E12345678';
const key = new Uint8Array(32).fill(7);
const domain = makeDomain(31337, '0x5fbdb2315678afecb367f032d93f642f64180aa3');

function signAndCheck(draft: ReadingDraft, seq: number): void {
  const reading = validateReading({ ...draft, pod: POD, seq });
  const signed = signReading(domain, reading, key);
  assert.is(recoverReadingSigner(domain, signed), addressOf(key));
}

test('SDM630 (TCP and RTU), SunSpec 203/213 (TCP) and Chain 2 drafts sign and verify', async () => {
  const clock = new SimClock();
  const sdm = new SimMeter({ id: 'm', template: loadSimTemplate('sdm630'), clock, profile: { kind: 'constant', powerW: 1000 } });
  const sun = new SimMeter({ id: 's', template: loadSimTemplate('sunspec-meter'), clock, profile: { kind: 'pv', peakW: 4000 } });
  const tcp = new ModbusTcpServer({ devices: new Map<number, SimMeter>([[1, sdm], [2, sun]]) });
  const pty = await startPtyPair();
  const rtu = new ModbusRtuServer({ path: pty.b, devices: new Map([[1, sdm]]) });
  const pool = new ModbusLinePool();
  try {
    const { port } = await tcp.start();
    await rtu.start();
    const link = { kind: 'tcp' as const, host: '127.0.0.1', port };
    const drafts = [
      await createModbusMeter({ id: 'sdm-tcp', template: 'sdm630', link, device: { unitId: 1 } }, pool).poll(),
      await createModbusMeter({ id: 'sun-203', template: 'sunspec-203', link, device: { unitId: 2 } }, pool).poll(),
      await createModbusMeter({ id: 'sun-213', template: 'sunspec-213', link, device: { unitId: 2 } }, pool).poll(),
      await createModbusMeter({ id: 'sdm-rtu', template: 'sdm630', link: { kind: 'rtu', path: pty.a }, device: { unitId: 1, timeoutMs: 1000 } }, pool).poll(),
    ];
    const examples = JSON.parse(readFileSync(new URL('../../../shared/vectors/chain2-examples.json', import.meta.url), 'utf8')).messages;
    const c2 = new Chain2Source({ id: 'chain2', pod: POD, transport: { name: 'none', start() {}, async close() {} }, decoder: decodeChain2 });
    for (const name of ['CF1', 'CF21', 'CF5', 'CF9', 'CF10', 'CF20']) drafts.push(c2.handle(JSON.stringify(examples[name])) as ReadingDraft);
    drafts.forEach((d, i) => signAndCheck(d, i));
    assert.is(drafts.length, 10);
  } finally {
    await pool.closeAll();
    await rtu.stop();
    await tcp.stop();
    await pty.close();
  }
});

test.run();
