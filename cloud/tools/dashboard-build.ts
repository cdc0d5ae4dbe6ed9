/**
 * Build the web dashboard (issue 12): cloud/dashboard/src/main.ts bundled by esbuild into one
 * ES module (preact, htm, uPlot and shared's pure EIP-712/Merkle/receipt code included; nothing
 * is fetched at run time), plus its stylesheet (ours + uPlot's) and index.html, into
 * cloud/dist/dashboard/, which the API serves under /ui/. Run by `pnpm build` (cloud's `build`
 * script); prints one line `dashboard-build {json}` with the sizes.
 */
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
export const DASHBOARD_SRC = join(here, '..', 'dashboard');
export const DASHBOARD_OUT = join(here, '..', 'dist', 'dashboard');

export interface DashboardBuild { outDir: string; jsBytes: number; jsGzipBytes: number; cssBytes: number; cssGzipBytes: number; htmlBytes: number }

/** Bundle into `outDir` (default cloud/dist/dashboard) and return the sizes. */
export async function buildDashboard(outDir = DASHBOARD_OUT): Promise<DashboardBuild> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(DASHBOARD_SRC, 'src', 'main.ts')],
    outfile: join(outDir, 'app.js'),
    bundle: true, format: 'esm', platform: 'browser', target: ['chrome110', 'firefox115', 'safari16'],
    minify: true, legalComments: 'none', sourcemap: false, logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const css = `${uplotCss}\n${readFileSync(join(DASHBOARD_SRC, 'style.css'), 'utf8')}`;
  writeFileSync(join(outDir, 'app.css'), css);
  const html = readFileSync(join(DASHBOARD_SRC, 'index.html'));
  writeFileSync(join(outDir, 'index.html'), html);
  const js = readFileSync(join(outDir, 'app.js'));
  return {
    outDir, jsBytes: js.length, jsGzipBytes: gzipSync(js, { level: 9 }).length,
    cssBytes: css.length, cssGzipBytes: gzipSync(css, { level: 9 }).length, htmlBytes: html.length,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await buildDashboard();
  console.log(`dashboard-build ${JSON.stringify(r)}`);
}
