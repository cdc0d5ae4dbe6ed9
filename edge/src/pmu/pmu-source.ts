/**
 * A C37.118.2 PMU as a StreamSource (the PDC side of C37.118.2 §6.5, Annex F): connect over TCP,
 * send "send CFG-2" (cmd 5), on the CFG-2 send "data on" (cmd 2), and turn every data frame into
 * one reading draft per PMU block — its values by the shared mapping (`pmuMeasurements`), its
 * timestamp the PMU's own (SOC + FRACSEC/TIME_BASE), its source the SHA-256 of the frame bytes,
 * which the frame sink keeps.
 *
 * Follows configuration changes (§6.3 Table 7 bit 10, §6.4 CFGCNT): when the change-pending bit
 * falls, or a frame no longer fits the CFG-2's layout, frames are held and CFG-2 is fetched
 * again; the held frames are then decoded under it, so a change loses no frame. Refuses bad
 * frames with EDGE_PMU_FRAME_INVALID (details.reason: the codec's C37_ code), drops a frame whose
 * time was already read (EDGE_PMU_FRAME_DUPLICATE), reports a frame off the DATA_RATE grid
 * (EDGE_PMU_TIME_JUMP, the reading is still made: it is what the PMU measured), and reopens the
 * link with backoff when it closes or stalls (EDGE_PMU_CONNECTION, EDGE_PMU_STALLED).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { LightNodeError, isLightNodeError, type ErrorCode } from '@lightnode/shared/errors';
import { COMMANDS, encodeCommandFrame } from '@lightnode/shared/c37118/command-frame';
import { decodeConfigFrame, type ConfigFrame } from '@lightnode/shared/c37118/config-frame';
import { dataFrameBytes, decodeDataFrame, type DataFrame } from '@lightnode/shared/c37118/data-frame';
import { frameLengthAt, peekFrameType } from '@lightnode/shared/c37118/frame';
import { pmuMeasurements } from '@lightnode/shared/c37118/pmu-measurements';
import { STAT_CFG_CHANGE } from '@lightnode/shared/c37118/stat';
import { noMetrics, type AcquisitionMetrics, type ReadingDraft, type SourcePlausibility, type StreamSource } from '../meters/source.js';
import { Backoff } from '../scheduler/backoff.js';
import { systemClock, type Clock } from '../scheduler/clock.js';
import type { PmuSourceConfig } from './pmu-config.js';
import { noFrameSink, type FrameSink } from './frame-sink.js';

/** Opens a TCP connection (injected so tests can fail or delay it). */
export type Connect = (port: number, host: string) => Socket;

export interface PmuSourceOptions {
  config: PmuSourceConfig;
  clock?: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  metrics?: AcquisitionMetrics;
  sink?: FrameSink;
  connect?: Connect;
  random?: () => number;
}

/** Frames held while a new CFG-2 is awaited (≈ 20 s at 50 fps); beyond, the oldest are refused. */
const MAX_HELD = 1000;
/** A "send CFG-2" not answered within this is sent again (frames keep being held meanwhile), ms. */
export const CFG_RETRY_MS = 1000;
/** Longest frame buffered from the stream before a SYNC is found (FRAMESIZE is at most 65535). */
const MAX_BUFFER = 1 << 17;

export class PmuSource implements StreamSource {
  readonly id: string;
  /** What happened, for status and tests. */
  readonly counters = { connects: 0, configs: 0, frames: 0, drafts: 0, rejected: 0, duplicates: 0, timeJumps: 0, stalls: 0, held: 0 };
  /** The nominal frequency the PMU declares (CFG FNOM) sets the frequency window of the agent's plausibility gate. */
  readonly plausibility: SourcePlausibility = { rating: {} };
  private readonly c: PmuSourceConfig;
  private readonly clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  private readonly metrics: AcquisitionMetrics;
  private readonly sink: FrameSink;
  private readonly connectFn: Connect;
  private readonly backoff: Backoff;
  private socket?: Socket;
  private buf: Buffer = Buffer.alloc(0);
  private cfg?: ConfigFrame;
  private held: Uint8Array[] = [];
  /** Awaiting a CFG-2 (first, or after a change); data frames are held meanwhile. */
  private awaitingCfg = true;
  private changePending = false;
  /** Last frame time read per PMU block index, ms×10⁶ + ns rest (for duplicates and jumps). */
  private lastTime = new Map<number, number>();
  private stallTimer?: unknown;
  private retryTimer?: unknown;
  private connectTimer?: unknown;
  private cfgTimer?: unknown;
  private closed = false;
  private onDraft: (d: ReadingDraft) => void = () => {};
  private onError: (e: Error) => void = () => {};

  constructor(o: PmuSourceOptions) {
    this.c = o.config;
    this.id = o.config.id;
    this.clock = o.clock ?? systemClock;
    this.metrics = o.metrics ?? noMetrics;
    this.sink = o.sink ?? noFrameSink;
    this.connectFn = o.connect ?? ((port, host) => netConnect(port, host));
    this.backoff = new Backoff({ minMs: o.config.reconnectMinMs, maxMs: o.config.reconnectMaxMs, jitter: 'tenth', ...(o.random ? { random: o.random } : {}) });
  }

  /** The CFG-2 in force (undefined before the first). */
  config(): ConfigFrame | undefined { return this.cfg; }

  start(onDraft: (d: ReadingDraft) => void, onError: (e: Error) => void): void {
    this.onDraft = onDraft;
    this.onError = onError;
    this.open();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of [this.stallTimer, this.retryTimer, this.connectTimer, this.cfgTimer]) if (t !== undefined) this.clock.clearTimeout(t);
    this.socket?.destroy();
    await this.sink.close();
  }

  private report(err: LightNodeError, metric: ErrorCode = err.code): void {
    this.metrics.onEvent(metric, this.id);
    this.onError(err);
  }

  private open(): void {
    if (this.closed) return;
    const s = this.connectFn(this.c.port, this.c.host);
    this.socket = s;
    this.buf = Buffer.alloc(0);
    this.awaitingCfg = true;
    s.setNoDelay?.(true);
    this.connectTimer = this.clock.setTimeout(() => s.destroy(new LightNodeError('EDGE_PMU_CONNECTION', `${this.id}: connect timed out after ${this.c.connectTimeoutMs} ms`)), this.c.connectTimeoutMs);
    s.once('connect', () => {
      this.clock.clearTimeout(this.connectTimer);
      this.counters.connects++;
      this.askCfg();
      this.armStall();
    });
    s.on('data', (d: Buffer) => this.onBytes(d));
    s.on('error', () => {}); // reported once, on close
    s.once('close', (hadError) => {
      this.clock.clearTimeout(this.connectTimer);
      if (this.stallTimer !== undefined) this.clock.clearTimeout(this.stallTimer);
      if (this.cfgTimer !== undefined) this.clock.clearTimeout(this.cfgTimer);
      if (this.closed || this.socket !== s) return;
      const delay = this.backoff.next();
      this.report(new LightNodeError('EDGE_PMU_CONNECTION', `${this.id}: link to ${this.c.host}:${this.c.port} closed${hadError ? ' with an error' : ''}; reconnecting in ${delay} ms`, { host: this.c.host, port: this.c.port, delayMs: delay }));
      this.retryTimer = this.clock.setTimeout(() => this.open(), delay);
    });
  }

  private command(cmd: number): void {
    const ms = this.clock.now();
    const s = this.socket;
    if (!s || s.destroyed) return;
    s.write(encodeCommandFrame({ version: this.cfg?.version ?? 2, idcode: this.c.idcode, soc: Math.floor(ms / 1000), fracsec: 0, timeQuality: 0, cmd }));
  }

  /** Send "send CFG-2", and again every CFG_RETRY_MS until a CFG-2 arrives (a command can be lost or ignored). */
  private askCfg(): void {
    this.command(COMMANDS.sendCfg2);
    if (this.cfgTimer !== undefined) this.clock.clearTimeout(this.cfgTimer);
    const s = this.socket;
    this.cfgTimer = this.clock.setTimeout(() => { if (this.awaitingCfg && s === this.socket && !this.closed) this.askCfg(); }, CFG_RETRY_MS);
  }

  /** A stream with no data frame for `stallTimeoutMs` is reopened. */
  private armStall(): void {
    if (this.stallTimer !== undefined) this.clock.clearTimeout(this.stallTimer);
    const s = this.socket;
    this.stallTimer = this.clock.setTimeout(() => {
      if (this.closed || s !== this.socket) return;
      this.counters.stalls++;
      this.report(new LightNodeError('EDGE_PMU_STALLED', `${this.id}: no frame for ${this.c.stallTimeoutMs} ms; reopening the link`, { stallTimeoutMs: this.c.stallTimeoutMs }));
      s?.destroy();
    }, this.c.stallTimeoutMs);
  }

  private onBytes(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const len = frameLengthAt(this.buf);
      if (len === null) break;
      if (len < 0) { this.buf = this.buf.subarray(1); continue; } // lost SYNC: look for the next 0xAA
      if (this.buf.length < len) break;
      const frame = Uint8Array.from(this.buf.subarray(0, len));
      this.buf = this.buf.subarray(len);
      this.onFrame(frame);
    }
    if (this.buf.length > MAX_BUFFER) this.buf = Buffer.alloc(0);
  }

  private onFrame(frame: Uint8Array): void {
    const type = peekFrameType(frame);
    if (type === 'cfg2' || type === 'cfg1') {
      let cfg: ConfigFrame;
      try { cfg = decodeConfigFrame(frame); } catch (e) { this.refuse(e); return; }
      this.sink.write(frame);
      this.counters.configs++;
      this.cfg = cfg;
      const fnom = cfg.pmus[0]?.fnomHz;
      if (fnom !== undefined) this.plausibility.rating = { nominalFrequencyHz: fnom };
      if (this.awaitingCfg) {
        this.awaitingCfg = false;
        if (this.cfgTimer !== undefined) this.clock.clearTimeout(this.cfgTimer);
        this.command(COMMANDS.dataOn);
      }
      const held = this.held;
      this.held = [];
      for (const f of held) this.onData(f, true);
      return;
    }
    if (type !== 'data') return; // header frames, commands: nothing to read
    this.armStall();
    this.backoff.reset();
    this.counters.frames++;
    this.onData(frame, false);
  }

  private hold(frame: Uint8Array): void {
    this.held.push(frame);
    this.counters.held++;
    if (this.held.length > MAX_HELD) this.refuse(new LightNodeError('C37_CONFIG_MISMATCH', `${this.id}: no CFG-2 for ${MAX_HELD} held frames`), this.held.shift());
  }

  private refetch(): void {
    if (this.awaitingCfg) return;
    this.awaitingCfg = true;
    this.askCfg();
  }

  private onData(frame: Uint8Array, replay: boolean): void {
    const cfg = this.cfg;
    if (!cfg || (this.awaitingCfg && !replay)) { this.hold(frame); return; }
    const idcode = (frame[4]! << 8) | frame[5]!;
    // Another layout from our stream: the configuration changed under us (§6.4 CFGCNT); fetch it.
    if (idcode === cfg.idcode && frame.length !== dataFrameBytes(cfg) && !replay) { this.hold(frame); this.refetch(); return; }
    let f: DataFrame;
    try { f = decodeDataFrame(frame, cfg); } catch (e) { this.refuse(e, frame); return; }
    const pending = f.pmus.some((p) => (p.stat & STAT_CFG_CHANGE) !== 0);
    // The change applies when the pending bit falls: fetch the new CFG-2 before reading on, even
    // if the new layout happens to have the same size.
    if (this.changePending && !pending && !replay) { this.changePending = false; this.hold(frame); this.refetch(); return; }
    this.changePending = pending;
    this.sink.write(frame);
    const source = `c37118:${bytesToHex(sha256(frame))}`;
    const multi = cfg.pmus.length > 1;
    f.pmus.forEach((block, i) => {
      const pmu = cfg.pmus[i]!;
      let m: ReturnType<typeof pmuMeasurements>;
      try { m = pmuMeasurements(pmu, block, { soc: f.soc, fracsec: f.fracsec, timeBase: cfg.timeBase }); } catch (e) { this.refuse(e, frame); return; }
      const sub = m.values.find((v) => v.quantity === '0-0:128.14.0')?.value ?? 0;
      const t = m.timestampMs * 1e6 + sub;
      const last = this.lastTime.get(i);
      if (last !== undefined && t === last) {
        this.counters.duplicates++;
        this.report(new LightNodeError('EDGE_PMU_FRAME_DUPLICATE', `${this.id}: frame at ${m.timestampMs} ms read already; dropped`, { timestamp: m.timestampMs }));
        return;
      }
      if (last !== undefined && cfg.dataRate > 0) {
        const deltaMs = (t - last) / 1e6;
        const periodMs = 1000 / cfg.dataRate;
        if (Math.abs(deltaMs - periodMs) > this.c.timeJumpToleranceMs) {
          this.counters.timeJumps++;
          this.report(new LightNodeError('EDGE_PMU_TIME_JUMP', `${this.id}: frame ${deltaMs} ms after the last, expected ${periodMs}`, { deltaMs, periodMs }));
        }
      }
      this.lastTime.set(i, t);
      this.counters.drafts++;
      this.onDraft({ meter: multi ? `${this.id}.${pmu.idcode}` : this.id, timestamp: m.timestampMs, source, values: m.values });
    });
  }

  private refuse(e: unknown, frame?: Uint8Array): void {
    const reason = isLightNodeError(e) ? e.code : 'C37_FIELD_INVALID';
    this.counters.rejected++;
    this.report(new LightNodeError('EDGE_PMU_FRAME_INVALID', `${this.id}: frame refused (${reason}): ${(e as Error).message}`, { reason, bytes: frame?.length ?? 0 }), reason);
  }
}

/** Builds a PMU source from a raw `meters[]` entry (validated here). */
export async function createPmuSource(raw: unknown, ctx: { metrics?: AcquisitionMetrics; dataDir?: string }): Promise<PmuSource> {
  const { validatePmuConfig } = await import('./pmu-config.js');
  const config = validatePmuConfig(raw, `meters.${String((raw as { id?: unknown } | null)?.id)}`);
  let sink: FrameSink | undefined;
  if (config.frameLog) {
    const { fileFrameSink } = await import('./frame-sink.js');
    const { isAbsolute, resolve } = await import('node:path');
    sink = fileFrameSink(isAbsolute(config.frameLog) || !ctx.dataDir ? config.frameLog : resolve(ctx.dataDir, config.frameLog));
  }
  return new PmuSource({ config, ...(ctx.metrics ? { metrics: ctx.metrics } : {}), ...(sink ? { sink } : {}) });
}
