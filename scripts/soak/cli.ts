/**
 * `pnpm soak` — issue 17's figures: fuzzing (1,000,000 seeded hostile inputs per parser, the
 * REST API over HTTP) and faults under load (broker down 10 min, BAL SIGKILLed 100×, every
 * agent SIGKILLed 1,000×, chain down 10 min), printed as the same tables every run.
 *
 *   pnpm soak                      # the full run (more than an hour on 2 cores)
 *   pnpm soak --quick              # CI's size: 20,000 inputs per parser, short faults
 *   pnpm soak --only fuzz,bal-kills --fuzz-count 100000 --json out.json --seed 7
 *   pnpm soak --only edge-kills --edge-kills 200   # sizes: --outage-sec --bal-kills --edge-kills --chain-down-sec
 *
 * Exit 0 when nothing crashed, nothing was lost or stored twice and order was kept; 1 otherwise.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runFuzz } from './fuzz.js';
import { FULL, QUICK, SCENARIOS, runScenario } from './scenarios.js';
import { hasMosquitto } from './rig.js';
import { failures, renderReport, type SoakReport } from './report.js';

export async function runSoak(argv: string[], print: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): Promise<{ report: SoakReport; code: number }> {
  const { values } = parseArgs({
    args: argv, options: {
      quick: { type: 'boolean', default: false }, only: { type: 'string' }, 'fuzz-count': { type: 'string' }, 'rest-count': { type: 'string' },
      seed: { type: 'string', default: '17' }, json: { type: 'string' }, dir: { type: 'string' },
      'outage-sec': { type: 'string' }, 'bal-kills': { type: 'string' }, 'edge-kills': { type: 'string' }, 'chain-down-sec': { type: 'string' },
    },
  });
  const quick = values.quick === true;
  const num = (v: string | undefined, name: string, fallback: number): number => {
    if (v === undefined) return fallback;
    const x = Number(v);
    if (!Number.isInteger(x) || x < 0) throw new Error(`soak: --${name}: expected a whole number >= 0, got ${v}`);
    return x;
  };
  const base = quick ? QUICK : FULL;
  const sizes = {
    ...base,
    brokerOutageSec: num(values['outage-sec'], 'outage-sec', base.brokerOutageSec), balKills: num(values['bal-kills'], 'bal-kills', base.balKills),
    edgeKills: num(values['edge-kills'], 'edge-kills', base.edgeKills), chainDownSec: num(values['chain-down-sec'], 'chain-down-sec', base.chainDownSec),
  };
  const all = ['fuzz', ...Object.keys(SCENARIOS)];
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : all;
  for (const o of only) if (!all.includes(o)) throw new Error(`soak: --only ${o}: expected one of ${all.join(', ')}`);
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'lightnode-soak-'));
  const say = (s: string): void => { process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${s}\n`); };
  const report: SoakReport = {
    mode: quick ? 'quick' : 'full', startedAt: new Date().toISOString(),
    machine: `${cpus().length} cores, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}, node ${process.version}`,
    fuzz: [], scenarios: [], skipped: [],
  };
  say(`data in ${dir}`);
  if (only.includes('fuzz')) {
    const count = num(values['fuzz-count'], 'fuzz-count', quick ? 20_000 : 1_000_000);
    const restCount = num(values['rest-count'], 'rest-count', quick ? 2_000 : 100_000);
    report.fuzz = await runFuzz({ count, restCount, seed: Number(values.seed), dir, say });
  }
  for (const name of Object.keys(SCENARIOS).filter((s) => only.includes(s))) {
    if (!hasMosquitto()) { report.skipped.push(`${name}: no mosquitto binary on PATH (Debian: apt-get install mosquitto)`); continue; }
    report.scenarios.push(await runScenario(name, dir, sizes, say));
  }
  print(renderReport(report));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  return { report, code: failures(report).length ? 1 : 0 };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runSoak(process.argv.slice(2)).then(({ code }) => process.exit(code), (err: unknown) => {
    process.stderr.write(`soak: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(2);
  });
}
