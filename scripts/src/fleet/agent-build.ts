/**
 * Builds the Light Node agent for a device with the edge's own bundle recipe
 * (edge/tools/agent-bundle.ts: one CommonJS file, the same as the edge's production build and
 * its benchmarks). The packages the bundle loads at run time (native modules, and the pure-JS
 * ones only some configurations use) are the device package's dependencies: installed by npm
 * on first boot or linked by `fleet flash --node-modules-from`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { RUNTIME_PACKAGES, agentBundleOptions } from '@lightnode/edge/agent-bundle';
import { FleetCode, FleetError } from './errors.js';

const EDGE_DIR = fileURLToPath(new URL('../../../edge/', import.meta.url));

export interface AgentBuild { code: string; version: string; runtimeDependencies: Record<string, string>; templatesDir: string; entry: string }

/**
 * esbuild inlines code but not data: the edge's meter templates are read from a directory
 * relative to its source file. In the bundle that directory sits beside lightnode.cjs.
 */
const templatesBesideBundle: Plugin = {
  name: 'templates-beside-bundle',
  setup(b) {
    b.onLoad({ filter: /meters[\\/]template\.ts$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      const out = src.replace(/new URL\((['"])\.\.\/\.\.\/templates\/\1,\s*import\.meta\.url\)/, "new URL('./templates/', import.meta.url)");
      if (out === src) return { errors: [{ text: `${args.path} no longer finds its templates at new URL('../../templates/', import.meta.url); update the fleet agent build (scripts/src/fleet/agent-build.ts)` }] };
      return { contents: out, loader: 'ts' };
    });
    // The CLI prints its usage from its own source's doc comment; bundled, "its own source" is
    // the bundle. Inline the original text so `lightnode --help` reads the same on a Pi.
    b.onLoad({ filter: /edge[\\/]src[\\/]cli\.ts$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      return { contents: src.replace(/readFileSync\(new URL\(import\.meta\.url\),\s*'utf8'\)/g, JSON.stringify(src)), loader: 'ts' };
    });
  },
};

/** Version, native dependencies and templates of the edge package (for a prebuilt agent passed with --agent). */
export function agentMeta(entry = `${EDGE_DIR}src/cli.ts`): Omit<AgentBuild, 'code'> {
  const pkg = JSON.parse(readFileSync(`${EDGE_DIR}package.json`, 'utf8')) as { version: string; dependencies: Record<string, string> };
  const runtimeDependencies: Record<string, string> = {};
  for (const n of RUNTIME_PACKAGES) if (pkg.dependencies[n]) runtimeDependencies[n] = pkg.dependencies[n]!;
  return { version: pkg.version, runtimeDependencies, templatesDir: `${EDGE_DIR}templates`, entry };
}

/** Bundle `entry` (default edge/src/cli.ts). Throws FLEET_AGENT_BUILD_FAILED. */
export async function buildAgent(entry = `${EDGE_DIR}src/cli.ts`): Promise<AgentBuild> {
  const meta = agentMeta(entry);
  try {
    const res = await build({ ...agentBundleOptions({ entry, plugins: [templatesBesideBundle] }), write: false, outfile: 'lightnode.cjs' });
    const file = res.outputFiles[0];
    if (!file) throw new FleetError(FleetCode.AGENT_BUILD_FAILED, 'esbuild produced no output');
    // The entry's own hashbang may name tsx (`node --import tsx`); the bundle needs plain node.
    const code = file.text.startsWith('#!') ? `#!/usr/bin/env node${file.text.slice(file.text.indexOf('\n'))}` : `#!/usr/bin/env node\n${file.text}`;
    return { code, ...meta };
  } catch (err) {
    throw new FleetError(FleetCode.AGENT_BUILD_FAILED, `cannot build the agent from ${entry}: ${(err as Error).message.split('\n').slice(0, 6).join(' | ')}`);
  }
}
