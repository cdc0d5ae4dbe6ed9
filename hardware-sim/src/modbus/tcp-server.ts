/**
 * Modbus TCP server adapter: MBAP framing from adu.ts, faults from device.ts. Several slave
 * ids (unit ids) on one port. When every device on the port is offline the port stops
 * listening (clients see "connection refused") and listens again on the same port when one
 * comes back.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { decodeTcpFrames, encodeTcpFrame } from './adu.js';
import { serveModbus, type ModbusDevice } from './device.js';
import { encodeExceptionPdu } from './pdu.js';

export interface ModbusTcpServerOptions {
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** TCP port (default 0 = a free port chosen by the OS). */
  port?: number;
  /** Devices by unit id (1..247). */
  devices: Map<number, ModbusDevice>;
}

export class ModbusTcpServer {
  readonly host: string;
  port: number;
  private readonly devices: Map<number, ModbusDevice>;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  /** Requests served, by outcome (for tests and /lab). */
  readonly counters = { requests: 0, silent: 0, badFrames: 0 };

  constructor(o: ModbusTcpServerOptions) {
    this.host = o.host ?? '127.0.0.1';
    this.port = o.port ?? 0;
    this.devices = o.devices;
  }

  /** Starts listening; resolves with the bound address. */
  async start(): Promise<{ host: string; port: number }> {
    await this.listen();
    return { host: this.host, port: this.port };
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer((s) => this.onConnection(s));
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        server.on('error', () => {});
        this.port = (server.address() as { port: number }).port;
        this.server = server;
        resolve();
      });
    });
  }

  private close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }

  /** Re-evaluates the `offline` faults: closes the port when every device is gone, reopens it when one is back. */
  async refresh(): Promise<void> {
    if (this.stopped) return;
    const anyOnline = [...this.devices.values()].some((d) => !d.faults.offline);
    if (!anyOnline && this.server) await this.close();
    else if (anyOnline && !this.server) await this.listen();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.close();
  }

  private onConnection(sock: Socket): void {
    this.sockets.add(sock);
    sock.setNoDelay(true);
    let buf: Uint8Array = new Uint8Array(0);
    sock.on('data', (chunk) => {
      const joined = new Uint8Array(buf.length + chunk.length);
      joined.set(buf);
      joined.set(chunk, buf.length);
      const { frames, rest, error } = decodeTcpFrames(joined);
      buf = rest;
      for (const f of frames) this.serve(sock, f.transactionId, f.unitId, f.pdu);
      if (error) { this.counters.badFrames++; sock.destroy(); }
    });
    sock.on('error', () => {});
    sock.on('close', () => this.sockets.delete(sock));
  }

  private serve(sock: Socket, transactionId: number, unitId: number, reqPdu: Uint8Array): void {
    this.counters.requests++;
    const device = this.devices.get(unitId);
    // A gateway answers for a unit it does not know with exception 11 (target failed to respond).
    const r = device ? serveModbus(device, reqPdu) : { pdu: encodeExceptionPdu(reqPdu[0] ?? 0, 11), corruptCrc: false, delayMs: 0 };
    if (!r.pdu) { this.counters.silent++; return; }
    const frame = encodeTcpFrame({ transactionId, unitId, pdu: r.pdu });
    const send = () => { if (!sock.destroyed) sock.write(frame); };
    if (r.delayMs > 0) {
      const t = setTimeout(() => { this.timers.delete(t); send(); }, r.delayMs);
      this.timers.add(t);
    } else send();
  }
}
