// The hand-kept PodRegistry ABI and selectors (src/registry/abi.ts, calls.ts, events.ts) against
// the compiled artifact: a changed contract fails here until the TypeScript copies follow.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Interface, id } from 'ethers';
import { buildArtifacts } from '../src/build.js';
import { loadArtifact } from '../src/artifacts.js';
import { POD_REGISTRY_ABI } from '../src/registry/abi.js';
import { POD_REGISTRY_SELECTORS, SETPOINT_SIGNERS_CALL } from '../src/registry/calls.js';
import { REGISTRY_EVENT_NAMES } from '../src/registry/events.js';

buildArtifacts({ quiet: true });
const compiled = new Interface(loadArtifact('PodRegistry').abi as never);
const sorted = (i: Interface): string[] => [...i.format(false)].sort();

test('POD_REGISTRY_ABI is the artifact ABI: every function, event and error, same signatures and names', () => {
  assert.equal(sorted(new Interface(POD_REGISTRY_ABI)), sorted(compiled));
});

test('each hand-kept selector is keccak256 of its signature and a function of the artifact', () => {
  for (const [sig, selector] of Object.entries(POD_REGISTRY_SELECTORS)) {
    assert.is(selector, id(sig).slice(0, 10), sig);
    assert.is(compiled.getFunction(sig)?.selector, selector, `${sig} in the artifact`);
  }
  assert.is(SETPOINT_SIGNERS_CALL, compiled.getFunction('setpointSigners')!.selector);
  assert.equal(compiled.getFunction('setpointSigners')!.outputs.map((o) => o.type), ['address[]'], 'the decoder expects one address[]');
});

test('the followed events exist in the artifact and are not indexed (the decoder reads them from data)', () => {
  for (const name of REGISTRY_EVENT_NAMES) {
    const e = compiled.getEvent(name);
    assert.ok(e, name);
    assert.ok(e!.inputs.every((i) => !i.indexed), `${name} has no indexed inputs`);
  }
});

test.run();
