/**
 * The demo command as a newcomer runs it: `cli.ts` in its own process prints the endpoints and
 * live progress up to a verified receipt; SIGINT (Ctrl-C) stops every part, exits 0, prints the
 * data folder, keeps it, and leaves no child process behind.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, statSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../../scripts/src/demo/cli.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'e2e-demo-cli-'));
const data = join(dir, 'data');
let child: ChildProcess | null = null;

test.after(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Processes whose command line mentions `needle` (socat's pty links live in the data folder). */
function processesMentioning(needle: string): string[] {
  const r = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.includes(needle) && !l.includes('ps -eo'));
}

test('pnpm demo: endpoints, a verified receipt, then Ctrl-C stops cleanly and keeps the data folder', async () => {
  child = spawn(process.execPath, ['--import', 'tsx', CLI, '--data', data, '--window-ms', '1000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));

  const end = Date.now() + 90_000;
  const ready = (): boolean => out.includes('✓ receipt-verified') && out.includes('  certified  ');
  while (!ready() && Date.now() < end && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
  assert.ok(ready(), `no verified receipt and endpoints within 90 s\nstdout:\n${out.slice(-3000)}\nstderr:\n${err.slice(-2000)}`);
  // A login per role, the shared stream and how to listen to it.
  for (const role of ['admin', 'producer', 'consumer']) assert.match(out, new RegExp(`^  ${role}\\s+\\S+\\s+password \\S{20}\\s+wallet 0x[0-9a-f]{40}`, 'm'), `a ${role} login printed`);
  assert.match(out, /^Dashboard\s+http:\/\/127\.0\.0\.1:\d+\/ui\//m, 'the dashboard URL printed');
  assert.match(out, /^  shared\s+certified\/v1\/IT001E\d{8}\/readings → dso-tp \(subscription #1, accepted in tx 0x[0-9a-f]{64}\)/m);
  for (const label of ['chain ', 'contracts ', 'BAL API ', 'MQTT ', 'node ', 'lab ', 'data ']) assert.ok(out.includes(`  ${label}`), `endpoint line '${label.trim()}' printed`);
  assert.match(out, /BAL API\s+http:\/\/127\.0\.0\.1:\d+/);
  assert.match(out, /│ checks .*✓ contract-verify/);
  // values as a person reads them: "1-0:32.7.0 229.69 V", not mantissa and exponent
  assert.match(out, /│ values\s+\d-\d:[\d.]+ -?\d+(\.\d+)? \S+/);
  assert.not.match(/│ values.*/.exec(out)![0], /\de-?\d/);
  assert.not.match(out, /✗/);
  const rpcUrl = /chain\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;

  child.kill('SIGINT');
  const code = await exited;
  assert.is(code, 0, `exit code; stderr:\n${err.slice(-2000)}`);
  assert.ok(out.includes(`stopped. Data folder kept: ${data}`), out.slice(-1500));
  assert.match(out, /milestones \(s after start\): signed \d/);
  for (const f of ['deployment.json', 'bal.json', 'api-key.txt', 'endpoints.json', 'users.json']) assert.ok(existsSync(join(data, f)), f);
  assert.is(statSync(join(data, 'users.json')).mode & 0o777, 0o600, 'logins readable by the owner only');
  assert.ok(existsSync(join(data, 'bal', 'bal.db')), 'BAL store kept');
  assert.equal(readdirSync(join(data, 'nodes')).sort(), ['IT001E00000002', 'IT001E00000120', 'IT001E00000630']);
  assert.ok(readdirSync(join(data, 'logs')).includes('bal.log'));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(processesMentioning(data), [], 'no process left behind (demo, socat pty pair)');
  let chainUp = true;
  try { await fetch(rpcUrl, { method: 'POST', body: '{}', signal: AbortSignal.timeout(1000) }); } catch { chainUp = false; }
  assert.is(chainUp, false, `anvil at ${rpcUrl} is gone`);
});

test('option mistakes: exit 2 with DEMO_USAGE and the usage line before anything starts, no stack', () => {
  for (const [args, reason] of [
    [['--accelerate', 'abc'], /^DEMO_USAGE: --accelerate: expected a number 1\.\.3600, found abc\nusage: pnpm demo /],
    [['--window-ms', '5'], /^DEMO_USAGE: --window-ms: expected a number 100\.\.600000, found 5\n/],
    [['--bogus'], /^DEMO_USAGE: Unknown option '--bogus'/],
  ] as const) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, '--data', join(dir, 'unused'), ...args], { encoding: 'utf8', timeout: 30_000 });
    assert.is(r.status, 2, r.stderr);
    assert.match(r.stderr, reason);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
    assert.not.match(r.stdout, /Light Node SDK demo/, 'nothing started');
  }
  assert.not.ok(existsSync(join(dir, 'unused')), 'no data folder made');
});

test('a start failure (data folder under a file) is one reason line, exit 1, no stack', () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, '--data', join(file, 'data')], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, DEMO_DEBUG: '' } });
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /^demo failed: ENOTDIR: not a directory, mkdir '.*a-file\/data\/logs'\n\(DEMO_DEBUG=1 prints the stack\)\n$/);
});

test.run();
