/**
 * Chain 2 message generator, pure: advances a 2G meter's counters over simulated time and
 * returns the messages a gateway would push (reference/chain2.md): CF1 every quarter hour,
 * CF21 when instant power moves by a step, CF22 over the available power, CF23 after a supply
 * interruption, CF5/CF9/CF10 at day/week/month ends in Italian local time (Europe/Rome, so a
 * summer-time switch day is 23 or 25 hours long), CF20 contract data.
 */
import { isRomeMidnight, romeTime } from './rome-time.js';
import { dayType, tariffBand } from './tariff.js';

export interface Chain2MeterConfig {
  /** PoD code stated in CF20. */
  pod: string;
  /** Meter id in Chain2Data.Meter (default `<pod>-2G`). */
  meterId?: string;
  /** Contract power in W (default 3000); the available power is 110 % of it. */
  contractPowerW?: number;
  /** Power change that triggers CF21, in W (default 300). */
  powerStepW?: number;
  /** Customer code in CF20 (default 'CUST-0001'). */
  customerCode?: string;
}

/** The physical inputs at a simulated instant. */
export interface Chain2Inputs { powerW: number; voltageV: number; outage: boolean }

type Bands = [number, number, number];
export interface Chain2GenState {
  simMs: number;
  /** Energy register in whole Wh plus the exact remainder in W·ms (no float drift over months). */
  totalWh: number;
  remWms: number;
  quarterWh: number;
  prevQuarterWh: number;
  lastStepPowerW: number;
  overLimit: boolean;
  outageSinceMs: number | null;
  counters: { cf21: number; cf22: number; cf23: number; cf20: number };
  day: { bandsWh: Bands; maxW: number; maxAtMs: number };
  month: { bandsWh: Bands; maxQuarterW: number; maxAtMs: number };
  week: { vMin: number; vMinAtMs: number; vMax: number; vMaxAtMs: number; within10: number; neg15: number; pos15: number; over15: number; under15: number };
}

/** A Chain 2 message as the gateway sends it (one of the three envelopes). */
export type Chain2Frame = Record<string, unknown>;

const Q_MS = 900_000;
const STEP_MS = 10_000;
const sec = (ms: number) => Math.floor(ms / 1000);

const freshWeek = (): Chain2GenState['week'] => ({ vMin: Infinity, vMinAtMs: 0, vMax: -Infinity, vMaxAtMs: 0, within10: 0, neg15: 0, pos15: 0, over15: 0, under15: 0 });

/** Initial generator state at `simMs` with the energy register at `totalWh`. */
export function initialChain2State(simMs: number, totalWh = 0): Chain2GenState {
  return {
    simMs, totalWh: Math.floor(totalWh), remWms: 0, quarterWh: 0, prevQuarterWh: 0, lastStepPowerW: 0, overLimit: false, outageSinceMs: null,
    counters: { cf21: 0, cf22: 0, cf23: 0, cf20: 0 },
    day: { bandsWh: [0, 0, 0], maxW: 0, maxAtMs: simMs },
    month: { bandsWh: [0, 0, 0], maxQuarterW: 0, maxAtMs: simMs },
    week: freshWeek(),
  };
}

function data(cfg: Chain2MeterConfig, type: string, payload: Record<string, unknown>): Chain2Frame {
  return { Chain2Data: { Meter: cfg.meterId ?? `${cfg.pod}-2G`, Type: type, Payload: payload } };
}

/** CF20 contract / meter data (sent on connect and daily). */
export function cf20(cfg: Chain2MeterConfig, s: Chain2GenState): Chain2Frame {
  s.counters.cf20++;
  const contract = cfg.contractPowerW ?? 3000;
  return data(cfg, 'CF20', {
    EventType: 20, EventsCounter: s.counters.cf20, CustomerCode: cfg.customerCode ?? 'CUST-0001', POD: cfg.pod, PESSE: 0,
    Vendor: 'LightNodeLab', Phone: 0, StartContract: 1_704_067_200, ContractPower: contract,
    AvailablePower: Math.round(contract * 1.1), FreezingDay: 1, Gap: 0, DataPlate: 'SIM-2G-0001', K: 1,
  });
}

/** Advances to `toMs`, sampling `inputs` every 10 simulated seconds; returns new state and messages in time order. */
export function advanceChain2(cfg: Chain2MeterConfig, state: Chain2GenState, toMs: number, inputs: (ms: number) => Chain2Inputs): { state: Chain2GenState; frames: Chain2Frame[] } {
  const s: Chain2GenState = structuredClone(state);
  const frames: Chain2Frame[] = [];
  const available = Math.round((cfg.contractPowerW ?? 3000) * 1.1);
  const stepW = cfg.powerStepW ?? 300;
  while (s.simMs < toMs) {
    // Never step across a quarter boundary, so period messages carry exact boundary times.
    const nextQ = (Math.floor(s.simMs / Q_MS) + 1) * Q_MS;
    const t1 = Math.min(toMs, s.simMs + STEP_MS, nextQ);
    const input = inputs(s.simMs);
    const p = input.outage ? 0 : Math.round(input.powerW);
    const wh = (Math.max(0, p) * (t1 - s.simMs)) / 3_600_000;
    s.remWms += Math.max(0, p) * (t1 - s.simMs);
    s.totalWh += Math.floor(s.remWms / 3_600_000);
    s.remWms %= 3_600_000;
    s.quarterWh += wh;
    const band = tariffBand(s.simMs) - 1;
    s.day.bandsWh[band] += wh;
    s.month.bandsWh[band] += wh;
    if (p > s.day.maxW) { s.day.maxW = p; s.day.maxAtMs = s.simMs; }

    if (input.outage && s.outageSinceMs === null) s.outageSinceMs = s.simMs;
    if (!input.outage && s.outageSinceMs !== null) {
      s.counters.cf23++;
      frames.push(data(cfg, 'CF23', { EventType: 3, EventsCounter: s.counters.cf23, OutageDuration: sec(s.simMs - s.outageSinceMs) }));
      s.outageSinceMs = null;
    }
    if (!input.outage) {
      if (Math.abs(p - s.lastStepPowerW) >= stepW) {
        s.counters.cf21++;
        frames.push(data(cfg, 'CF21', { EventType: 1, EventsCounter: s.counters.cf21, EventPosixTimestamp: sec(s.simMs), InstantPower: p }));
        s.lastStepPowerW = p;
      }
      if (p > available && !s.overLimit) {
        s.counters.cf22++;
        frames.push(data(cfg, 'CF22', { EventType: 2, EventsCounter: s.counters.cf22, InstantPower: p, OutageDuration: 0 }));
      }
      s.overLimit = p > available;
      const v = input.voltageV, w = s.week, dev = (v - 230) / 230;
      if (v < w.vMin) { w.vMin = v; w.vMinAtMs = s.simMs; }
      if (v > w.vMax) { w.vMax = v; w.vMaxAtMs = s.simMs; }
      if (Math.abs(dev) <= 0.1) w.within10++;
      else if (dev < -0.15) w.under15++;
      else if (dev > 0.15) w.over15++;
      else if (dev < 0) w.neg15++;
      else w.pos15++;
    }

    s.simMs = t1;
    if (t1 === nextQ) frames.push(...periodEnd(cfg, s, p));
  }
  return { state: s, frames };
}

function periodEnd(cfg: Chain2MeterConfig, s: Chain2GenState, instantW: number): Chain2Frame[] {
  const t = s.simMs;
  const out: Chain2Frame[] = [];
  const quarterAvgW = Math.round(s.quarterWh * 4);
  out.push(data(cfg, 'CF1', {
    MeasurePosixTimestamp: sec(t), TariffCode: tariffBand(t - 1), TotalActEnergy: s.totalWh,
    CurrQuartActEnergy: Math.round(s.quarterWh), PrevQuartActEnergy: Math.round(s.prevQuarterWh),
    InstantPower: instantW, QuartAveragePower: quarterAvgW,
  }));
  if (quarterAvgW > s.month.maxQuarterW) { s.month.maxQuarterW = quarterAvgW; s.month.maxAtMs = t - Q_MS; }
  s.prevQuarterWh = s.quarterWh;
  s.quarterWh = 0;
  if (!isRomeMidnight(t)) return out;
  const ended = t - 1;
  const six = (b: Bands) => [...b.map(Math.round), 0, 0, 0];
  const daily = six(s.day.bandsWh);
  out.push(data(cfg, 'CF5', {
    ...Object.fromEntries(daily.map((v, i) => [`DailyTotalActEnergyF${i + 1}`, v])),
    DailyMaxInstantPower: s.day.maxW, DailyMaxInstantPowerDateTime: sec(s.day.maxAtMs), DayType: dayType(ended),
  }));
  s.day = { bandsWh: [0, 0, 0], maxW: 0, maxAtMs: t };
  const local = romeTime(t);
  if (local.weekday === 1) {
    const w = s.week;
    const seen = Number.isFinite(w.vMin);
    out.push(data(cfg, 'CF9', {
      WeeklyVeffMin: seen ? Math.round(w.vMin * 10) / 10 : 0, WeeklyVeffMinDateTime: sec(w.vMinAtMs),
      WeeklyVeffMax: seen ? Math.round(w.vMax * 10) / 10 : 0, WeeklyVeffMaxDateTime: sec(w.vMaxAtMs),
      CounterVeffBetween10Percent: w.within10, CounterVeffUpto15NegPercent: w.neg15, CounterVeffUpto15PosPercent: w.pos15,
      CounterVeffOver15PosPercent: w.over15, CounterVeffUnder15NegPercent: w.under15,
    }));
    s.week = freshWeek();
  }
  if (local.day === 1) {
    const monthly = six(s.month.bandsWh);
    out.push(data(cfg, 'CF10', {
      ...Object.fromEntries(monthly.map((v, i) => [`MonthlyTotalActEnergyF${i + 1}`, v])),
      MonthlyMaxQuartAveragePower: s.month.maxQuarterW, MonthlyMaxQuartAveragePowerDateTime: sec(s.month.maxAtMs),
    }));
    s.month = { bandsWh: [0, 0, 0], maxQuarterW: 0, maxAtMs: t };
  }
  out.push(cf20(cfg, s));
  return out;
}
