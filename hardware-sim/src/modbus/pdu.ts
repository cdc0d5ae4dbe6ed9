/**
 * Pure Modbus application-layer codec (Modbus Application Protocol v1.1b3 §6–7):
 * request PDUs a server receives (FC03, FC04, FC06, FC16) and the response / exception PDUs
 * it sends. No sockets, no clocks: the TCP and RTU adapters frame these bytes.
 */

/** Exception codes (§7). */
export const ModbusExceptionCode = {
  IllegalFunction: 1,
  IllegalDataAddress: 2,
  IllegalDataValue: 3,
  SlaveDeviceFailure: 4,
  Acknowledge: 5,
  SlaveDeviceBusy: 6,
  GatewayTargetFailed: 11,
} as const;

/** A Modbus exception raised while serving a request; becomes an exception PDU in one place. */
export class ModbusException extends Error {
  constructor(readonly exceptionCode: number, message: string) {
    super(message);
    this.name = 'ModbusException';
  }
}

export type ModbusRequest =
  | { fc: 3 | 4; address: number; quantity: number }
  | { fc: 6; address: number; value: number }
  | { fc: 16; address: number; values: number[] };

export type ModbusResponse =
  | { fc: 3 | 4; registers: ArrayLike<number> }
  | { fc: 6; address: number; value: number }
  | { fc: 16; address: number; quantity: number };

/** Max registers per read (FC03/FC04) and per write-multiple (FC16), §6.3/§6.12. */
export const MAX_READ_REGISTERS = 125;
export const MAX_WRITE_REGISTERS = 123;

/** Length in bytes of a request PDU starting with `pdu`, or undefined when not yet knowable / unsupported. */
export function requestPduLength(pdu: Uint8Array): number | undefined {
  const fc = pdu[0];
  if (fc === 3 || fc === 4 || fc === 6) return 5;
  if (fc === 16) return pdu.length >= 6 ? 6 + pdu[5]! : undefined;
  return undefined;
}

/** Decodes a request PDU; throws ModbusException 1 (unknown FC) or 3 (malformed / bad quantity). */
export function decodeRequestPdu(pdu: Uint8Array): ModbusRequest {
  const fc = pdu[0];
  const u16 = (i: number) => (pdu[i]! << 8) | pdu[i + 1]!;
  if (fc === 3 || fc === 4) {
    if (pdu.length !== 5) throw new ModbusException(3, `FC${fc} request must be 5 bytes, got ${pdu.length}`);
    const quantity = u16(3);
    if (quantity < 1 || quantity > MAX_READ_REGISTERS) throw new ModbusException(3, `quantity ${quantity} not in 1..${MAX_READ_REGISTERS}`);
    return { fc, address: u16(1), quantity };
  }
  if (fc === 6) {
    if (pdu.length !== 5) throw new ModbusException(3, `FC6 request must be 5 bytes, got ${pdu.length}`);
    return { fc, address: u16(1), value: u16(3) };
  }
  if (fc === 16) {
    if (pdu.length < 6) throw new ModbusException(3, 'FC16 request truncated');
    const quantity = u16(3);
    const byteCount = pdu[5]!;
    if (quantity < 1 || quantity > MAX_WRITE_REGISTERS || byteCount !== quantity * 2 || pdu.length !== 6 + byteCount) {
      throw new ModbusException(3, `FC16 quantity ${quantity} / byte count ${byteCount} / length ${pdu.length} inconsistent`);
    }
    const values: number[] = [];
    for (let i = 0; i < quantity; i++) values.push(u16(6 + 2 * i));
    return { fc, address: u16(1), values };
  }
  throw new ModbusException(1, `function code ${fc} not supported`);
}

/** Encodes a request PDU (used by tests and tools acting as a master). */
export function encodeRequestPdu(req: ModbusRequest): Uint8Array {
  if (req.fc === 6) return Uint8Array.of(6, req.address >> 8, req.address & 0xff, (req.value >> 8) & 0xff, req.value & 0xff);
  if (req.fc !== 16) return Uint8Array.of(req.fc, req.address >> 8, req.address & 0xff, req.quantity >> 8, req.quantity & 0xff);
  const out = new Uint8Array(6 + req.values.length * 2);
  out.set([16, req.address >> 8, req.address & 0xff, req.values.length >> 8, req.values.length & 0xff, req.values.length * 2]);
  req.values.forEach((v, i) => { out[6 + 2 * i] = (v >> 8) & 0xff; out[7 + 2 * i] = v & 0xff; });
  return out;
}

/** Encodes a normal response PDU. */
export function encodeResponsePdu(res: ModbusResponse): Uint8Array {
  if (res.fc === 6) return Uint8Array.of(6, res.address >> 8, res.address & 0xff, (res.value >> 8) & 0xff, res.value & 0xff);
  if (res.fc === 16) return Uint8Array.of(16, res.address >> 8, res.address & 0xff, res.quantity >> 8, res.quantity & 0xff);
  {
    const n = res.registers.length;
    const out = new Uint8Array(2 + n * 2);
    out[0] = res.fc;
    out[1] = n * 2;
    for (let i = 0; i < n; i++) {
      const v = res.registers[i]! & 0xffff;
      out[2 + 2 * i] = v >> 8;
      out[3 + 2 * i] = v & 0xff;
    }
    return out;
  }
}

/** Encodes an exception PDU: function code with the high bit set, then the exception code (§7). */
export function encodeExceptionPdu(fc: number, exceptionCode: number): Uint8Array {
  return Uint8Array.of((fc | 0x80) & 0xff, exceptionCode & 0xff);
}
