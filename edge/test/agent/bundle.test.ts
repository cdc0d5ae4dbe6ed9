// The agent bundle recipe (tools/agent-bundle.ts): mqtt.js rewrites apply to the installed mqtt
// or fail the build, the bundle runs on plain node, loads its lazy packages only on demand, and
// the systemd unit runs it with the flags the benchmarks use.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { AGENT_NODE_FLAGS, LAZY_PACKAGES, MQTT_LAZY_REWRITES, agentBundleOptions, rewriteMqttSource } from '../../tools/agent-bundle.js';

const edge = fileURLToPath(new URL('../../', import.meta.url));
const mqttLib = join(dirname(createRequire(`${edge}package.json`).resolve('mqtt/package.json')), 'build', 'lib');

test('every mqtt.js rewrite applies to the installed mqtt and removes the eager require', () => {
  for (const [rel, pairs] of Object.entries(MQTT_LAZY_REWRITES)) {
    const src = readFileSync(join(mqttLib, rel), 'utf8');
    const out = rewriteMqttSource(rel, src);
    for (const [eager, lazy] of pairs) {
      assert.not.ok(out.includes(eager), `${rel}: ${eager}`);
      assert.ok(out.includes(lazy), `${rel}: ${lazy}`);
    }
  }
});

test('a changed mqtt.js fails the rewrite, naming the file and the missing text', () => {
  assert.throws(() => rewriteMqttSource('connect/tcp.js', '"use strict";\nconst socks = require("./socks");\n'), (err: Error) =>
    /mqtt connect\/tcp\.js no longer contains .*require\(\\"\.\/socks\\"\).*update edge\/tools\/agent-bundle\.ts/.test(err.message));
  assert.is(rewriteMqttSource('lib/unknown.js', 'x'), 'x', 'files without rewrites pass through');
});

test('the bundled agent runs on plain node; ws, socks and readable-stream are not loaded for an mqtt:// client', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ln-bundle-test-'));
  try {
    // An entry that creates the agent's MQTT client (no broker needed: the transports load on connect).
    const entry = join(edge, 'test', 'agent', '.bundle-probe.ts');
    writeFileSync(entry, [
      "import mqtt from 'mqtt';",
      "const c = mqtt.connect('mqtt://127.0.0.1:1', { reconnectPeriod: 0, connectTimeout: 500, writeCache: false });",
      "c.on('error', () => undefined);",
      'setTimeout(() => {',
      '  c.end(true);',
      "  const loaded = Object.keys(require.cache).filter((k) => /node_modules[\\\\/](ws|socks|readable-stream)[\\\\/]/.test(k));",
      "  process.stdout.write(JSON.stringify({ loaded, dns: process.moduleLoadList.includes('NativeModule dns'), zlib: process.moduleLoadList.includes('NativeModule zlib') }));",
      '}, 300);',
    ].join('\n'));
    const out = join(dir, 'probe.cjs');
    try {
      await build(agentBundleOptions({ entry, outfile: out }));
    } finally {
      rmSync(entry, { force: true });
    }
    const code = readFileSync(out, 'utf8');
    assert.not.match(code, /ERR_STREAM_PREMATURE_CLOSE/, "readable-stream's copy of node streams is not in the bundle");
    for (const p of LAZY_PACKAGES) assert.not.match(code, new RegExp(`node_modules/${p}/`), `${p} stays outside the bundle`);
    const r = spawnSync(process.execPath, [...AGENT_NODE_FLAGS, out], { cwd: edge, encoding: 'utf8', timeout: 30_000, env: { ...process.env, NODE_PATH: join(edge, 'node_modules') } });
    assert.is(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout) as { loaded: string[]; dns: boolean; zlib: boolean };
    assert.equal(res.loaded, [], 'no ws, socks or readable-stream module loaded');
    assert.is(res.zlib, false, 'zlib (ws permessage-deflate) not loaded');
    assert.is(res.dns, false, "dns (mqtt's SOCKS transport) not loaded");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the systemd unit runs the production bundle with AGENT_NODE_FLAGS', () => {
  const unit = readFileSync(join(edge, 'systemd', 'lightnode.service'), 'utf8');
  const exec = unit.split('\n').find((l) => l.startsWith('ExecStart='));
  assert.is(exec, `ExecStart=/usr/bin/node ${AGENT_NODE_FLAGS.join(' ')} /opt/lightnode/edge/dist/bundle/lightnode.cjs run`);
});

test.run();
