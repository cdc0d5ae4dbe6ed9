/** Bundle a bench child with esbuild into edge/node_modules/.cache so it starts as plain `node` (no TS compile in the measurement). */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const edgeDir = fileURLToPath(new URL('../', import.meta.url));

export async function bundle(entry: URL): Promise<{ file: string; cleanup: () => void }> {
  const cache = join(edgeDir, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'ln-bench-'));
  const file = join(dir, 'child.cjs');
  // Same shape as the production bundle (tools/build.ts): CommonJS, externals required directly.
  await build({
    entryPoints: [fileURLToPath(entry)], bundle: true, platform: 'node', format: 'cjs', outfile: file,
    external: ['better-sqlite3', 'modbus-serial', 'serialport', 'mqtt', 'node-cron', 'ws'], logLevel: 'silent',
    define: { 'import.meta.url': '__lnImportMetaUrl' },
    banner: { js: "const __lnImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The broker URL for benches: $BENCH_MQTT_URL or the local Mosquitto. */
export const BENCH_MQTT_URL = process.env.BENCH_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
