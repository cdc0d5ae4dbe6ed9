/**
 * Modbus TCP link over a plain `net` socket and the in-repo frame codec (frame.ts): MBAP header
 * with a fresh transaction id per request, one request in flight (ModbusLine serialises them).
 * Replaces modbus-serial for TCP so a TCP-only site never loads modbus-serial and serialport's
 * native bindings (~10 MB of RSS). Opens lazily and reopens after the link drops; an answer that
 * arrives after its request timed out is recognised by its transaction id and discarded.
 * Failures become the same typed errors as on the modbus-serial link (errors.ts).
 */
import net from 'node:net';
import { LightNodeError } from '@lightnode/shared/errors';
import { encodeReadPdu, encodeTcp } from './frame.js';
import { readTcpAnswer } from './tcp-answer.js';
import { connectionError, timeoutError, toModbusError, type RequestContext } from './errors.js';
import { linkName, type LinkConfig, type LinkRequest, type ModbusLink } from './link.js';

type TcpConfig = Extract<LinkConfig, { kind: 'tcp' }>;

interface Pending {
  transactionId: number;
  req: LinkRequest;
  ctx: RequestContext;
  timer: NodeJS.Timeout;
  resolve(regs: number[]): void;
  reject(err: LightNodeError): void;
}

const EMPTY = new Uint8Array(0);

/** A link failure: EDGE_MODBUS_CONNECTION. */
function linkFailure(message: string, ctx: RequestContext): LightNodeError {
  return connectionError(message, ctx);
}

/** Context of an answer that arrives with no request pending (only ever skipped). */
const LATE_CTX: RequestContext = { line: '', unitId: -1, functionCode: 0, address: 0, count: 0 };

/** Modbus TCP client link (`{ kind: 'tcp', host, port, connectTimeoutMs? }`). */
export class ModbusTcpLink implements ModbusLink {
  readonly name: string;
  private socket: net.Socket | undefined;
  private opening: Promise<net.Socket> | undefined;
  private buf: Uint8Array = EMPTY;
  private pending: Pending | undefined;
  private nextTid = 1;
  private closed = false;

  constructor(private readonly cfg: TcpConfig) {
    this.name = linkName(cfg);
  }

  private open(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    if (this.opening) return this.opening;
    const p = new Promise<net.Socket>((resolve, reject) => {
      const sock = net.connect({ host: this.cfg.host, port: this.cfg.port });
      sock.setNoDelay(true);
      const timer = setTimeout(() => { sock.destroy(); reject(new LightNodeError('EDGE_MODBUS_CONNECTION', `connect timeout after ${this.cfg.connectTimeoutMs ?? 3000} ms`)); }, this.cfg.connectTimeoutMs ?? 3000);
      const onError = (err: Error): void => { clearTimeout(timer); sock.destroy(); reject(err); };
      sock.once('error', onError);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.off('error', onError);
        this.attach(sock);
        resolve(sock);
      });
    });
    this.opening = p;
    p.then(() => (this.opening = undefined), () => (this.opening = undefined));
    return p;
  }

  private attach(sock: net.Socket): void {
    this.socket = sock;
    this.buf = EMPTY;
    sock.on('data', (chunk: Buffer) => this.onData(sock, chunk));
    // A socket error or close after open must not crash the agent; the next read reopens.
    sock.on('error', () => {});
    sock.on('close', () => {
      if (this.socket !== sock) return;
      this.socket = undefined;
      this.buf = EMPTY;
      const p = this.pending;
      if (p) this.settle(p, linkFailure('connection closed by the endpoint', p.ctx));
    });
  }

  private onData(sock: net.Socket, chunk: Buffer): void {
    if (this.socket !== sock) return;
    this.buf = this.buf.length === 0 ? new Uint8Array(chunk) : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const p = this.pending;
      // With nothing pending every complete ADU is a late answer: skip it (transaction id -1 matches none).
      const answer = readTcpAnswer(this.buf, p ? p.transactionId : -1, p ? p.ctx : LATE_CTX);
      if (answer.kind === 'need-more') return;
      if (answer.kind === 'fatal') {
        // Not Modbus TCP (or an absurd length): the stream cannot be resynchronised; drop it.
        this.drop();
        if (p) this.settle(p, answer.error);
        return;
      }
      this.buf = this.buf.subarray(answer.consumed);
      if (!p || answer.kind === 'skip') continue;
      this.settle(p, answer.kind === 'registers' ? answer.registers : answer.error);
    }
  }

  private settle(p: Pending, result: number[] | LightNodeError): void {
    if (this.pending !== p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    if (result instanceof LightNodeError) p.reject(result);
    else p.resolve(result);
  }

  async read(req: LinkRequest): Promise<number[]> {
    const ctx: RequestContext = { line: this.name, unitId: req.unitId, functionCode: req.functionCode, address: req.address, count: req.count };
    if (this.closed) throw linkFailure('link closed', ctx);
    if (this.pending) throw linkFailure('a request is already in flight on this link', ctx);
    let pdu: Uint8Array;
    try {
      pdu = encodeReadPdu(req);
    } catch {
      throw new LightNodeError('EDGE_MODBUS_FRAME', `${this.name} unit ${req.unitId}: request out of range (${req.address}+${req.count})`, { ...ctx });
    }
    let sock: net.Socket;
    try {
      sock = await this.open();
    } catch (err) {
      throw linkFailure(`cannot open: ${(err as Error).message ?? String(err)}`, ctx);
    }
    if (this.closed) throw linkFailure('link closed', ctx);
    const transactionId = this.nextTid;
    this.nextTid = (this.nextTid % 0xffff) + 1;
    return new Promise<number[]>((resolve, reject) => {
      const p: Pending = {
        transactionId, req, ctx, resolve, reject,
        timer: setTimeout(() => this.settle(p, timeoutError(ctx)), req.timeoutMs),
      };
      this.pending = p;
      sock.write(encodeTcp(transactionId, req.unitId, pdu));
    });
  }

  private drop(): void {
    const s = this.socket;
    this.socket = undefined;
    this.buf = EMPTY;
    s?.destroy();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.opening) await this.opening.catch(() => {});
    const p = this.pending;
    if (p) this.settle(p, linkFailure('link closed', p.ctx));
    const s = this.socket;
    this.drop();
    if (s && !s.closed) await new Promise<void>((r) => { s.once('close', () => r()); setTimeout(r, 1000).unref(); });
  }
}
