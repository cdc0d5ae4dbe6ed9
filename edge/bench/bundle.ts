/** Bundle a bench child with esbuild into edge/node_modules/.cache so it starts as plain `node` (no TS compile in the measurement). */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { agentBundleOptions } from '../tools/agent-bundle.js';

const edgeDir = fileURLToPath(new URL('../', import.meta.url));

export async function bundle(entry: URL): Promise<{ file: string; cleanup: () => void }> {
  const cache = join(edgeDir, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'ln-bench-'));
  const file = join(dir, process.env.BENCH_BUNDLE_FORMAT === 'esm' ? 'child.mjs' : 'child.cjs');
  // The production recipe (tools/agent-bundle.ts): what is measured is what runs on a device.
  await build(agentBundleOptions({ entry: fileURLToPath(entry), outfile: file, format: process.env.BENCH_BUNDLE_FORMAT === 'esm' ? 'esm' : 'cjs' }));
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The broker URL for benches: $BENCH_MQTT_URL or the local Mosquitto. */
export const BENCH_MQTT_URL = process.env.BENCH_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
