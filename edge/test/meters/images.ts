/** Renders physical values into a RegisterBank through a template (the inverse of the engine). */
import { encodeRegisters } from '../../src/modbus/decode.js';
import type { MeterTemplate } from '../../src/meters/template.js';
import type { RegisterBank } from '../modbus/slave.js';

/**
 * Writes each point's physical value (SI unit) as the device would: raw = value / multiplier / 10^sf.
 * `sf` gives the scale factor written to every scale-factor register (SunSpec templates).
 */
export function renderTemplate(bank: RegisterBank, t: MeterTemplate, values: Record<string, number>, base = 0, sf = 0): void {
  for (const p of t.points) {
    const v = values[p.name];
    if (v === undefined) continue;
    let raw = v / p.multiplier / 10 ** sf;
    if (p.type !== 'float32') raw = Math.round(raw);
    bank.set(p.functionCode, base + p.address, encodeRegisters(raw, p.type, p.wordOrder));
    if (p.scaleFactorAddress !== undefined) bank.set(p.functionCode, base + p.scaleFactorAddress, encodeRegisters(sf, 'sunssf', 'ABCD'));
  }
}

/** Plausible physical values for every point of a template (deterministic). */
export function sampleValues(t: MeterTemplate): Record<string, number> {
  const out: Record<string, number> = {};
  t.points.forEach((p, i) => {
    const u = p.unit;
    out[p.name] =
      u === 'V' ? 230 + i / 10 : u === 'A' ? 5.25 + i : u === 'Hz' ? 50.01 : u === '1' ? 0.95 : u === 'deg' ? 12.5 : u === '%' ? 2.5 : u === 'Wh' || u === 'varh' || u === 'VAh' ? 1_234_000 + i * 1000 : 1500 + i * 10;
  });
  return out;
}
