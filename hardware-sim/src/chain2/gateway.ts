/**
 * Simulated in-home Chain 2 gateway: the pure generator driven by a timer, pushed as JSON over a
 * WebSocket (streaming starts after the client sends `!`, as deployed gateways do) and/or as one
 * JSON object per line on a serial port. Faults: malformed frames, silence, delay, offline.
 */
import { SerialPort } from 'serialport';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SimTime } from '../devices/sim-meter.js';
import type { DeviceFaults } from '../faults.js';
import { profilePowerW, type ProfileConfig } from '../physics/profiles.js';
import { gauss } from '../physics/random.js';
import { serialOpenError } from '../serial-open.js';
import { advanceChain2, cf20, initialChain2State, type Chain2Frame, type Chain2GenState, type Chain2MeterConfig } from './generator.js';
import { MALFORMED_KINDS, malformFrame } from './malformed.js';

export interface Chain2GatewayOptions {
  id: string;
  clock: SimTime;
  meter: Chain2MeterConfig;
  profile: ProfileConfig;
  /** Energy register at start, in Wh (default 0). */
  initialEnergyWh?: number;
  /** WebSocket listener (port 0 = free port). */
  ws?: { port?: number; host?: string };
  /** Serial line to write JSON lines to. */
  serial?: { path: string; baudRate?: number };
  /** Real ms between generator ticks (default 100). */
  tickMs?: number;
  faults?: DeviceFaults;
}

/** Values forced from the control API. */
export interface Chain2Overrides { powerW?: number; voltageV?: number; outage?: boolean }

export class Chain2Gateway {
  readonly id: string;
  faults: DeviceFaults;
  overrides: Chain2Overrides = {};
  /** Frames generated / sent / malformed (for tests and /lab). */
  readonly counters = { generated: 0, sent: 0, malformed: 0 };
  private readonly o: Chain2GatewayOptions;
  private state: Chain2GenState;
  private wss?: WebSocketServer;
  private readonly streaming = new Set<WebSocket>();
  private serial?: SerialPort;
  private timer?: NodeJS.Timeout;
  private readonly timers = new Set<NodeJS.Timeout>();
  private malformedIndex = 0;

  constructor(o: Chain2GatewayOptions) {
    this.id = o.id;
    this.o = o;
    this.faults = o.faults ?? {};
    this.state = initialChain2State(o.clock.nowMs(), o.initialEnergyWh ?? 0);
  }

  /** Starts the listeners and the tick timer; resolves with the endpoints. */
  async start(): Promise<{ ws?: string; serial?: string }> {
    const out: { ws?: string; serial?: string } = {};
    if (this.o.ws) {
      const host = this.o.ws.host ?? '127.0.0.1';
      const wss = new WebSocketServer({ port: this.o.ws.port ?? 0, host });
      await new Promise<void>((resolve, reject) => { wss.once('listening', resolve); wss.once('error', reject); });
      wss.on('connection', (ws) => this.onConnection(ws));
      this.wss = wss;
      out.ws = `ws://${host}:${(wss.address() as { port: number }).port}`;
    }
    if (this.o.serial) {
      const port = new SerialPort({ path: this.o.serial.path, baudRate: this.o.serial.baudRate ?? 115200, lock: false, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(serialOpenError(this.o.serial!.path, e)) : resolve())));
      port.on('error', () => {});
      // A reader that opens the line late sends `!` to get the greeting again.
      port.on('data', (d: Buffer) => { if (d.includes('!')) this.greet((t) => this.writeSerial(t)); });
      this.serial = port;
      out.serial = this.o.serial.path;
      this.greet((t) => this.writeSerial(t));
    }
    this.timer = setInterval(() => this.tick(), this.o.tickMs ?? 100);
    return out;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const t of this.timers) clearTimeout(t);
    for (const ws of this.wss?.clients ?? []) ws.terminate();
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
    const s = this.serial;
    if (s?.isOpen) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Sets the faults; going offline drops every WebSocket client. */
  setFaults(f: DeviceFaults): void {
    this.faults = f;
    if (f.offline) for (const ws of this.wss?.clients ?? []) ws.terminate();
  }

  private info(): Chain2Frame {
    return { Chain2Info: { Id: this.id, Ip: '127.0.0.1', ProgId: 'lightnode-sim-1.0', CFcountFromBoot: this.counters.generated } };
  }

  private greet(send: (text: string) => void): void {
    send(JSON.stringify(this.info()));
    send(JSON.stringify({ Chain2State: { Link: this.overrides.outage ? 'down' : 'up', Plc: true } }));
    send(JSON.stringify(cf20(this.o.meter, this.state)));
  }

  private onConnection(ws: WebSocket): void {
    if (this.faults.offline) { ws.terminate(); return; }
    ws.on('error', () => {});
    ws.on('close', () => this.streaming.delete(ws));
    ws.on('message', (m) => {
      if (m.toString().trim() !== '!' || this.streaming.has(ws)) return;
      this.streaming.add(ws);
      this.greet((t) => ws.send(t));
    });
  }

  private inputs = (ms: number) => ({
    powerW: this.overrides.powerW ?? Math.max(0, profilePowerW(this.o.profile, ms)),
    voltageV: this.overrides.voltageV ?? 230 + 1.5 * gauss(7, Math.floor(ms / 60_000)),
    outage: this.overrides.outage ?? false,
  });

  /** Advances the generator to now and pushes what it produced. */
  tick(): void {
    const r = advanceChain2(this.o.meter, this.state, this.o.clock.nowMs(), this.inputs);
    this.state = r.state;
    for (const f of r.frames) this.emit(f);
  }

  private emit(frame: Chain2Frame): void {
    this.counters.generated++;
    if (this.faults.timeout || this.faults.offline) return;
    let text = JSON.stringify(frame);
    if (this.faults.malformed) {
      text = malformFrame(frame, MALFORMED_KINDS[this.malformedIndex++ % MALFORMED_KINDS.length]!);
      this.counters.malformed++;
    }
    const send = () => {
      for (const ws of this.streaming) ws.send(text);
      this.writeSerial(text);
      this.counters.sent++;
    };
    const d = this.faults.delayMs ?? 0;
    if (d > 0) {
      const t = setTimeout(() => { this.timers.delete(t); send(); }, d);
      this.timers.add(t);
    } else send();
  }

  private writeSerial(text: string): void {
    if (this.serial?.isOpen) this.serial.write(`${text}\n`);
  }
}
