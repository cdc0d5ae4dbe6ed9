/**
 * A tiny Modbus slave for tests and benches: register banks served over a real TCP socket or a
 * real serial port (a socat pty), built on the repo's own frame codec, with request counting
 * and fault injection (silence, exceptions, corrupt CRC, holes that answer exception 2).
 */
import net from 'node:net';
import { SerialPort } from 'serialport';
import {
  decodeReadPdu,
  decodeRtu,
  decodeTcp,
  encodeResponsePdu,
  encodeRtu,
  encodeTcp,
  type ReadRequest,
  type Response,
} from '../../src/modbus/frame.js';

/** Registers of one unit: fc → address → value. */
export class RegisterBank {
  readonly regs = { 3: new Map<number, number>(), 4: new Map<number, number>() };
  /** When true, reading any register not set answers exception 2 (strict device). */
  strictHoles = false;
  /** Forces every request to answer this exception code. */
  exception: number | undefined;
  /** Never answers (dead meter). */
  silent = false;
  /** Corrupts the CRC of every answer (RTU only). */
  corruptCrc = false;
  /** Requests that cover more than this many registers answer exception 2. */
  maxBlock = 125;

  set(fc: 3 | 4, address: number, values: readonly number[]): void {
    values.forEach((v, i) => this.regs[fc].set(address + i, v & 0xffff));
  }

  answer(req: ReadRequest): Response | undefined {
    if (this.silent) return undefined;
    if (this.exception !== undefined) return { kind: 'exception', unitId: req.unitId, functionCode: req.functionCode, exceptionCode: this.exception };
    if (req.count < 1 || req.count > 125) return { kind: 'exception', unitId: req.unitId, functionCode: req.functionCode, exceptionCode: 3 };
    if (req.count > this.maxBlock) return { kind: 'exception', unitId: req.unitId, functionCode: req.functionCode, exceptionCode: 2 };
    const bank = this.regs[req.functionCode];
    const registers: number[] = [];
    for (let a = req.address; a < req.address + req.count; a++) {
      const v = bank.get(a);
      if (v === undefined && this.strictHoles) return { kind: 'exception', unitId: req.unitId, functionCode: req.functionCode, exceptionCode: 2 };
      registers.push(v ?? 0);
    }
    return { kind: 'registers', unitId: req.unitId, functionCode: req.functionCode, registers };
  }
}

/** Units served by one slave endpoint, plus a log of every request it received. */
export class SlaveUnits {
  readonly units = new Map<number, RegisterBank>();
  readonly log: ReadRequest[] = [];

  unit(id: number): RegisterBank {
    let b = this.units.get(id);
    if (!b) this.units.set(id, (b = new RegisterBank()));
    return b;
  }

  /** Requests received for `unitId` (all units when omitted). */
  count(unitId?: number): number {
    return unitId === undefined ? this.log.length : this.log.filter((r) => r.unitId === unitId).length;
  }

  handle(req: ReadRequest): Response | undefined {
    this.log.push(req);
    return this.units.get(req.unitId)?.answer(req);
  }
}

export interface RunningSlave {
  units: SlaveUnits;
  port: number;
  close(): Promise<void>;
}

/** Starts a Modbus TCP slave on 127.0.0.1 on a free port. */
export async function startTcpSlave(units = new SlaveUnits(), listenPort = 0): Promise<RunningSlave> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = new Uint8Array(0);
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        let adu;
        try {
          adu = decodeTcp(buf);
        } catch {
          sock.destroy();
          return;
        }
        if (!adu) return;
        buf = buf.slice(adu.consumed);
        let res: Response | undefined;
        try {
          res = units.handle(decodeReadPdu(adu.pdu, adu.unitId));
        } catch {
          res = { kind: 'exception', unitId: adu.unitId, functionCode: adu.pdu[0] ?? 0, exceptionCode: 1 };
        }
        if (res) sock.write(encodeTcp(adu.transactionId, adu.unitId, encodeResponsePdu(res)));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    units,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Serves RTU on an already existing serial device (one end of a socat pty pair). */
export async function startRtuSlave(path: string, units = new SlaveUnits()): Promise<{ units: SlaveUnits; close(): Promise<void> }> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false, lock: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  port.on('error', () => {});
  let buf = new Uint8Array(0);
  port.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    // Read requests are 8 bytes; resynchronise on a bad CRC by dropping one byte.
    while (buf.length >= 8) {
      let frame;
      try {
        frame = decodeRtu(buf.subarray(0, 8));
      } catch {
        buf = buf.slice(1);
        continue;
      }
      buf = buf.slice(8);
      let req: ReadRequest;
      try {
        req = decodeReadPdu(frame.pdu, frame.unitId);
      } catch {
        continue;
      }
      const res = units.handle(req);
      if (!res) continue;
      const adu = encodeRtu(req.unitId, encodeResponsePdu(res));
      if (units.units.get(req.unitId)?.corruptCrc) adu[adu.length - 1] ^= 0xff;
      port.write(Buffer.from(adu));
    }
  });
  return { units, close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())) };
}
