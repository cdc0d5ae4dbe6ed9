/**
 * The Platone low-cost PMU's JSON payload (Platone D2.15 §2.1 Figure 2; published over MQTT, each
 * device on its own topic, D2.15 §3.3.1):
 *   { "device": "PMU1", "timestamp": "2020-05-20T10:27:57.980802+00:00",
 *     "readings": [ { "component": "BUS1", "measurand": "voltmagnitude", "phase": "A", "data": 11 } ] }
 * Validated strictly (`PROTO_PMU_JSON_INVALID` naming the field) and mapped to the same
 * quantities as C37.118 readings (c37118/pmu-measurements.ts), one reading per component.
 *
 * The deliverable shows only `voltmagnitude`. The other measurands follow its naming (SOGNO's
 * PMU services): `voltangle`, `currmagnitude`, `currangle`, `frequency`, `rocof`. Angle units
 * are not documented, so the caller says (`angleUnit`); an unknown measurand is listed in
 * `ignored`, not refused, so a firmware that adds one does not stop the data.
 */
import { ValidationError } from './errors.js';
import type { Measurement } from './reading.js';
import { METER_RE } from './reading.js';
import { toMeasurement } from './quantities.js';

export interface PlatoneReading { component: string; measurand: string; phase: string; data: number }
export interface PlatonePayload { device: string; timestamp: string; readings: PlatoneReading[] }

/** Largest payload parsed (a 3-bus, 6-measurand, 3-phase payload is about 6 KiB). */
export const MAX_PLATONE_BYTES = 256 * 1024;
const MAX_READINGS = 1024;
// ISO 8601 with a UTC offset, up to 9 fraction digits: the PMU's time, exact to the ns.
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;
const PHASES: Record<string, number> = { A: 0, B: 1, C: 2, L1: 0, L2: 1, L3: 2, '1': 0, '2': 1, '3': 2 };

const MEASURANDS: Record<string, { codes: readonly string[] | string; kind: 'mag' | 'ang' | 'freq' | 'rocof' }> = {
  voltmagnitude: { codes: ['1-0:32.7.0', '1-0:52.7.0', '1-0:72.7.0'], kind: 'mag' },
  currmagnitude: { codes: ['1-0:31.7.0', '1-0:51.7.0', '1-0:71.7.0'], kind: 'mag' },
  voltangle: { codes: ['1-0:128.11.1', '1-0:128.11.2', '1-0:128.11.3'], kind: 'ang' },
  currangle: { codes: ['1-0:128.12.1', '1-0:128.12.2', '1-0:128.12.3'], kind: 'ang' },
  frequency: { codes: '1-0:14.7.0', kind: 'freq' },
  rocof: { codes: '1-0:128.13.0', kind: 'rocof' },
};

function bad(field: string, expected: string, found: unknown): never {
  throw new ValidationError('PROTO_PMU_JSON_INVALID', field, expected, found);
}

/** Parse and validate one payload (UTF-8 bytes or text). */
export function parsePlatonePayload(input: Uint8Array | string): PlatonePayload {
  let text: string;
  if (typeof input === 'string') text = input;
  else if (input instanceof Uint8Array) {
    if (input.length > MAX_PLATONE_BYTES) bad('payload', `at most ${MAX_PLATONE_BYTES} bytes`, input);
    try { text = new TextDecoder('utf-8', { fatal: true }).decode(input); } catch { bad('payload', 'UTF-8 text', input); }
  } else bad('payload', 'bytes or text', input);
  if (text.length > MAX_PLATONE_BYTES) bad('payload', `at most ${MAX_PLATONE_BYTES} characters`, text);
  let x: unknown;
  try { x = JSON.parse(text); } catch { bad('payload', 'JSON', text); }
  if (typeof x !== 'object' || x === null || Array.isArray(x)) bad('payload', 'an object {device, timestamp, readings}', x);
  const o = x as Record<string, unknown>;
  if (typeof o.device !== 'string' || o.device.length < 1 || o.device.length > 64) bad('device', 'a string of 1..64 characters', o.device);
  if (typeof o.timestamp !== 'string' || !ISO_RE.test(o.timestamp)) bad('timestamp', 'ISO 8601 with a UTC offset, e.g. 2020-05-20T10:27:57.980802+00:00', o.timestamp);
  platoneTime(o.timestamp);
  if (!Array.isArray(o.readings) || o.readings.length < 1 || o.readings.length > MAX_READINGS) bad('readings', `an array of 1..${MAX_READINGS} readings`, o.readings);
  const readings = o.readings.map((r, i): PlatoneReading => {
    const f = `readings[${i}]`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) bad(f, 'an object {component, measurand, phase, data}', r);
    const { component, measurand, phase, data } = r as Record<string, unknown>;
    if (typeof component !== 'string' || !/^[A-Za-z0-9._:-]{1,32}$/.test(component)) bad(`${f}.component`, '1..32 of [A-Za-z0-9._:-]', component);
    if (typeof measurand !== 'string' || measurand.length < 1 || measurand.length > 64) bad(`${f}.measurand`, 'a string of 1..64 characters', measurand);
    if (typeof phase !== 'string' || phase.length > 8) bad(`${f}.phase`, 'a phase string (A, B, C)', phase);
    if (typeof data !== 'number' || !Number.isFinite(data)) bad(`${f}.data`, 'a finite number', data);
    return { component, measurand, phase, data };
  });
  return { device: o.device, timestamp: o.timestamp, readings };
}

/** The payload time as integer ms since the epoch and the ns below the ms (exact, no float). */
export function platoneTime(iso: string): { ms: number; subMsNs: number } {
  const m = ISO_RE.exec(iso);
  if (!m) bad('timestamp', 'ISO 8601 with a UTC offset', iso);
  const [, y, mo, d, h, mi, s, frac = '', tz] = m;
  const base = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!);
  // Date.UTC rolls 2020-02-31 over to March: refuse what does not round-trip.
  const back = new Date(base);
  if (back.getUTCDate() !== +d! || back.getUTCMonth() !== +mo! - 1 || +h! > 23 || +mi! > 59 || +s! > 59) bad('timestamp', 'a real calendar time', iso);
  const offsetMin = tz === 'Z' ? 0 : (tz![0] === '-' ? -1 : 1) * (+tz!.slice(1, 3) * 60 + +tz!.slice(4, 6));
  const ns9 = frac.padEnd(9, '0');
  return { ms: base - offsetMin * 60_000 + +ns9.slice(0, 3), subMsNs: +ns9.slice(3) };
}

/**
 * Measurements of one component of a payload: one per known (measurand, phase), magnitudes in V
 * and A, angles in degrees (from `angleUnit`), frequency at 1 mHz, ROCOF at 0.001 Hz/s, and the
 * time rest below the ms when not 0. `ignored` lists readings with an unknown measurand or phase.
 */
export function platoneMeasurements(p: PlatonePayload, component: string, angleUnit: 'rad' | 'deg'): { timestampMs: number; values: Measurement[]; ignored: string[] } {
  const t = platoneTime(p.timestamp);
  const values: Measurement[] = [];
  const ignored: string[] = [];
  const seen = new Set<string>();
  for (const r of p.readings) {
    if (r.component !== component) continue;
    const def = MEASURANDS[r.measurand];
    const phase = PHASES[r.phase.toUpperCase()];
    const code = def === undefined ? undefined : typeof def.codes === 'string' ? def.codes : phase === undefined ? undefined : def.codes[phase];
    if (!def || code === undefined) { ignored.push(`${r.measurand}/${r.phase}`); continue; }
    if (seen.has(code)) bad(`readings(${component} ${r.measurand} ${r.phase})`, 'one value per measurand and phase', r.data);
    seen.add(code);
    if (def.kind === 'mag') values.push(toMeasurement(code, r.data));
    else {
      const scaleMilli = (x: number, unit: string): Measurement => {
        const v = Math.sign(x) * Math.round(Math.abs(x * 1000));
        if (!Number.isSafeInteger(v)) bad(`readings(${component} ${r.measurand})`, 'a value that fits a safe integer at 10⁻³', x);
        return { quantity: code, value: v === 0 ? 0 : v, scale: -3, unit };
      };
      if (def.kind === 'ang') values.push(scaleMilli(angleUnit === 'rad' ? (r.data * 180) / Math.PI : r.data, 'deg'));
      else values.push(scaleMilli(r.data, def.kind === 'freq' ? 'Hz' : 'Hz/s'));
    }
  }
  if (t.subMsNs !== 0 && values.length) values.push({ quantity: '0-0:128.14.0', value: t.subMsNs, scale: -9, unit: 's' });
  return { timestampMs: t.ms, values, ignored };
}

/** The components of a payload, in order of first appearance. */
export function platoneComponents(p: PlatonePayload): string[] {
  return [...new Set(p.readings.map((r) => r.component))];
}

/** Meter id of one component of a device's payloads under the configured source id. */
export function platoneMeterId(sourceId: string, component: string): string {
  const id = `${sourceId}.${component}`;
  if (!METER_RE.test(id)) bad('component', 'a component that makes a meter id of at most 64 characters', component);
  return id;
}
