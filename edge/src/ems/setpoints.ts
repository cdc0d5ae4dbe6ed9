/**
 * Setpoint handling (issue 4 item 3; policy in edge/README.md "Setpoint policy").
 *
 * A command on `ln/v1/{pod}/setpoints` is checked in this order, and the first failure refuses
 * it with a code, a metric (`ems_setpoints_total{result,code}`) and an Activation{status:'refused'}:
 *   1. shape (≤ 64 KiB, then shared `parseSetpointCommand`)          → EDGE_SETPOINT_MALFORMED
 *   2. pod = this node's pod                                         → EDGE_SETPOINT_POD_MISMATCH
 *   3. EIP-712 signature recovers                                    → EDGE_SETPOINT_SIGNATURE_INVALID
 *   4. signer ∈ PodRegistry.setpointSigners() (chain, or cached list) → EDGE_SETPOINT_SIGNER_UNKNOWN
 *      (no list known at all                                         → EDGE_SETPOINT_SIGNERS_UNKNOWN)
 *   5. id not seen before (replay)                                   → EDGE_SETPOINT_REPLAY
 *   6. window: validUntil ≤ now                                      → status 'expired', EDGE_SETPOINT_EXPIRED
 * An accepted setpoint is applied at validFrom (at once if already valid; clock skew tolerance
 * `maxClockSkewMs`), read back from the EMS, and turned into a signed activation reading
 * (meter 'ems', source `activation:<id>`) in the spool plus an Activation{status:'applied'}.
 * A newer accepted setpoint supersedes the current one. At validUntil the fallback policy runs:
 * 'release' (default) commands mode 'off' — control goes back to the EMS's own logic — and
 * spools a second activation reading as evidence; 'hold' leaves the last value in place.
 */
import { LightNodeError, isLightNodeError } from '@lightnode/shared/errors';
import { recoverSetpointSigner, type Eip712Domain } from '@lightnode/shared/eip712';
import type { SignedSetpoint } from '@lightnode/shared/setpoint';
import { SETPOINT_ID_RE, type Measurement, type SignedReading } from '@lightnode/shared/reading';
import { toMeasurement } from '@lightnode/shared/quantities';
import { parseSetpointCommand, type Activation } from '@lightnode/shared/messages';
import type { SpoolDraft } from '../spool/port.js';
import type { EmsDriver, EmsState } from './driver.js';
import { Metrics } from '../ops/metrics.js';
import { nullLogger, type Logger } from '../ops/logger.js';
import { systemClock, type Clock } from '../scheduler/clock.js';

export const MAX_SETPOINT_BYTES = 64 * 1024;
/** How many setpoint ids are remembered for replay protection. */
export const REPLAY_MEMORY = 4096;

export interface SetpointControllerOptions {
  pod: string;
  domain: Eip712Domain;
  signers: { has(address: string): boolean };
  driver: EmsDriver;
  /** Spool an activation draft (signs + commits); returns the signed reading. */
  spool: (draft: SpoolDraft) => SignedReading;
  /** Publish the Activation notice (best effort; the reading goes through the spool anyway). */
  publish: (msg: Activation) => Promise<void>;
  fallback: 'release' | 'hold';
  maxClockSkewMs: number;
  clock?: Clock;
  metrics?: Metrics;
  logger?: Logger;
}

/**
 * Shape check of a setpoint command: at most MAX_SETPOINT_BYTES (a setpoint is tiny; the shared
 * 1 MiB message limit is far too generous here), then the shared `parseSetpointCommand`. Throws
 * EDGE_SETPOINT_MALFORMED, with the shared error (field, expected, found) as its cause.
 */
export function parseSetpointPayload(payload: Buffer | string): SignedSetpoint {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (size > MAX_SETPOINT_BYTES) throw new LightNodeError('EDGE_SETPOINT_MALFORMED', `setpoint command: ${size} bytes > ${MAX_SETPOINT_BYTES}`, { bytes: size, max: MAX_SETPOINT_BYTES });
  try {
    return parseSetpointCommand(payload).setpoint;
  } catch (err) {
    throw new LightNodeError('EDGE_SETPOINT_MALFORMED', `setpoint command: ${(err as Error).message}`, { reason: isLightNodeError(err) ? err.code : undefined }, { cause: err });
  }
}

/**
 * The setpoint id of a command that failed parsing, when it has a usable one ('invalid' else):
 * the refusal's Activation names the setpoint the DSO sent, so it can match its request.
 */
export function setpointIdOf(payload: Buffer | string): string {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (size > MAX_SETPOINT_BYTES) return 'invalid';
  try {
    const id = (JSON.parse(payload.toString()) as { setpoint?: { id?: unknown } } | null)?.setpoint?.id;
    return typeof id === 'string' && SETPOINT_ID_RE.test(id) ? id : 'invalid';
  } catch {
    return 'invalid';
  }
}

/** Measurements of an EMS state: setpoint read back (project code) + measured net power. */
export function emsMeasurements(s: EmsState): Measurement[] {
  const out = [toMeasurement('1-0:128.10.0', s.activePowerW)];
  if (s.measuredPowerW !== undefined) out.push(toMeasurement('1-0:16.7.0', s.measuredPowerW));
  return out;
}

/** Receives setpoint commands, verifies, applies, reports. */
export class SetpointController {
  readonly #o: SetpointControllerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #seen = new Set<string>();
  #current: { sp: SignedSetpoint; startTimer?: unknown; endTimer?: unknown } | undefined;
  #queue: Promise<void> = Promise.resolve();
  readonly #m;

  constructor(o: SetpointControllerOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    this.#log = (o.logger ?? nullLogger).child({ component: 'ems' });
    const m = o.metrics ?? new Metrics();
    this.#m = {
      setpoints: m.counter('ems_setpoints_total', 'Setpoint commands by result (applied|refused|expired) and code'),
      fallbacks: m.counter('ems_fallbacks_total', 'Fallbacks run at setpoint expiry, by policy'),
    };
  }

  /** The setpoint currently in force or pending, if any. */
  get current(): SignedSetpoint | undefined { return this.#current?.sp; }

  /** Handle one raw MQTT payload. Never throws; every outcome is reported. Resolves when done. */
  handle(payload: Buffer | string): Promise<void> {
    const run = this.#queue.then(() => this.#handle(payload));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #refuse(id: string, code: string, status: 'refused' | 'expired', err?: unknown): Promise<void> {
    this.#m.setpoints.inc({ result: status, code });
    this.#log.warn(`setpoint ${status}`, { setpointId: id, code, err });
    await this.#o.publish({ v: 1, setpointId: id, status, code }).catch((e: unknown) => this.#log.warn('activation publish failed', { err: e }));
  }

  async #handle(payload: Buffer | string): Promise<void> {
    let sp: SignedSetpoint;
    try {
      sp = parseSetpointPayload(payload);
    } catch (err) {
      return this.#refuse(setpointIdOf(payload), 'EDGE_SETPOINT_MALFORMED', 'refused', err);
    }
    const id = sp.id;
    if (sp.pod !== this.#o.pod) return this.#refuse(id, 'EDGE_SETPOINT_POD_MISMATCH', 'refused');
    let signer: string;
    try { signer = recoverSetpointSigner(this.#o.domain, sp); } catch (err) {
      return this.#refuse(id, 'EDGE_SETPOINT_SIGNATURE_INVALID', 'refused', err);
    }
    try {
      if (!this.#o.signers.has(signer)) return this.#refuse(id, 'EDGE_SETPOINT_SIGNER_UNKNOWN', 'refused');
    } catch (err) {
      return this.#refuse(id, isLightNodeError(err) ? err.code : 'EDGE_SETPOINT_SIGNERS_UNKNOWN', 'refused', err);
    }
    if (this.#seen.has(sp.id)) return this.#refuse(id, 'EDGE_SETPOINT_REPLAY', 'refused');
    this.#remember(sp.id);
    const now = this.#clock.now();
    if (sp.validUntil <= now) return this.#refuse(id, 'EDGE_SETPOINT_EXPIRED', 'expired');

    this.#log.info('setpoint accepted', { setpointId: sp.id, signer, mode: sp.mode, activePowerW: sp.activePowerW, validFrom: sp.validFrom, validUntil: sp.validUntil });
    this.#cancelCurrent();
    const cur: { sp: SignedSetpoint; startTimer?: unknown; endTimer?: unknown } = { sp };
    this.#current = cur;
    const startIn = sp.validFrom - now - this.#o.maxClockSkewMs;
    if (startIn > 0) {
      cur.startTimer = this.#clock.setTimeout(() => { void this.#enqueue(() => this.#apply(cur)); }, startIn);
    } else {
      await this.#apply(cur);
    }
    cur.endTimer = this.#clock.setTimeout(() => { void this.#enqueue(() => this.#expire(cur)); }, Math.max(0, sp.validUntil - this.#clock.now()));
  }

  #enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #remember(id: string): void {
    this.#seen.add(id);
    if (this.#seen.size > REPLAY_MEMORY) this.#seen.delete(this.#seen.values().next().value as string);
  }

  #cancelCurrent(): void {
    const c = this.#current;
    if (!c) return;
    if (c.startTimer !== undefined) this.#clock.clearTimeout(c.startTimer);
    if (c.endTimer !== undefined) this.#clock.clearTimeout(c.endTimer);
    this.#current = undefined;
  }

  async #apply(cur: { sp: SignedSetpoint }): Promise<void> {
    if (this.#current !== cur) return; // superseded
    const { sp } = cur;
    let state: EmsState;
    try {
      await this.#o.driver.apply({ mode: sp.mode, activePowerW: sp.activePowerW });
      state = await this.#o.driver.readback();
    } catch (err) {
      return this.#refuse(sp.id, isLightNodeError(err) ? err.code : 'EDGE_EMS_IO', 'refused', err);
    }
    const reading = this.#o.spool({ meter: 'ems', timestamp: this.#clock.now(), source: `activation:${sp.id}`, values: emsMeasurements(state) });
    if (state.mode !== sp.mode || state.activePowerW !== sp.activePowerW) {
      // The EMS holds something else: the signed reading records what it holds; report refused.
      this.#m.setpoints.inc({ result: 'refused', code: 'EDGE_EMS_READBACK_MISMATCH' });
      this.#log.warn('setpoint readback mismatch', { setpointId: sp.id, wanted: { mode: sp.mode, activePowerW: sp.activePowerW }, got: state });
      await this.#o.publish({ v: 1, setpointId: sp.id, status: 'refused', code: 'EDGE_EMS_READBACK_MISMATCH', reading }).catch(() => undefined);
      return;
    }
    this.#m.setpoints.inc({ result: 'applied', code: '' });
    this.#log.info('setpoint applied', { setpointId: sp.id, seq: reading.seq });
    await this.#o.publish({ v: 1, setpointId: sp.id, status: 'applied', reading }).catch((e: unknown) => this.#log.warn('activation publish failed', { err: e }));
  }

  async #expire(cur: { sp: SignedSetpoint }): Promise<void> {
    if (this.#current !== cur) return;
    this.#current = undefined;
    const { sp } = cur;
    this.#m.fallbacks.inc({ policy: this.#o.fallback });
    if (this.#o.fallback === 'hold') {
      this.#log.info('setpoint expired; holding last value (policy hold)', { setpointId: sp.id });
      await this.#o.publish({ v: 1, setpointId: sp.id, status: 'expired', code: 'EDGE_SETPOINT_EXPIRED' }).catch(() => undefined);
      return;
    }
    try {
      await this.#o.driver.apply({ mode: 'off', activePowerW: 0 });
      const state = await this.#o.driver.readback();
      const reading = this.#o.spool({ meter: 'ems', timestamp: this.#clock.now(), source: `activation:${sp.id}`, values: emsMeasurements(state) });
      this.#log.info('setpoint expired; EMS released (policy release)', { setpointId: sp.id, seq: reading.seq });
      await this.#o.publish({ v: 1, setpointId: sp.id, status: 'expired', code: 'EDGE_SETPOINT_EXPIRED', reading }).catch(() => undefined);
    } catch (err) {
      this.#log.error('fallback at expiry failed', { setpointId: sp.id, err });
      await this.#o.publish({ v: 1, setpointId: sp.id, status: 'expired', code: isLightNodeError(err) ? err.code : 'EDGE_EMS_IO' }).catch(() => undefined);
    }
  }

  /** Cancel timers (agent stop). */
  close(): void {
    this.#cancelCurrent();
  }
}
