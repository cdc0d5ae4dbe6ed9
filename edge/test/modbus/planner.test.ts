// Request planner: coalescing, hole fill, the 125-register limit, exception-2 splits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RequestPlan, planBlocks, splitBlock, type RegisterSpan } from '../../src/modbus/planner.js';
import { loadTemplate } from '../../src/meters/template.js';
import { registerCount } from '../../src/modbus/decode.js';

const span = (key: string, address: number, count = 2, functionCode: 3 | 4 = 4): RegisterSpan => ({ key, functionCode, address, count });
const shape = (blocks: { functionCode: number; address: number; count: number }[]) => blocks.map((b) => [b.functionCode, b.address, b.count]);

test('neighbours coalesce; a hole larger than maxHoleFill starts a new block', () => {
  const spans = [span('a', 0), span('b', 2), span('c', 10), span('d', 40)];
  assert.equal(shape(planBlocks(spans, { maxHoleFill: 8 })), [[4, 0, 12], [4, 40, 2]]);
  assert.equal(shape(planBlocks(spans, { maxHoleFill: 0 })), [[4, 0, 4], [4, 10, 2], [4, 40, 2]]);
  assert.equal(shape(planBlocks(spans, { maxHoleFill: 100 })), [[4, 0, 42]]);
});

test('blocks never exceed maxRegisters; function codes never mix; order of input does not matter', () => {
  const spans = [span('x', 124, 2), span('a', 0, 2), span('h', 0, 2, 3), span('y', 200, 2)];
  const blocks = planBlocks(spans, { maxHoleFill: 200 });
  assert.equal(shape(blocks), [[3, 0, 2], [4, 0, 2], [4, 124, 78]]);
  for (const b of planBlocks(spans, { maxHoleFill: 200, maxRegisters: 10 })) assert.ok(b.count <= 10);
  assert.equal(shape(planBlocks([...spans].reverse(), { maxHoleFill: 200 })), shape(blocks));
});

test('every span lands in exactly one block that covers it', () => {
  const spans = Array.from({ length: 200 }, (_, i) => span(`p${i}`, (i * 37) % 3000, 1 + (i % 2)));
  const blocks = planBlocks(spans, { maxHoleFill: 20 });
  for (const s of spans) {
    const holders = blocks.filter((b) => b.spans.includes(s));
    assert.is(holders.length, 1, s.key);
    const b = holders[0]!;
    assert.ok(s.address >= b.address && s.address + s.count <= b.address + b.count);
    assert.ok(b.count <= 125);
  }
});

test('shipped SDM templates: all points in 2 requests', () => {
  for (const [id, want] of [['sdm630', 2], ['sdm630-thd', 2], ['sdm120', 2]] as const) {
    const t = loadTemplate(id);
    const spans = t.points.map((p) => span(p.name, p.address, registerCount(p.type), p.functionCode));
    assert.is(planBlocks(spans, { maxHoleFill: t.maxHoleFill }).length, want, id);
  }
});

test('split: at the widest hole first, keeping smaller holes filled; then bisect; a single span is final', () => {
  const [block] = planBlocks([span('a', 0), span('b', 10), span('c', 14), span('d', 60)], { maxHoleFill: 100 });
  assert.equal(shape(splitBlock(block!, { maxHoleFill: 100 })), [[4, 0, 16], [4, 60, 2]]);
  const [left] = planBlocks([span('a', 0), span('b', 10), span('c', 14)], { maxHoleFill: 100 });
  assert.equal(shape(splitBlock(left!, { maxHoleFill: 100 })), [[4, 0, 2], [4, 10, 6]]);
  const [tight] = planBlocks([span('a', 0), span('b', 2), span('c', 4)], { maxHoleFill: 0 });
  assert.equal(shape(splitBlock(tight!)), [[4, 0, 4], [4, 4, 2]]);
  const [single] = planBlocks([span('a', 0)]);
  assert.equal(splitBlock(single!), []);
});

test('RequestPlan remembers splits and marks unreadable spans', () => {
  const plan = new RequestPlan([span('a', 0), span('b', 10)], { maxHoleFill: 20 });
  assert.is(plan.blocks.length, 1);
  const parts = plan.split(plan.blocks[0]!);
  assert.is(parts.length, 2);
  assert.equal(shape([...plan.blocks]), [[4, 0, 2], [4, 10, 2]]);
  assert.equal(plan.split(plan.blocks[1]!), []);
  assert.equal([...plan.unreadable], ['b']);
  assert.equal(shape([...plan.blocks]), [[4, 0, 2]]);
  assert.throws(() => plan.split(parts[1]!), /not part of this plan/);
});

test('hostile: bad options and spans are refused', () => {
  assert.throws(() => planBlocks([span('a', 0)], { maxRegisters: 126 }), RangeError);
  assert.throws(() => planBlocks([span('a', 0)], { maxRegisters: 0 }), RangeError);
  assert.throws(() => planBlocks([span('a', 0)], { maxHoleFill: -1 }), RangeError);
  assert.throws(() => planBlocks([span('a', 65535, 2)]), RangeError);
  assert.throws(() => planBlocks([span('a', -1)]), RangeError);
  assert.throws(() => planBlocks([span('a', 0, 0)]), RangeError);
  assert.throws(() => planBlocks([span('a', 0, 126)]), RangeError);
  assert.throws(() => planBlocks([span('a', 1.5)]), RangeError);
});

test.run();
