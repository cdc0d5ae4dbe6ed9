/**
 * The fuzz half of the soak: every parser target (shared, edge, BAL) fed `count` seeded
 * hostile inputs, then the REST API of a real BAL (its own rig) fed `restCount` requests.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runTarget, type FuzzResult } from '@lightnode/shared/fuzz/engine';
import { sharedTargets } from '@lightnode/shared/fuzz/targets';
import { edgeTargets } from '@lightnode/edge/fuzz-targets';
import { balTargets } from '@lightnode/cloud/fuzz-targets';
import { fuzzRest } from '@lightnode/cloud/fuzz-rest';
import { Rig } from './rig.js';

export function parserTargets() {
  return [...edgeTargets(), ...sharedTargets(), ...balTargets()];
}

export async function runFuzz(o: { count: number; restCount: number; seed: number; dir: string; say: (s: string) => void }): Promise<FuzzResult[]> {
  const out: FuzzResult[] = [];
  for (const t of parserTargets()) {
    const r = runTarget(t, o.count, o.seed);
    o.say(`fuzz ${t.name}: ${r.inputs} inputs, ${r.crashes} crashes, ${Math.round(r.ms)} ms`);
    out.push(r);
  }
  if (o.restCount > 0) {
    const dir = join(o.dir, 'rest-fuzz');
    mkdirSync(dir, { recursive: true });
    const rig = await Rig.start({ dir, pods: 1 });
    try {
      const r = await fuzzRest({ baseUrl: rig.apiUrl, apiKey: rig.apiKey, requests: o.restCount, seed: o.seed });
      // The BAL must still answer after the attack.
      const health = await fetch(`${rig.apiUrl}/healthz`).then((x) => x.status).catch(() => 0);
      if (health === 0 || rig.bal?.exitCode !== null) { r.crashes += 1; r.examples.push({ index: -1, error: `BAL not answering after the REST fuzz (healthz ${health})` }); }
      o.say(`fuzz REST: ${r.inputs} requests, ${r.crashes} crashes, ${Math.round(r.ms)} ms`);
      out.push(r);
    } finally {
      await rig.stop();
    }
  }
  return out;
}
