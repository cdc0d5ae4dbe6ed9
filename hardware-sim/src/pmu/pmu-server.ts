/**
 * Simulated PMU: a C37.118.2 server over TCP (conventionally port 4712, C37.118.2 Annex F) that
 * answers command frames — send CFG-1/CFG-2/header, data on, data off (§6.5 Table 14) — and
 * streams data frames at its DATA_RATE to each client that turned data on. Frames are due on the
 * injected clock's whole-frame grid and sent with catch-up, so a late timer delays frames but
 * never drops one.
 *
 * Fault modes (field failures a PDC must survive): `badCrc` inverts CHK; `wrongIdcode` stamps data
 * frames with another stream's IDCODE; `timeJumpSec` shifts SOC; `stalled` stops data while the
 * connection stays open (frames due meanwhile are lost, as from a hung PMU); `offline` drops
 * connections and refuses new ones; `changeConfiguration` raises STAT bit 10 for a lead time,
 * then changes the layout and bumps CFGCNT, as §6.3 Table 7 and §6.4 describe.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { ValidationError } from '@lightnode/shared/errors';
import { COMMANDS, decodeCommandFrame, encodeHeaderFrame } from '@lightnode/shared/c37118/command-frame';
import { encodeConfigFrame, type ConfigFrame } from '@lightnode/shared/c37118/config-frame';
import { encodeDataFrame } from '@lightnode/shared/c37118/data-frame';
import { crcCcitt } from '@lightnode/shared/c37118/crc-ccitt';
import { frameLengthAt } from '@lightnode/shared/c37118/frame';
import { STAT_CFG_CHANGE } from '@lightnode/shared/c37118/stat';
import type { SimTime } from '../devices/sim-meter.js';
import { frameTime, pmuConfigFrame, pmuDataFrame, type PmuSimConfig } from './pmu-generator.js';

export interface PmuFaults {
  badCrc?: boolean;
  wrongIdcode?: boolean;
  /** Seconds added to SOC of data frames (0 = off). */
  timeJumpSec?: number;
  stalled?: boolean;
  offline?: boolean;
}

export interface PmuServerOptions {
  sim: PmuSimConfig;
  clock: SimTime;
  /** TCP port (0 = a free port; default 4712). */
  port?: number;
  host?: string;
  /** Real ms between send ticks (default 5). */
  tickMs?: number;
  faults?: PmuFaults;
  /** Frames with STAT bit 10 set before a configuration change applies (default: one second of frames). */
  cfgChangeLeadFrames?: number;
}

const FAULT_KEYS = ['badCrc', 'wrongIdcode', 'timeJumpSec', 'stalled', 'offline'];

/** Validate a (partial) PMU faults object; throws `SIM_FAULT_INVALID` naming the field. */
export function validatePmuFaults(x: unknown, field = 'faults'): PmuFaults {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new ValidationError('SIM_FAULT_INVALID', field, 'object', x);
  const f = x as Record<string, unknown>;
  for (const k of Object.keys(f)) if (!FAULT_KEYS.includes(k)) throw new ValidationError('SIM_FAULT_INVALID', `${field}.${k}`, `one of ${FAULT_KEYS.join(', ')}`, k);
  for (const k of ['badCrc', 'wrongIdcode', 'stalled', 'offline']) if (f[k] !== undefined && typeof f[k] !== 'boolean') throw new ValidationError('SIM_FAULT_INVALID', `${field}.${k}`, 'boolean', f[k]);
  if (f.timeJumpSec !== undefined && !Number.isSafeInteger(f.timeJumpSec)) throw new ValidationError('SIM_FAULT_INVALID', `${field}.timeJumpSec`, 'an integer number of seconds', f.timeJumpSec);
  return f as PmuFaults;
}

interface Client { socket: Socket; buf: Buffer; dataOn: boolean; next: number }

export class PmuServer {
  faults: PmuFaults;
  /** Frames sent and commands seen (for tests and the lab). */
  readonly counters = { data: 0, config: 0, header: 0, commands: 0, lost: 0 };
  private readonly o: PmuServerOptions;
  private sim: PmuSimConfig;
  private cfgcnt = 0;
  private cfg: ConfigFrame;
  private readonly rate: number;
  private readonly soc0: number;
  private server?: Server;
  private timer?: NodeJS.Timeout;
  private readonly clients = new Set<Client>();
  private pending?: { at: number; next: PmuSimConfig };

  constructor(o: PmuServerOptions) {
    this.o = o;
    this.sim = o.sim;
    this.faults = validatePmuFaults(o.faults ?? {});
    this.rate = o.sim.rateFps ?? 50;
    if (!Number.isInteger(this.rate) || this.rate < 1 || this.rate > 50) throw new ValidationError('SIM_VALUES_INVALID', 'rateFps', 'an integer 1..50', this.rate);
    this.soc0 = Math.floor(o.clock.nowMs() / 1000);
    this.cfg = pmuConfigFrame(this.sim, this.cfgcnt, this.soc0);
  }

  /** Listens; resolves with the port. */
  async start(): Promise<{ port: number }> {
    const server = createServer((s) => this.onConnection(s));
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(this.o.port ?? 4712, this.o.host ?? '127.0.0.1', () => resolve()); });
    this.server = server;
    this.timer = setInterval(() => this.tick(), this.o.tickMs ?? 5);
    return { port: (server.address() as { port: number }).port };
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const c of this.clients) c.socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  setFaults(f: PmuFaults): void {
    this.faults = validatePmuFaults(f);
    if (this.faults.offline) for (const c of this.clients) c.socket.destroy();
  }

  /** The configuration now announced (CFG-2). */
  config(): ConfigFrame { return this.cfg; }

  /** Index of the last frame due at the clock's time. */
  private due(): number { return Math.floor(((this.o.clock.nowMs() - this.soc0 * 1000) * this.rate) / 1000); }

  /**
   * Change the channel layout: STAT bit 10 is raised from the next frame for the lead time, then
   * the new layout applies with CFGCNT + 1. Resolves with the first frame index of the new layout.
   */
  changeConfiguration(next: Partial<Pick<PmuSimConfig, 'voltages' | 'currents' | 'float'>>): number {
    const at = this.due() + 1 + (this.o.cfgChangeLeadFrames ?? this.rate);
    this.pending = { at, next: { ...this.sim, ...next } };
    return at;
  }

  private onConnection(socket: Socket): void {
    if (this.faults.offline) { socket.destroy(); return; }
    const c: Client = { socket, buf: Buffer.alloc(0), dataOn: false, next: 0 };
    this.clients.add(c);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('close', () => this.clients.delete(c));
    socket.on('data', (d: Buffer) => this.onBytes(c, d));
  }

  private onBytes(c: Client, d: Buffer): void {
    c.buf = Buffer.concat([c.buf, d]);
    for (;;) {
      const len = frameLengthAt(c.buf);
      if (len === null || (len > 0 && c.buf.length < len)) return;
      if (len < 0) { c.buf = c.buf.subarray(1); continue; } // resynchronise on the next SYNC byte
      const bytes = c.buf.subarray(0, len);
      c.buf = c.buf.subarray(len);
      let cmd: number;
      try { cmd = decodeCommandFrame(bytes).cmd; } catch { continue; } // a PMU ignores what it cannot read
      this.counters.commands++;
      this.onCommand(c, cmd);
    }
  }

  private head(): { version: 1 | 2; idcode: number; soc: number; fracsec: number; timeQuality: number } {
    const ms = this.o.clock.nowMs();
    return { version: this.cfg.version, idcode: this.cfg.idcode, soc: Math.floor(ms / 1000), fracsec: (ms % 1000) * 1000, timeQuality: 0 };
  }

  private onCommand(c: Client, cmd: number): void {
    const write = (b: Uint8Array) => { if (!c.socket.destroyed) c.socket.write(b); };
    if (cmd === COMMANDS.sendCfg2 || cmd === COMMANDS.sendCfg1) {
      this.counters.config++;
      write(encodeConfigFrame({ ...this.cfg, ...this.head(), type: cmd === COMMANDS.sendCfg1 ? 'cfg1' : 'cfg2' }));
    } else if (cmd === COMMANDS.sendHeader) {
      this.counters.header++;
      write(encodeHeaderFrame({ ...this.head(), text: `Light Node lab PMU ${this.sim.stn}: ${this.cfg.pmus[0]!.phasors.length} phasors at ${this.rate} fps` }));
    } else if (cmd === COMMANDS.dataOn) {
      if (!c.dataOn) { c.dataOn = true; c.next = this.due() + 1; }
    } else if (cmd === COMMANDS.dataOff) {
      c.dataOn = false;
    }
  }

  private tick(): void {
    const due = this.due();
    const from = Math.min(...[...this.clients].filter((c) => c.dataOn).map((c) => c.next), due + 1);
    for (let n = from; n <= due; n++) {
      this.applyPending(n);
      const frame = this.frameBytes(n);
      for (const c of this.clients) {
        if (!c.dataOn || c.next > n) continue;
        c.next = n + 1;
        if (this.faults.stalled) { this.counters.lost++; continue; }
        if (!c.socket.destroyed) c.socket.write(frame);
        this.counters.data++;
      }
    }
    this.applyPending(due);
  }

  /** Apply a pending configuration change once frame `n` is its first frame (or later). */
  private applyPending(n: number): void {
    if (!this.pending || n < this.pending.at) return;
    this.sim = this.pending.next;
    this.cfgcnt = (this.cfgcnt + 1) & 0xffff;
    this.cfg = pmuConfigFrame(this.sim, this.cfgcnt, this.soc0);
    this.pending = undefined;
  }

  private frameBytes(n: number): Uint8Array {
    const t = frameTime(this.soc0, this.rate, n);
    const jump = this.faults.timeJumpSec ?? 0;
    const stat = this.pending ? STAT_CFG_CHANGE : 0;
    const idcode = this.faults.wrongIdcode ? (this.cfg.idcode % 65534) + 1 : this.cfg.idcode;
    const frame = pmuDataFrame(this.sim, this.cfg, t, stat, this.cfg.idcode);
    const bytes = encodeDataFrame({ ...frame, soc: t.soc + jump }, this.cfg);
    if (idcode !== this.cfg.idcode) {
      // Re-stamp IDCODE after encoding (the encoder refuses a mismatch) and re-seal the CRC.
      bytes[4] = idcode >> 8; bytes[5] = idcode & 0xff;
      reseal(bytes);
    }
    if (this.faults.badCrc) { bytes[bytes.length - 1]! ^= 0xff; }
    return bytes;
  }
}

function reseal(b: Uint8Array): void {
  const c = crcCcitt(b, 0, b.length - 2);
  b[b.length - 2] = c >> 8;
  b[b.length - 1] = c & 0xff;
}
