// CI's short soak (issue 17 "Figures"): `pnpm soak --quick` — 20,000 seeded hostile inputs per
// parser and 2,000 REST requests against a real BAL, then the four faults at 4 meters × 1 Hz
// with real processes (anvil with its state file, Mosquitto, `bal run`, the agents' production
// bundle): the broker stopped 10 s, the BAL SIGKILLed 3×, every agent SIGKILLed 5×, the chain
// stopped 10 s. Every reading signed is stored once, in order, and confirmed on chain.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runSoak } from '../../soak/cli.js';
import { sumPods } from '../../soak/report.js';

test('pnpm soak --quick: 0 crashes, 0 lost, 0 duplicated, order kept, all anchored', async () => {
  let printed = '';
  const { report, code } = await runSoak(['--quick'], (s) => { printed += s; });
  process.stdout.write(`${printed}\n`);
  assert.ok(report.fuzz.length >= 14, `every parser fuzzed (${report.fuzz.map((f) => f.target).join(', ')})`);
  for (const f of report.fuzz) {
    assert.is(f.crashes, 0, `${f.target}: ${JSON.stringify(f.examples)}`);
    assert.ok(f.inputs >= 2000, `${f.target} ran ${f.inputs} inputs`);
    assert.ok(Object.keys(f.rejected).length > 0, `${f.target} rejected something`);
  }
  assert.equal(report.skipped, []);
  assert.equal(report.scenarios.map((s) => s.name), ['broker-outage', 'bal-kills', 'edge-kills', 'chain-down']);
  for (const s of report.scenarios) {
    const t = sumPods(s.pods);
    assert.ok(t.signed > 0, `${s.name}: readings were signed`);
    assert.is(t.lost, 0, `${s.name}: lost`);
    assert.is(t.duplicated, 0, `${s.name}: duplicated`);
    assert.ok(t.orderKept, `${s.name}: order`);
    assert.is(t.anchored, t.stored, `${s.name}: every stored reading confirmed`);
    assert.is(t.stored + t.stillSpooled + t.rejected, t.signed, `${s.name}: signed = stored + still spooled + rejected`);
  }
  assert.is(code, 0);
  assert.match(printed, /PASSED/);
});

test.run();
