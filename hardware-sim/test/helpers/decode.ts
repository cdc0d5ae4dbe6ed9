/**
 * Test-side decoding of a device's registers straight from its data file, written with Node's
 * Buffer readers (independent of the simulator's DataView encoder).
 */
import { pointWords, unitFactor, type DeviceTemplate, type PointDef, type WordOrder } from '../../src/devices/template.js';

export type ReadFn = (fc: 3 | 4, address: number, count: number) => Promise<number[]>;

/** Reads every declared range in ≤125-register requests; returns address → word per fc. */
export async function readAll(t: DeviceTemplate, read: ReadFn): Promise<Map<string, number>> {
  const words = new Map<string, number>();
  for (const r of t.ranges) {
    for (let a = r.start; a < r.start + r.count; a += 125) {
      const n = Math.min(125, r.start + r.count - a);
      const data = await read(r.fc, a, n);
      data.forEach((w, i) => words.set(`${r.fc}:${a + i}`, w));
    }
  }
  return words;
}

function toBuffer(ws: number[], order: WordOrder): Buffer {
  const [w0, w1] = ws as [number, number];
  const b = Buffer.alloc(4);
  if (order === 'ABCD') { b.writeUInt16BE(w0, 0); b.writeUInt16BE(w1, 2); }
  if (order === 'CDAB') { b.writeUInt16BE(w1, 0); b.writeUInt16BE(w0, 2); }
  if (order === 'BADC') { b.writeUInt16LE(w0, 0); b.writeUInt16LE(w1, 2); }
  if (order === 'DCBA') { b.writeUInt16LE(w1, 0); b.writeUInt16LE(w0, 2); }
  return b;
}

/** Decodes every measured point to its source's SI value (NaN for sentinels). Keyed by point name. */
export function decodePoints(t: DeviceTemplate, words: Map<string, number>, order: WordOrder = t.wordOrder): Record<string, number> {
  const get = (p: PointDef) => Array.from({ length: pointWords(p) }, (_, i) => words.get(`${p.fc}:${p.address + i}`)!);
  const out: Record<string, number> = {};
  const sf = (p: PointDef) => {
    if (!p.scaleFactor) return 0;
    const w = get(t.points.find((q) => q.name === p.scaleFactor)!)[0]!;
    return w === 0x8000 ? NaN : (w << 16) >> 16;
  };
  for (const p of t.points) {
    if (!p.source) continue;
    const ws = get(p);
    let v: number;
    if (p.type === 'float32') v = toBuffer(ws, order).readFloatBE(0);
    else if (p.type === 'int16') v = ws[0] === 0x8000 ? NaN : ((ws[0]! << 16) >> 16) * 10 ** sf(p);
    else if (p.type === 'acc32') { const u = toBuffer(ws, order).readUInt32BE(0); v = u === 0 ? NaN : u * 10 ** sf(p); }
    else if (p.type === 'uint16') v = ws[0] === 0xffff ? NaN : ws[0]! * 10 ** sf(p);
    else continue;
    out[p.name] = v / unitFactor(p.source, p.unit);
  }
  return out;
}

/** Walks a SunSpec model chain from `base`: checks "SunS", returns [{ id, length, address }] up to 0xFFFF. */
export async function walkSunSpec(read: (address: number, count: number) => Promise<number[]>, base = 40000) {
  const marker = await read(base, 2);
  if (marker[0] !== 0x5375 || marker[1] !== 0x6e53) throw new Error(`no SunS marker at ${base}`);
  const models: { id: number; length: number; address: number }[] = [];
  let a = base + 2;
  for (let i = 0; i < 50; i++) {
    const [id, length] = (await read(a, 2)) as [number, number];
    if (id === 0xffff) return models;
    models.push({ id, length, address: a });
    a += 2 + length;
  }
  throw new Error('SunSpec chain does not end');
}
