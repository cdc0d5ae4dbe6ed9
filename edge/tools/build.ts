/**
 * Production build of the agent: dist/bundle/lightnode.cjs, the CLI bundled by the one agent
 * recipe (tools/agent-bundle.ts), run with plain `node` and AGENT_NODE_FLAGS (no TypeScript
 * loader at run time). The bundle sits two levels below edge/ so the meter engine's
 * `../../templates/` still resolves to edge/templates/.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { agentBundleOptions } from './agent-bundle.js';

const edge = fileURLToPath(new URL('../', import.meta.url));
await build({ ...agentBundleOptions({ entry: `${edge}src/cli.ts`, outfile: `${edge}dist/bundle/lightnode.cjs`, sourcemap: true }), logLevel: 'warning' });
process.stdout.write('edge: dist/bundle/lightnode.cjs\n');
