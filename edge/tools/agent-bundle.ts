/**
 * The one recipe for bundling the Light Node agent with esbuild, used by the production build
 * (tools/build.ts → dist/bundle/lightnode.cjs), the benches (bench/bundle.ts) and the fleet's
 * device bundle (scripts/src/fleet/agent-build.ts), so what is measured is what runs on a device.
 * Every choice below was measured with bench/steady.ts (4 × SDM630 at 1 Hz, RSS after warm-up);
 * figures in edge/README.md (Performance).
 *
 * - CommonJS: node runs it without its ESM loader (an ESM bundle measured 4–9 MB more RSS).
 * - Pure-JS code the agent always runs is inlined and minified (whitespace and syntax; names are
 *   kept for readable stack traces): V8 keeps a script's whole source in memory, so every
 *   kilobyte in the bundle is a kilobyte of heap.
 * - Packages only some configurations use (RTU/serial meters, Chain 2 over WebSocket, cron
 *   schedules) stay outside, in RUNTIME_PACKAGES, and are loaded from node_modules on first use
 *   (≈ 2.5 MB less RSS than inlining them unused); native modules must stay outside anyway.
 * - mqtt.js loads all its transports on the first connect (WebSocket, SOCKS, browser worker
 *   timers): `lazyMqttTransports` defers those requires to first use.
 * - readable-stream (mqtt's stream library) is a copy of Node's own streams and switches to
 *   them itself with READABLE_STREAM=disable; `nodeStreams` does that at build time.
 */
import { readFileSync } from 'node:fs';
import type { BuildOptions, Plugin } from 'esbuild';

/** Native packages: built for the device's CPU by npm, never bundled. */
export const NATIVE_PACKAGES = ['better-sqlite3', 'serialport'] as const;
/** Pure-JS packages loaded only when a configuration needs them (see the file comment). */
export const LAZY_PACKAGES = ['modbus-serial', 'ws', 'node-cron'] as const;
/** Every package the bundle `require`s at run time: a device installs these beside it. */
export const RUNTIME_PACKAGES = [...NATIVE_PACKAGES, ...LAZY_PACKAGES] as const;

/**
 * V8 flags the agent runs with (systemd units, benches). A 1 MiB young generation keeps RSS
 * small; `--single-threaded` has V8 do its GC and JIT work on the main thread instead of waking
 * helper threads for a process that is idle most of the time (measured with bench/steady.ts,
 * 4 × SDM630 over Modbus TCP, two interleaved runs each: RSS 62.8–64.3 → 60.1–60.4 MB, CPU
 * 1.05 → 0.94–0.98 % of one core).
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--single-threaded'];

/** mqtt.js source rewrites: file (under mqtt/build/lib/) → [eager text, lazy replacement]. */
export const MQTT_LAZY_REWRITES: Record<string, Array<[string, string]>> = {
  'connect/index.js': [
    ["protocols.ws = require('./ws').streamBuilder;", "protocols.ws = (client, opts) => require('./ws').streamBuilder(client, opts);"],
    ["protocols.wss = require('./ws').streamBuilder;", 'protocols.wss = protocols.ws;'],
  ],
  'connect/tcp.js': [['const socks_1 = __importDefault(require("./socks"));', 'const socks_1 = { get default() { return __importDefault(require("./socks")).default; } };']],
  'connect/tls.js': [['const socks_1 = __importDefault(require("./socks"));', 'const socks_1 = { get default() { return __importDefault(require("./socks")).default; } };']],
  'get-timer.js': [[
    'const worker_timers_1 = require("worker-timers");',
    'const worker_timers_1 = { setInterval: (f, t) => require("worker-timers").setInterval(f, t), clearInterval: (id) => require("worker-timers").clearInterval(id) };',
  ]],
};

/**
 * Apply MQTT_LAZY_REWRITES to one mqtt.js file's source. Throws when an expected text is
 * missing (an mqtt upgrade changed it): the build must fail rather than silently go eager.
 */
export function rewriteMqttSource(relPath: string, src: string): string {
  let out = src;
  for (const [eager, lazy] of MQTT_LAZY_REWRITES[relPath] ?? []) {
    if (!out.includes(eager)) throw new Error(`mqtt ${relPath} no longer contains ${JSON.stringify(eager)}: update edge/tools/agent-bundle.ts for this mqtt version`);
    out = out.replace(eager, lazy);
  }
  return out;
}

export const lazyMqttTransports: Plugin = {
  name: 'lazy-mqtt-transports',
  setup(b) {
    b.onLoad({ filter: /[\\/]mqtt[\\/]build[\\/]lib[\\/](connect[\\/](index|tcp|tls)|get-timer)\.js$/ }, (args) => {
      const rel = args.path.replace(/\\/g, '/').replace(/^.*\/mqtt\/build\/lib\//, '');
      try {
        return { contents: rewriteMqttSource(rel, readFileSync(args.path, 'utf8')), loader: 'js' };
      } catch (err) {
        return { errors: [{ text: (err as Error).message }] };
      }
    });
  },
};

/**
 * readable-stream 4 (mqtt's and bl's stream library) is a copy of Node's own streams; it
 * switches to them itself with READABLE_STREAM=disable. The bundle does the same at build
 * time, so its 186 kB copy is not carried (or parsed) at all.
 */
export const nodeStreams: Plugin = {
  name: 'node-streams',
  setup(b) {
    b.onResolve({ filter: /^readable-stream$/ }, () => ({ path: 'readable-stream', namespace: 'ln-node-stream' }));
    b.onLoad({ filter: /.*/, namespace: 'ln-node-stream' }, () => ({ contents: "module.exports = require('node:stream');", loader: 'js' }));
  },
};

/** esbuild options for an agent bundle (CommonJS unless told; `import.meta.url` comes from `__filename`). */
export function agentBundleOptions(o: { entry: string; outfile?: string; format?: 'cjs' | 'esm'; plugins?: Plugin[]; sourcemap?: boolean }): BuildOptions {
  const format = o.format ?? 'cjs';
  return {
    entryPoints: [o.entry],
    ...(o.outfile ? { outfile: o.outfile } : {}),
    bundle: true, platform: 'node', format, target: 'node20', legalComments: 'none', logLevel: 'silent',
    sourcemap: o.sourcemap ?? false,
    minifyWhitespace: true, minifySyntax: true,
    external: [...RUNTIME_PACKAGES, '@serialport/*', 'bufferutil', 'utf-8-validate', 'esbuild'],
    plugins: [lazyMqttTransports, nodeStreams, ...(o.plugins ?? [])],
    ...(format === 'cjs'
      ? {
          define: { 'import.meta.url': '__lnImportMetaUrl' },
          banner: { js: "const __lnImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
        }
      : {
          // CommonJS dependencies bundled into ESM still call require() for node built-ins.
          banner: { js: "import { createRequire as __lnCreateRequire } from 'node:module';\nconst require = __lnCreateRequire(import.meta.url);" },
        }),
  };
}
