// The demo's receipt box shows values as decimals, exactly as value × 10^scale.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decimal } from '../../src/demo/decimal.js';

test('value × 10^scale written out exactly', () => {
  const cases: [number, number, string][] = [
    [22969, -2, '229.69'], [6001, -3, '6.001'], [5, -3, '0.005'], [-1234, -1, '-123.4'], [-5, -2, '-0.05'],
    [12345678, 0, '12345678'], [42, 3, '42000'], [0, -2, '0.00'], [9007199254740991, -18, '0.009007199254740991'],
  ];
  for (const [value, scale, want] of cases) assert.is(decimal(value, scale), want, `${value}e${scale}`);
  // the decimal reads back as the same number
  for (const [value, scale] of cases) assert.is(Number(decimal(value, scale)), value * 10 ** scale === 0 ? 0 : Number(`${value}e${scale}`));
});

test.run();
