/**
 * Modbus RTU server adapter on a serial line (a real port or a pty): several slave ids on one
 * line, answered one at a time like a half-duplex RS485 bus. Framing by function code with a
 * silence timeout to resynchronise after garbage; frames with a bad CRC are ignored as a real
 * slave would.
 */
import { SerialPort } from 'serialport';
import { serialOpenError } from '../serial-open.js';
import { decodeRtuRequest, encodeRtuFrame, rtuCrcValid } from './adu.js';
import { serveModbus, type ModbusDevice } from './device.js';

export interface ModbusRtuServerOptions {
  /** Serial device path, e.g. /dev/ttyUSB0 or a socat pty link. */
  path: string;
  /** Baud rate (default 9600; a pty ignores it). */
  baudRate?: number;
  /** Devices by slave id (1..247). */
  devices: Map<number, ModbusDevice>;
  /** Silence after which a partial frame is dropped or an unknown-length frame is served, in ms (default 20). */
  frameGapMs?: number;
}

export class ModbusRtuServer {
  readonly path: string;
  readonly baudRate: number;
  private readonly devices: Map<number, ModbusDevice>;
  private readonly frameGapMs: number;
  private port?: SerialPort;
  private buf: Uint8Array = new Uint8Array(0);
  private gapTimer?: NodeJS.Timeout;
  private queue: Promise<void> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  /** Frames seen, by outcome (for tests and /lab). */
  readonly counters = { requests: 0, badCrc: 0, dropped: 0, silent: 0 };

  constructor(o: ModbusRtuServerOptions) {
    this.path = o.path;
    this.baudRate = o.baudRate ?? 9600;
    this.devices = o.devices;
    this.frameGapMs = o.frameGapMs ?? 20;
  }

  /** Opens the serial port (serialport's exclusive lock is off so ptys work). */
  start(): Promise<{ path: string; baudRate: number }> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path: this.path, baudRate: this.baudRate, lock: false, autoOpen: false });
      port.open((err) => {
        if (err) return reject(serialOpenError(this.path, err));
        this.port = port;
        port.on('data', (d: Buffer) => this.onData(d));
        port.on('error', () => {});
        resolve({ path: this.path, baudRate: this.baudRate });
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.gapTimer);
    for (const t of this.timers) clearTimeout(t);
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private onData(d: Buffer): void {
    const joined = new Uint8Array(this.buf.length + d.length);
    joined.set(this.buf);
    joined.set(d, this.buf.length);
    this.buf = joined;
    clearTimeout(this.gapTimer);
    for (;;) {
      const r = decodeRtuRequest(this.buf);
      if (r.kind === 'frame') { this.buf = r.rest; this.enqueue(r.unitId, r.pdu); continue; }
      if (r.kind === 'bad-crc') { this.counters.badCrc++; this.buf = new Uint8Array(0); break; }
      break;
    }
    if (this.buf.length > 0) this.gapTimer = setTimeout(() => this.onGap(), this.frameGapMs);
  }

  /** Silence on the line: serve an unknown-length frame if its CRC is valid, else drop it. */
  private onGap(): void {
    const b = this.buf;
    this.buf = new Uint8Array(0);
    if (rtuCrcValid(b)) this.enqueue(b[0]!, b.slice(1, b.length - 2));
    else this.counters.dropped++;
  }

  private enqueue(unitId: number, pdu: Uint8Array): void {
    this.counters.requests++;
    this.queue = this.queue.then(() => this.serve(unitId, pdu));
  }

  private serve(unitId: number, reqPdu: Uint8Array): Promise<void> {
    const r = serveModbus(this.devices.get(unitId), reqPdu);
    return new Promise((resolve) => {
      const send = () => {
        if (r.pdu && this.port?.isOpen && !this.stopped) this.port.write(Buffer.from(encodeRtuFrame(unitId, r.pdu, r.corruptCrc)));
        else this.counters.silent++;
        resolve();
      };
      if (r.delayMs > 0) {
        const t = setTimeout(() => { this.timers.delete(t); send(); }, r.delayMs);
        this.timers.add(t);
      } else send();
    });
  }
}
