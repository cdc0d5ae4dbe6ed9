// DESIGN §2: the agent never loads ethers. The production bundle recipe over the real CLI entry
// must not pull ethers in, and from @lightnode/contracts only the ethers-free registry calls.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { agentBundleOptions } from '../../tools/agent-bundle.js';

const edge = fileURLToPath(new URL('../../', import.meta.url));

test('the agent bundle has no ethers and only contracts/src/registry/calls.ts of the contracts package', async () => {
  const r = await build({ ...agentBundleOptions({ entry: `${edge}src/cli.ts` }), write: false, metafile: true });
  const inputs = Object.keys(r.metafile.inputs).map((p) => p.replace(/\\/g, '/'));
  assert.ok(inputs.some((p) => p.endsWith('src/ems/registry-signers.ts')), 'the setpoint-signer reader is bundled');
  assert.equal(inputs.filter((p) => /(^|\/)(ethers|@adraffy|@noble\/curves)\//.test(p)), [], 'no ethers or its dependencies');
  assert.equal(inputs.filter((p) => /(^|\/)contracts\/src\//.test(p)).map((p) => p.replace(/^.*contracts\/src\//, '')), ['registry/calls.ts']);
});

test.run();
