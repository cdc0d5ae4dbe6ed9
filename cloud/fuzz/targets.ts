/**
 * The BAL's own untrusted-input entry point as a fuzz target (shared/fuzz/engine.ts): an MQTT
 * readings payload as the verify workers judge it (src/verify/verify-core.ts), signature
 * recovery included. The verdict of a payload is its envelope error, else the first refused
 * reading's code, else accepted. The REST API is fuzzed over HTTP (./rest.ts).
 */
import { readFileSync } from 'node:fs';
import { LightNodeError } from '@lightnode/shared/errors';
import { domainSeparator } from '@lightnode/shared/eip712';
import { jsonTextInput, type FuzzTarget, type Rng } from '@lightnode/shared/fuzz/engine';
import { createBatchVerifier } from '../src/verify/verify-core.js';

const readings = JSON.parse(readFileSync(new URL('../../shared/vectors/readings.json', import.meta.url), 'utf8')).vectors;

export function balTargets(): FuzzTarget<unknown>[] {
  const r0 = readings[1].reading;
  const verifier = createBatchVerifier(domainSeparator(readings[1].domain));
  const samples = [{ v: 1, readings: [r0] }, { v: 1, readings: [r0, { ...r0, seq: r0.seq + 1 }] }];
  const payload: FuzzTarget<string> = {
    name: 'MQTT readings payload', side: 'bal',
    input: (rnd: Rng) => jsonTextInput(rnd, samples),
    run: (p) => {
      const res = verifier.verifyPayload(r0.pod, p);
      if (res.envelopeError) throw new LightNodeError(res.envelopeError.code, res.envelopeError.reason);
      const bad = res.items.find((i) => !i.ok);
      if (bad && !bad.ok) throw new LightNodeError(bad.code, bad.reason);
      return res.items.length;
    },
  };
  return [payload as FuzzTarget<unknown>];
}
