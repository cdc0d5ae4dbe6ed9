// Ctrl-C on the README's command (`pnpm demo`). Two ways it arrives: on a terminal, as a key
// (the demo reads it in raw mode, so no SIGINT reaches pnpm and its `sh -c`); and as SIGINT to
// the whole process group (a terminal without raw mode, `kill -INT -<pgid>`), where the chain
// and the broker, each in a group of its own, are not hit. Either way the demo stops its parts
// in order (the receipt verifier before the chain), prints no warning, and every process up to
// pnpm exits 0 (no "ELIFECYCLE Command failed").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'demo-ctrl-c-'));
const children: ChildProcess[] = [];

test.after(() => {
  for (const c of children) if (c.pid && c.exitCode === null) { try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ } }
  rmSync(dir, { recursive: true, force: true });
});

/** Processes whose command line mentions `needle`. */
function processesMentioning(needle: string): string[] {
  const r = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.includes(needle) && !l.includes('ps -eo'));
}

interface Run { child: ChildProcess; output(): string; closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }

/** Start `cmd` in a process group of its own (as a shell starts a foreground job) and collect its output. */
function start(cmd: string, args: string[]): Run {
  const child = spawn(cmd, args, { cwd: ROOT, detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('close', (code, signal) => r({ code, signal })));
  return { child, output: () => out, closed };
}

/** Wait until the demo is up and has verified receipts (so a check may well be in flight); returns the chain's URL. */
async function waitUp(run: Run): Promise<string> {
  const end = Date.now() + 180_000;
  const ready = (): boolean => run.output().includes('✓ receipt-verified') && run.output().includes('  certified  ');
  while (!ready() && Date.now() < end && run.child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
  assert.ok(ready(), `demo not up within 180 s\n${run.output().slice(-3000)}`);
  return /chain\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(run.output())![1]!;
}

async function assertCleanStop(run: Run, data: string, rpcUrl: string, how: RegExp): Promise<void> {
  const { code, signal } = await run.closed;
  const out = run.output();
  assert.is(signal, null, `killed by ${signal}\n${out.slice(-3000)}`);
  assert.is(code, 0, `exit code\n${out.slice(-3000)}`);
  assert.match(out, how);
  assert.ok(out.includes(`stopped. Data folder kept: ${data}`), out.slice(-2000));
  assert.not.match(out, /WARNING/, 'no warning while stopping');
  assert.not.match(out, /ECONNREFUSED/);
  assert.not.match(out, /ELIFECYCLE|Command failed/);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(processesMentioning(data), [], 'no process left behind');
  let chainUp = true;
  try { await fetch(rpcUrl, { method: 'POST', body: '{}', signal: AbortSignal.timeout(1000) }); } catch { chainUp = false; }
  assert.is(chainUp, false, `anvil at ${rpcUrl} is gone`);
}

test('SIGINT to the process group of `pnpm demo`: a clean stop, exit 0, no warning', async () => {
  const data = join(dir, 'signal');
  const run = start('pnpm', ['demo', '--data', data, '--window-ms', '500']);
  const rpcUrl = await waitUp(run);
  process.kill(-run.child.pid!, 'SIGINT');
  await assertCleanStop(run, data, rpcUrl, /SIGINT: stopping…/);
});

test('Ctrl-C typed on a terminal (a pty through `script`): a clean stop, exit 0, no warning', async () => {
  const data = join(dir, 'terminal');
  // script(1) runs the command on a new pty, as its foreground job; what we write is typed on it
  const run = start('script', ['-qfec', `pnpm demo --data ${data} --window-ms 500`, '/dev/null']);
  const rpcUrl = await waitUp(run);
  run.child.stdin!.write('\x03');
  await assertCleanStop(run, data, rpcUrl, /\^C\s+Ctrl-C: stopping…/);
});

test.run();
