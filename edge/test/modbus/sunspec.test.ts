// SunSpec model-chain discovery against register arrays: each base, model lookup, hostile chains.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LightNodeError, isLightNodeError } from '@lightnode/shared/errors';
import { discoverSunSpec, findModel, type HoldingReader } from '../../src/modbus/sunspec.js';

/** A register space where unset registers answer exception 2, counting reads. */
function space(layout: Record<number, number[]>): { read: HoldingReader; reads: number } {
  const regs = new Map<number, number>();
  for (const [a, vals] of Object.entries(layout)) vals.forEach((v, i) => regs.set(Number(a) + i, v));
  const s = {
    reads: 0,
    read: async (address: number, count: number) => {
      s.reads++;
      const out: number[] = [];
      for (let i = 0; i < count; i++) {
        const v = regs.get(address + i);
        if (v === undefined) throw new LightNodeError('EDGE_MODBUS_EXCEPTION', 'illegal address', { exceptionCode: 2 });
        out.push(v);
      }
      return out;
    },
  };
  return s;
}

const chainAt = (base: number, models: [number, number][]) => {
  const layout: Record<number, number[]> = { [base]: [0x5375, 0x6e53] };
  let a = base + 2;
  for (const [id, len] of models) {
    layout[a] = [id, len, ...new Array(len).fill(0)];
    a += 2 + len;
  }
  layout[a] = [0xffff, 0];
  return layout;
};

for (const base of [40000, 0, 50000]) {
  test(`finds the marker at ${base} and walks to 0xFFFF`, async () => {
    const s = space(chainAt(base, [[1, 66], [203, 105]]));
    const chain = await discoverSunSpec(s.read);
    assert.is(chain.base, base);
    assert.equal(chain.models, [
      { id: 1, address: base + 2, length: 66 },
      { id: 203, address: base + 70, length: 105 },
    ]);
    assert.is(findModel(chain, [203], 105).address, base + 70);
  });
}

test('older Common model (L = 65) shifts the meter model; 213 found when asked for 213', async () => {
  const chain = await discoverSunSpec(space(chainAt(40000, [[1, 65], [213, 124]])).read);
  assert.is(findModel(chain, [203, 213]).address, 40000 + 2 + 67);
  assert.is(findModel(chain, [213], 124).id, 213);
});

test('missing marker → EDGE_SUNSPEC_NOT_FOUND; missing model → EDGE_SUNSPEC_MODEL_MISSING', async () => {
  const err = await discoverSunSpec(space({ 40000: [1, 2] }).read).catch((e: unknown) => e);
  assert.ok(isLightNodeError(err, 'EDGE_SUNSPEC_NOT_FOUND'));
  const chain = await discoverSunSpec(space(chainAt(40000, [[1, 66], [101, 50]])).read);
  assert.throws(() => findModel(chain, [203]), (e: unknown) => isLightNodeError(e, 'EDGE_SUNSPEC_MODEL_MISSING'));
  const short = await discoverSunSpec(space(chainAt(40000, [[1, 66], [203, 50]])).read);
  assert.throws(() => findModel(short, [203], 105), (e: unknown) => isLightNodeError(e, 'EDGE_SUNSPEC_MODEL_MISSING'));
});

test('hostile chains: overrun of the address space, endless chains, unreadable links', async () => {
  const overrun = space({ 50000: [0x5375, 0x6e53], 50002: [1, 0xfff0] });
  const e1 = await discoverSunSpec(overrun.read, [50000]).catch((e: unknown) => e);
  assert.ok(isLightNodeError(e1, 'EDGE_SUNSPEC_CHAIN_INVALID'), String(e1));
  const endless: Record<number, number[]> = { 0: [0x5375, 0x6e53] };
  for (let a = 2; a < 2 + 100 * 2; a += 2) endless[a] = [7, 0];
  const e2 = await discoverSunSpec(space(endless).read, [0]).catch((e: unknown) => e);
  assert.ok(isLightNodeError(e2, 'EDGE_SUNSPEC_CHAIN_INVALID'), String(e2));
  // A chain that stops answering mid-walk is not "absent": the error propagates.
  const broken = space({ 40000: [0x5375, 0x6e53], 40002: [1, 66] });
  const e3 = await discoverSunSpec(broken.read).catch((e: unknown) => e);
  assert.ok(isLightNodeError(e3, 'EDGE_MODBUS_EXCEPTION'), String(e3));
  // Timeouts are never taken for "no marker here".
  const dead: HoldingReader = async () => {
    throw new LightNodeError('EDGE_MODBUS_TIMEOUT', 'no answer');
  };
  const e4 = await discoverSunSpec(dead).catch((e: unknown) => e);
  assert.ok(isLightNodeError(e4, 'EDGE_MODBUS_TIMEOUT'));
});

test('busy (5, 6) and device failure (4) are retried with a doubling backoff, then reported as what they are', async () => {
  const chain = space(chainAt(40000, [[1, 66], [203, 105]]));
  const fail = (code: number) => new LightNodeError('EDGE_MODBUS_EXCEPTION', `exception ${code}`, { exceptionCode: code });
  // Busy twice, then the device answers: found, after two waits of 10 and 20 ms.
  let busy = 2;
  const waits: number[] = [];
  const retries: number[] = [];
  const flaky: HoldingReader = async (a, n) => { if (busy-- > 0) throw fail(6); return chain.read(a, n); };
  const found = await discoverSunSpec(flaky, undefined, { backoffMs: 10, sleep: async (ms) => { waits.push(ms); }, onRetry: (_e, attempt) => retries.push(attempt) });
  assert.is(found.base, 40000);
  assert.equal(waits, [10, 20]);
  assert.equal(retries, [1, 2]);
  // Persistent answers: every base tried `attempts` times, then the code says why (not NOT_FOUND).
  for (const [code, expected] of [[6, 'EDGE_SUNSPEC_DEVICE_BUSY'], [5, 'EDGE_SUNSPEC_DEVICE_BUSY'], [4, 'EDGE_SUNSPEC_DEVICE_FAILURE']] as const) {
    let reads = 0;
    const err = await discoverSunSpec(async () => { reads++; throw fail(code); }, [40000, 0], { attempts: 4, sleep: async () => {} }).catch((e: unknown) => e);
    assert.ok(isLightNodeError(err, expected), String(err));
    assert.is(reads, 8, 'two bases × 4 attempts');
    assert.equal({ ...(err as LightNodeError).details }, { address: 40000, count: 2, exceptionCode: code, attempts: 4 });
  }
  // A refusing base does not hide the marker at another base.
  const at0 = space(chainAt(0, [[1, 66], [203, 105]]));
  const mixed: HoldingReader = async (a, n) => { if (a >= 40000) throw fail(4); return at0.read(a, n); };
  assert.is((await discoverSunSpec(mixed, undefined, { sleep: async () => {} })).base, 0);
  // Busy in the middle of the walk: retried as well.
  let midBusy = 1;
  const walk: HoldingReader = async (a, n) => { if (a === 40002 && midBusy-- > 0) throw fail(6); return chain.read(a, n); };
  assert.is((await discoverSunSpec(walk, undefined, { sleep: async () => {} })).models.length, 2);
  // Exceptions 1 and 3 are "not here", like 2.
  for (const code of [1, 3]) {
    const err = await discoverSunSpec(async () => { throw fail(code); }, undefined, { sleep: async () => {} }).catch((e: unknown) => e);
    assert.ok(isLightNodeError(err, 'EDGE_SUNSPEC_NOT_FOUND'), String(err));
  }
});

test.run();
