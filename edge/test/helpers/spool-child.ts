/**
 * Child process for the SIGKILL tests and `bench/soak-kill.ts`: spools as fast as it can and
 * reports on fd 1, with synchronous writes, what it has durably done:
 *   `k <address>`     the device address (a fresh key per run: EIP-712 signatures as in production)
 *   `r`               ready (spool open)
 *   `c <first> <last>` committed a batch of seqs first..last
 *   `A <seq,...>`     about to ack these seqs (intent)
 *   `a <seq,...>`     ack committed
 * argv: <spool path> [maxBatch]
 */
import { writeSync } from 'node:fs';
import { makeDomain } from '@lightnode/shared/eip712';
import { Spool } from '../../src/spool/spool.js';
import { DeviceKey } from '../../src/identity/device-key.js';
import { readingSigner } from '../../src/identity/reading-signer.js';

const path = process.argv[2]!;
const maxBatch = Number(process.argv[3] ?? 8);
const KILL_DOMAIN = makeDomain(31337, '0x5fbdb2315678afecb367f032d93f642f64180aa3');
const key = DeviceKey.generate();
const spool = Spool.open({ path, pod: 'IT001E12345678', sign: readingSigner(KILL_DOMAIN, key) });
const say = (s: string): void => { writeSync(1, s + '\n'); };
say(`k ${key.address}`);
say('r');
let i = 0;
for (;;) {
  const k = 1 + (i % maxBatch);
  const drafts = Array.from({ length: k }, (_, j) => ({
    meter: `m${j % 4}`, timestamp: 1_700_000_000_000 + i, source: 'modbus',
    values: [{ quantity: '1-0:1.8.0', value: i * 10 + j, scale: 0, unit: 'Wh' }],
  }));
  const out = spool.appendMany(drafts);
  say(`c ${out[0]!.seq} ${out[out.length - 1]!.seq}`);
  if (i % 5 === 4) {
    const seqs = spool.pending(-1, 6).map((r) => r.seq);
    say(`A ${seqs.join(',')}`);
    spool.applyAck({ stored: seqs.slice(0, 4), duplicate: seqs.slice(4, 5), rejected: seqs.slice(5).map((seq) => ({ seq, code: 'BAL_READING_INVALID', reason: 'test' })) });
    say(`a ${seqs.join(',')}`);
  }
  i += 1;
}
