// DESIGN §2: shared is pure code — no sockets, files, clocks or randomness, and no ethers (the
// edge imports shared and must stay ethers-free). This test reads src/ and fails on a violation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';

const dir = new URL('../src/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

test('src/ imports only relative modules and @noble/*', () => {
  assert.ok(files.length > 10);
  for (const f of files) {
    const text = readFileSync(new URL(f, dir), 'utf8');
    for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+'([^']+)'/g)) {
      const spec = m[1]!;
      assert.ok(spec.startsWith('./') || spec.startsWith('@noble/'), `${f} imports ${spec}`);
      if (spec.startsWith('./')) assert.ok(spec.endsWith('.js'), `${f}: relative import without .js: ${spec}`);
    }
    assert.not.match(text, /\bimport\(/, `${f} has a dynamic import`);
  }
});

test('src/ reads no clock, randomness, process or timers', () => {
  for (const f of files) {
    const code = readFileSync(new URL(f, dir), 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
    // `new Date(ms)` only formats a given time; `new Date()` / `Date()` read the clock.
    for (const banned of [/Date\.now/, /new Date\(\s*\)/, /(?<![\w.]|new )Date\(/, /Math\.random/, /\bprocess\./, /setTimeout|setInterval/, /performance\.now/, /require\(/]) {
      assert.not.match(code, banned, `${f} uses ${banned}`);
    }
  }
});

test.run();
