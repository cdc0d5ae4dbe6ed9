/**
 * The edge's untrusted-input entry points that shared's targets do not cover, as fuzz targets
 * (shared/fuzz/engine.ts): a Modbus TCP meter's answer, judged exactly as the agent's TCP link
 * judges it (src/modbus/tcp-answer.ts). Chain 2, C37.118, Platone PMU JSON, setpoint commands
 * and acks are parsed by shared code and fuzzed there (shared/fuzz/targets.ts).
 */
import { LightNodeError } from '@lightnode/shared/errors';
import { mutateBytes, type FuzzTarget, type Rng } from '@lightnode/shared/fuzz/engine';
import { encodeResponsePdu, encodeTcp } from '../src/modbus/frame.js';
import { readTcpAnswer } from '../src/modbus/tcp-answer.js';
import type { RequestContext } from '../src/modbus/errors.js';

const CTX: RequestContext = { line: 'tcp:fuzz', unitId: 1, functionCode: 3, address: 0, count: 4 };
const TID = 0x1234;

const SAMPLES: Uint8Array[] = [
  encodeTcp(TID, 1, encodeResponsePdu({ kind: 'registers', unitId: 1, functionCode: 3, registers: [0x4366, 0x8000, 0x0000, 0x0001] })),
  encodeTcp(TID, 1, encodeResponsePdu({ kind: 'exception', unitId: 1, functionCode: 3, exceptionCode: 6 })),
  encodeTcp(TID - 1, 1, encodeResponsePdu({ kind: 'registers', unitId: 1, functionCode: 3, registers: [1, 2, 3, 4] })),
];

/** Follows the link's loop over one received buffer: skip late answers, stop at the first verdict. */
function judge(buf: Uint8Array): number[] {
  let rest = buf;
  for (;;) {
    const a = readTcpAnswer(rest, TID, CTX);
    // An incomplete ADU: the link waits for more bytes, then the request times out.
    if (a.kind === 'need-more') throw new LightNodeError('EDGE_MODBUS_TIMEOUT', 'incomplete answer: the request times out');
    if (a.kind === 'fatal') throw a.error;
    if (a.kind === 'error') throw a.error;
    if (a.kind === 'registers') return a.registers;
    rest = rest.subarray(a.consumed);
  }
}

export function edgeTargets(): FuzzTarget<unknown>[] {
  const tcp: FuzzTarget<Uint8Array> = {
    name: 'Modbus TCP answer', side: 'edge',
    input: (rnd: Rng) => mutateBytes(rnd, rnd.pick(SAMPLES), SAMPLES),
    run: judge,
  };
  return [tcp as FuzzTarget<unknown>];
}
