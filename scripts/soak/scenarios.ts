/**
 * The four faults of issue 17's soak, each on a fresh rig (rig.ts) with 4 meters × 1 Hz:
 * the broker stopped for a while, the BAL SIGKILLed again and again under load, every agent
 * SIGKILLed again and again, and the chain stopped (its state kept) for a while.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rig } from './rig.js';
import type { ScenarioResult } from './report.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ScenarioSizes {
  brokerOutageSec: number;
  balKills: number;
  edgeKills: number;
  chainDownSec: number;
  /** Seconds of normal running before and after each fault. */
  steadySec: number;
}

export const FULL: ScenarioSizes = { brokerOutageSec: 600, balKills: 100, edgeKills: 1000, chainDownSec: 600, steadySec: 10 };
export const QUICK: ScenarioSizes = { brokerOutageSec: 10, balKills: 3, edgeKills: 5, chainDownSec: 10, steadySec: 4 };

type Fault = (rig: Rig, sizes: ScenarioSizes, say: (s: string) => void) => Promise<string>;

const brokerOutage: Fault = async (rig, s, say) => {
  await rig.stopBroker();
  say(`broker stopped for ${s.brokerOutageSec} s`);
  await sleep(s.brokerOutageSec * 1000);
  await rig.startBroker();
  return `broker stopped ${s.brokerOutageSec} s`;
};

const balKills: Fault = async (rig, s, say) => {
  for (let i = 0; i < s.balKills; i++) {
    await sleep(500 + Math.random() * 3000);
    await rig.killBal();
    await rig.startBal();
    if ((i + 1) % 10 === 0 || i + 1 === s.balKills) say(`BAL SIGKILLed ${i + 1}/${s.balKills}`);
  }
  return `BAL SIGKILLed ${s.balKills}×`;
};

const edgeKills: Fault = async (rig, s, say) => {
  let early = 0;
  // The first kill hits the agents the rig started; each later one a fresh run.
  await Promise.all(rig.nodes.map((n) => rig.killAgent(n)));
  for (let i = 1; i < s.edgeKills; i++) {
    // Each agent is killed at a random moment after it signed its first reading of this run (a
    // kill before that would test start-up only; on a loaded machine start-up can take seconds).
    await Promise.all(rig.nodes.map(async (n) => {
      const { firstSigned } = rig.startAgent(n);
      if (!(await firstSigned(60_000))) early += 1;
      await sleep(Math.random() * 2000);
      await rig.killAgent(n);
    }));
    if ((i + 1) % 50 === 0 || i + 1 === s.edgeKills) say(`agents SIGKILLed ${i + 1}/${s.edgeKills}`);
  }
  for (const n of rig.nodes) rig.startAgent(n);
  return `${rig.nodes.length} agents SIGKILLed ${s.edgeKills}× each${early ? ` (${early} before their first reading)` : ''}`;
};

const chainDown: Fault = async (rig, s, say) => {
  await rig.stopChain();
  say(`chain stopped for ${s.chainDownSec} s (state kept)`);
  await sleep(s.chainDownSec * 1000);
  await rig.startChain();
  return `chain stopped ${s.chainDownSec} s, state kept`;
};

export const SCENARIOS: Record<string, Fault> = {
  'broker-outage': brokerOutage,
  'bal-kills': balKills,
  'edge-kills': edgeKills,
  'chain-down': chainDown,
};

/** Run one scenario on a fresh rig in `dir/<name>`; the rig is stopped whatever happens. */
export async function runScenario(name: string, dir: string, sizes: ScenarioSizes, say: (s: string) => void): Promise<ScenarioResult> {
  const fault = SCENARIOS[name];
  if (!fault) throw new Error(`soak: unknown scenario ${name} (known: ${Object.keys(SCENARIOS).join(', ')})`);
  const started = Date.now();
  const rigDir = join(dir, name);
  mkdirSync(rigDir, { recursive: true });
  say(`${name}: starting anvil, Mosquitto, the BAL and ${4} agents in ${rigDir}`);
  const rig = await Rig.start({ dir: rigDir, log: say });
  try {
    await sleep(sizes.steadySec * 1000);
    const what = await fault(rig, sizes, (m) => say(`${name}: ${m}`));
    await sleep(sizes.steadySec * 1000);
    say(`${name}: collecting (agents stopped, waiting for delivery and anchoring)`);
    const pods = await rig.collect();
    return { name, detail: `${what}, ${rig.nodes.length} meters × 1 Hz`, pods, ms: Date.now() - started };
  } finally {
    await rig.stop();
  }
}
