/**
 * Wire adapter: one modbus-serial client per serial port (RTU; the agent uses tcp-link.ts for
 * Modbus TCP). It only sends one request and waits for its answer; queueing, pacing, retries and
 * backoff live in ModbusLine. Opens lazily and reopens after the link drops, so a meter that
 * comes back is read again. modbus-serial (and through it serialport's native bindings) is
 * `require`d on the first open, so a site without serial meters never loads it.
 */
import { createRequire } from 'node:module';
import type ModbusRTU from 'modbus-serial';
import { connectionError, toModbusError, type RequestContext } from './errors.js';

let modbusSerial: typeof ModbusRTU | undefined;
function loadModbusSerial(): typeof ModbusRTU {
  return (modbusSerial ??= createRequire(import.meta.url)('modbus-serial') as typeof ModbusRTU);
}

/** Where a line goes. `lock: false` on serial lets ptys (socat) and shared test ports work. */
export type LinkConfig =
  | { kind: 'tcp'; host: string; port: number; connectTimeoutMs?: number }
  | { kind: 'rtu'; path: string; baudRate?: number; dataBits?: 7 | 8; stopBits?: 1 | 2; parity?: 'none' | 'even' | 'odd' };

export interface LinkRequest {
  unitId: number;
  functionCode: 3 | 4;
  address: number;
  count: number;
  timeoutMs: number;
}

/** Sends one read and resolves with its registers, or rejects with a LightNodeError. */
export interface ModbusLink {
  /** Stable name for logs and errors: `tcp://host:port` or `rtu:/dev/ttyX`. */
  readonly name: string;
  read(req: LinkRequest): Promise<number[]>;
  close(): Promise<void>;
}

/** Stable name of a link config (also the key that makes one owner per port). */
export function linkName(cfg: LinkConfig): string {
  return cfg.kind === 'tcp' ? `tcp://${cfg.host}:${cfg.port}` : `rtu:${cfg.path}`;
}

type Client = InstanceType<typeof ModbusRTU>;

/** modbus-serial backed link for RTU (and TCP, used by benches as a baseline). */
export class ModbusSerialLink implements ModbusLink {
  readonly name: string;
  private client: Client | undefined;
  private opening: Promise<Client> | undefined;
  private closed = false;

  constructor(private readonly cfg: LinkConfig) {
    this.name = linkName(cfg);
  }

  private open(): Promise<Client> {
    if (this.client?.isOpen) return Promise.resolve(this.client);
    if (this.opening) return this.opening;
    this.drop(); // a client whose link dropped is closed before a new one opens
    const client = new (loadModbusSerial())();
    const cfg = this.cfg;
    const p = (async () => {
      if (cfg.kind === 'tcp') {
        await client.connectTCP(cfg.host, { port: cfg.port, timeout: cfg.connectTimeoutMs ?? 3000 });
      } else {
        // `lock: false`: serialport's exclusive lock fails on ptys; the line itself is our lock.
        await client.connectRTUBuffered(cfg.path, {
          baudRate: cfg.baudRate ?? 9600,
          dataBits: cfg.dataBits ?? 8,
          stopBits: cfg.stopBits ?? 1,
          parity: cfg.parity ?? 'none',
          lock: false,
        } as Parameters<Client['connectRTUBuffered']>[1]);
      }
      // A socket error after open must not crash the agent; the next read reopens.
      const port = (client as unknown as { _port?: { on?: (ev: string, fn: (e: unknown) => void) => void } })._port;
      port?.on?.('error', () => {});
      this.client = client;
      return client;
    })();
    this.opening = p;
    p.then(
      () => (this.opening = undefined),
      () => {
        this.opening = undefined;
        try { client.close(() => {}); } catch { /* never opened */ }
      },
    );
    return p;
  }

  async read(req: LinkRequest): Promise<number[]> {
    const ctx: RequestContext = { line: this.name, unitId: req.unitId, functionCode: req.functionCode, address: req.address, count: req.count };
    if (this.closed) throw connectionError('link closed', ctx);
    let client: Client;
    try {
      client = await this.open();
    } catch (err) {
      throw connectionError(`cannot open: ${(err as Error).message ?? String(err)}`, ctx, err);
    }
    client.setID(req.unitId);
    client.setTimeout(req.timeoutMs);
    try {
      const res = req.functionCode === 3 ? await client.readHoldingRegisters(req.address, req.count) : await client.readInputRegisters(req.address, req.count);
      return res.data;
    } catch (err) {
      const mapped = toModbusError(err, ctx);
      if (mapped.code === 'EDGE_MODBUS_CONNECTION') this.drop();
      throw mapped;
    }
  }

  private drop(): void {
    const c = this.client;
    this.client = undefined;
    if (c) try { c.close(() => {}); } catch { /* already closed */ }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.opening) await this.opening.catch(() => {});
    const c = this.client;
    this.client = undefined;
    if (c?.isOpen) await new Promise<void>((resolve) => c.close(() => resolve()));
  }
}
