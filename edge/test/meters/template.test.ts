// Shipped templates validate against the quantity table; hostile templates fail naming the field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { isLightNodeError } from '@lightnode/shared/errors';
import { quantityInfo } from '@lightnode/shared/quantities';
import { TEMPLATE_DIR, loadTemplate, validateTemplate } from '../../src/meters/template.js';

const shipped = readdirSync(TEMPLATE_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));

test('the four required templates ship', () => {
  for (const id of ['sdm630', 'sdm120', 'sunspec-203', 'sunspec-213']) assert.ok(shipped.includes(id), id);
});

for (const id of shipped) {
  test(`template ${id}: valid, quantities unique, units agree with the quantity table`, () => {
    const t = loadTemplate(id);
    assert.is(t.id, id);
    const quantities = t.points.map((p) => p.quantity);
    assert.is(new Set(quantities).size, quantities.length, 'one point per quantity');
    for (const p of t.points) assert.is(p.unit, quantityInfo(p.quantity)!.unit, p.name);
    // Energy in kWh must be scaled to Wh.
    for (const p of t.points) if (p.sourceUnit === 'kWh' || p.sourceUnit === 'kvarh') assert.is(p.multiplier, 1000, p.name);
  });
}

const base = () => JSON.parse(JSON.stringify(loadTemplate('sdm120'))) as Record<string, any>;
const HOSTILE: [string, (t: Record<string, any>) => unknown, string][] = [
  ['not an object', () => 'sdm', 'template'],
  ['no points', (t) => ({ ...t, points: [] }), 'points'],
  ['65 points', (t) => ({ ...t, points: new Array(65).fill(t.points[0]) }), 'points'],
  ['unknown quantity', (t) => (t.points[0].quantity = '1-0:99.99.99', t), 'points[0].quantity'],
  ['unit disagrees with table', (t) => (t.points[0].unit = 'kV', t), 'points[0].unit'],
  ['function code 16', (t) => (t.points[0].functionCode = 16, t), 'points[0].functionCode'],
  ['address out of range', (t) => (t.points[0].address = 70000, t), 'points[0].address'],
  ['negative address', (t) => (t.points[0].address = -2, t), 'points[0].address'],
  ['unknown type', (t) => (t.points[0].type = 'float64', t), 'points[0].type'],
  ['sunssf as a point type', (t) => (t.points[0].type = 'sunssf', t), 'points[0].type'],
  ['bad word order', (t) => (t.points[0].wordOrder = 'ABDC', t), 'points[0].wordOrder'],
  ['zero multiplier', (t) => (t.points[0].multiplier = 0, t), 'points[0].multiplier'],
  ['NaN multiplier', (t) => (t.points[0].multiplier = 'NaN', t), 'points[0].multiplier'],
  ['duplicate name', (t) => (t.points[1].name = t.points[0].name, t), 'points[1].name'],
  ['min > max', (t) => ((t.points[0].min = 10), (t.points[0].max = 1), t), 'points[0].max'],
  ['maxRegisters 200', (t) => ({ ...t, maxRegisters: 200 }), 'maxRegisters'],
  ['sentinels missing', (t) => (delete t.sentinels, t), 'sentinels'],
  ['sunspec offset past the model', (t) => ({ ...t, sunspec: { models: [203], minLength: 10 } }), 'points[2].address'],
];

for (const [name, mutate, field] of HOSTILE) {
  test(`hostile template: ${name} → CONFIG_TEMPLATE_INVALID naming ${field}`, () => {
    try {
      validateTemplate(mutate(base()));
    } catch (e) {
      assert.ok(isLightNodeError(e, 'CONFIG_TEMPLATE_INVALID'), String(e));
      assert.is(e.details.field, field);
      return;
    }
    assert.unreachable('accepted');
  });
}

test('loadTemplate: unknown id and unreadable JSON fail closed', () => {
  assert.throws(() => loadTemplate('no-such-meter'), (e: unknown) => isLightNodeError(e, 'CONFIG_TEMPLATE_INVALID'));
  assert.throws(() => loadTemplate('/etc/hostname'), (e: unknown) => isLightNodeError(e, 'CONFIG_TEMPLATE_INVALID'));
});

test.run();
