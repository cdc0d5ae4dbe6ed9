// Every `bal` command prints machine-readable JSON on stdout (one document per line, nothing
// else there; warnings go to stderr): each is run and each stdout line parsed (issue 17 #9, the
// bal side of "test every CLI's JSON output on every command"). `bal run` is the real process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { main } from '../../src/cli.js';
import { startCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-json-'));
let chain: ChainFixture | null = null;
test.after(async () => { await chain?.stop(); rmSync(dir, { recursive: true, force: true }); });

/** `bal <args>` in-process; every stdout line must parse as JSON. */
async function bal(args: string[], env: Record<string, string> = {}): Promise<Record<string, unknown>[]> {
  let stdout = '';
  let stderr = '';
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const code = await main(args, { out: (l) => { stdout += `${l}\n`; }, err: (t) => { stderr += t; } });
    assert.is(code, 0, `bal ${args.join(' ')}: ${stderr}`);
  } finally {
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  }
  const lines = stdout.split('\n').filter((l) => l !== '');
  assert.ok(lines.length > 0, `bal ${args.join(' ')}: no output`);
  return lines.map((l) => { try { return JSON.parse(l) as Record<string, unknown>; } catch { throw new Error(`bal ${args.join(' ')}: not JSON: ${l}`); } });
}

test('api-key, passwd, mosquitto-config, check-config, users, subscriptions: JSON on stdout', async () => {
  assert.ok((await bal(['api-key', '--name', 'dso']))[0]!.apiKey);
  assert.ok((await bal(['api-key', '--name', 'ops', '--token']))[0]!.token);
  const creds = join(dir, 'creds.json');
  assert.is((await bal(['passwd', '--credentials', creds, '--user', 'IT001E00000001', '--role', 'device']))[0]!.username, 'IT001E00000001');
  assert.is((await bal(['passwd', '--credentials', creds, '--user', 'bal', '--role', 'bal', '--password', 'bal-pw']))[0]!.role, 'bal');
  assert.ok((await bal(['mosquitto-config', '--credentials', creds, '--out', join(dir, 'mosq')]))[0]!.configPath, 'with a warning on stderr, JSON on stdout');
  assert.ok((await bal(['mosquitto-config', '--credentials', creds, '--out', join(dir, 'dynsec'), '--dynsec', '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so', '--dynsec-admin', 'bal-dynsec']))[0]!.dynsecAdmin);

  writeFileSync(join(dir, 'dep.json'), JSON.stringify({ rpcUrl: 'http://127.0.0.1:8545', chainId: 31337, podRegistry: `0x${'11'.repeat(20)}`, readingAnchor: `0x${'22'.repeat(20)}`, deployBlock: 0, admin: `0x${'33'.repeat(20)}` }));
  const cfg = join(dir, 'bal.json');
  writeFileSync(cfg, JSON.stringify({ chain: { deploymentPath: 'dep.json' }, broker: { credentialsPath: 'creds.json' }, store: { kind: 'sqlite', path: 'data/bal.db' }, anchoring: { enabled: false } }));
  assert.is((await bal(['check-config', '--config', cfg]))[0]!.ok, true);
  const pw = { BAL_USER_PASSWORD: 'a long enough password' };
  assert.is((await bal(['users', 'add', 'cons', '--config', cfg, '--role', 'consumer'], pw))[0]!.username, 'cons');
  assert.equal(((await bal(['users', 'list', '--config', cfg]))[0]!.users as { username: string }[]).map((u) => u.username), ['cons']);
  assert.is((await bal(['users', 'passwd', 'cons', '--config', cfg], { BAL_USER_PASSWORD: 'another long password' }))[0]!.password, 'changed');
  assert.is((await bal(['users', 'disable', 'cons', '--config', cfg]))[0]!.enabled, false);
  assert.is((await bal(['users', 'enable', 'cons', '--config', cfg]))[0]!.enabled, true);
  assert.equal((await bal(['subscriptions', 'list', '--config', cfg]))[0], { subscriptions: [] });
});

test('bal run: every stdout line an event (started, credentials-reloaded, access-synchronised, stopped)', async () => {
  chain = await startChain();
  const cfg = join(dir, 'run.json');
  writeFileSync(cfg, JSON.stringify({
    chain: { deploymentPath: chain.deploymentPath }, broker: { port: 0, credentialsPath: 'creds.json' }, api: { port: 0 },
    store: { kind: 'sqlite', path: 'run/bal.db' }, anchoring: { enabled: false }, dataAccess: { enabled: true, walletKeyPath: 'run/wallet.key' }, log: { level: 'warn' },
  }));
  const run = startCli(['run', '--config', cfg], { BAL_RELAY_KEY: ANVIL_PRIVATE_KEYS[0] });
  let raw = '';
  run.child.stdout!.on('data', (d) => (raw += d));
  const started = await run.waitEvent('started');
  assert.match(String((started.endpoints as Record<string, unknown>).api), /^http:\/\/127\.0\.0\.1:\d+$/);
  run.child.kill('SIGHUP');
  await run.waitEvent('credentials-reloaded');
  await run.waitEvent('access-synchronised');
  run.child.kill('SIGTERM');
  assert.is(await run.exited, 0, run.stderr());
  assert.ok(run.events.some((e) => e.event === 'stopped'));
  assert.equal(run.events.map((e) => e.event), ['started', 'credentials-reloaded', 'access-synchronised', 'stopped']);
  for (const line of raw.split('\n').filter((l) => l !== '')) assert.not.throws(() => JSON.parse(line), `not JSON on stdout: ${line}`);
});

test.run();
