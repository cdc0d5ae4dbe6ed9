// Site templates are validated against the agent's schema when loaded: the shipped ones pass,
// a typo or a bad value is FLEET_USAGE naming the template and the field, before any bundle is written.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLightNodeError } from '@lightnode/shared/errors';
import { SITE_TEMPLATE_DIR, loadSiteTemplate } from '../../src/fleet/bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'site-tmpl-'));

test('every shipped template validates', () => {
  const names = readdirSync(SITE_TEMPLATE_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  assert.ok(names.length >= 3);
  for (const n of names) assert.is(loadSiteTemplate(n).name, n);
});

test('a bad template fails naming the field', () => {
  const cases: [unknown, RegExp][] = [
    [{ mqtt: { batchSize: 5000 } }, /mqtt\.batchSize: expected integer 1\.\.1000, found number 5000/],
    [{ meters: [{ id: 'a', kind: 'modbus', intervalMs: 1000 }], spool: { maxAgeDay: 3 } }, /spool\.maxAgeDay: expected no such field/],
    [{ ems: { enabled: true, transport: 'rest' } }, /ems\.rest: expected an object/],
  ];
  cases.forEach(([tmpl, re], i) => {
    const file = join(dir, `t${i}.json`);
    writeFileSync(file, JSON.stringify({ description: 'test', ...(tmpl as object) }));
    try { loadSiteTemplate(file); assert.unreachable(`accepted ${JSON.stringify(tmpl)}`); } catch (e) {
      assert.ok(isLightNodeError(e, 'FLEET_USAGE'), String(e));
      assert.match((e as Error).message, new RegExp(`^site template ${file}: `));
      assert.match((e as Error).message, re);
    }
  });
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
