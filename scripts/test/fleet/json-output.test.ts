// Every fleet command that takes --json, on anvil (and a real BAL for `status`): exit 0 and
// stdout is exactly one JSON document, also for the writes whose receipts carry bigints
// (register/rotate/revoke/enroll once exited 1 with "Do not know how to serialize a BigInt"
// after the transaction was mined). Failures print `{ ok: false, error: { code } }`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { parseConfig } from '@lightnode/cloud/config';
import { startBal, type RunningBal } from '@lightnode/cloud/bal';
import { secretHash } from '@lightnode/cloud/operator';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { fleet, type CliRun } from '@lightnode/test-kit/fleet-cli';
import { buildAgent } from '../../src/fleet/agent-build.js';

let f: ChainFixture;
let g: string[];
let agentArgs: string[];
let bal: RunningBal | null = null;
const env = { FLEET_PRIVATE_KEY: ANVIL_PRIVATE_KEYS[0] };
const API_KEY = 'fleet-json-api-key-0123456789abcdef';
const addr = () => Wallet.createRandom().address.toLowerCase();
type Doc = Record<string, unknown>;

/** The run's stdout as the one JSON document it must be (no other line on stdout). */
function doc(r: CliRun, code = 0): Doc & Doc[] {
  assert.is(r.code, code, `exit ${r.code}\nstdout: ${r.out}\nstderr: ${r.err}`);
  assert.is(r.out.trim().split('\n').length, 1, `one line on stdout, got:\n${r.out}`);
  try { return JSON.parse(r.out) as Doc & Doc[]; } catch (err) { throw new Error(`stdout is not JSON (${(err as Error).message}):\n${r.out}`); }
}

test.before(async () => {
  f = await startChain();
  g = ['--deployment', f.deploymentPath];
  const agent = await buildAgent();
  writeFileSync(join(f.dir, 'agent.cjs'), agent.code);
  agentArgs = ['--agent', join(f.dir, 'agent.cjs')];
});
test.after(async () => { await bal?.stop(); await f?.stop(); });

test('register, rotate, revoke, enroll: the mined transaction as JSON (gas used as a decimal string)', async () => {
  const pod = 'IT001E81000001';
  const [a, b, c] = [addr(), addr(), addr()];
  const dry = doc(await fleet(['register', ...g, '--pod', pod, '--address', a, '--dry-run', '--json'], env));
  assert.equal([dry.ok, dry.action, dry.dryRun, dry.tx], [true, 'register', true, null]);

  for (const [args, action, device] of [
    [['register', '--pod', pod, '--address', a], 'register', a],
    [['rotate', '--pod', pod, '--address', b], 'rotate', b],
    [['revoke', '--pod', pod], 'revoke', null],
  ] as const) {
    const d = doc(await fleet([...args, ...g, '--json'], env));
    assert.is(d.ok, true);
    assert.is(d.action, action);
    assert.is(d.device, device);
    assert.match(String(d.tx), /^0x[0-9a-f]{64}$/);
    assert.ok(Number.isInteger(d.blockNumber) && (d.blockNumber as number) > 0);
    assert.match(String(d.gasUsed), /^[1-9]\d*$/);
  }
  const pod2 = 'IT001E81000002';
  const e = doc(await fleet(['enroll', ...g, '--pod', pod2, '--address', a, '--json'], env));
  assert.equal([e.action, e.device], ['register', a]);
  const r = doc(await fleet(['enroll', ...g, '--pod', pod2, '--address', c, '--replace', '--json'], env));
  assert.equal([r.action, r.previous, r.device], ['rotate', a, c]);
  assert.match(String(r.gasUsed), /^[1-9]\d*$/);
  const none = doc(await fleet(['enroll', ...g, '--pod', pod2, '--address', c, '--replace', '--json'], env));
  assert.equal([none.ok, none.action], [true, 'none']);
});

test('a refused write: exit 1 and { ok: false, error: { code } } on stdout', async () => {
  const d = doc(await fleet(['revoke', ...g, '--pod', 'IT001E81000099', '--json'], env), 1);
  assert.is(d.ok, false);
  assert.is((d.error as Doc).code, 'FLEET_POD_NOT_REGISTERED');
});

test('import, list: summary and entries', async () => {
  const csv = join(f.dir, 'json-pods.csv');
  writeFileSync(csv, `pod,address\nIT001E81000010,${addr()}\nIT001E81000011,${addr()}\n`);
  const d = doc(await fleet(['import', csv, ...g, '--json'], env));
  assert.equal([d.ok, d.registered, d.total], [true, 2, 2]);
  assert.match(String((d.transactions as Doc[])[0]!.gasUsed), /^[1-9]\d*$/);
  const list = doc(await fleet(['list', ...g, '--json']));
  assert.ok(Array.isArray(list));
  assert.ok(list.some((x) => x.pod === 'IT001E81000010'));
});

test('status: the registry joined with a running BAL', async () => {
  const config = parseConfig({
    chain: { deploymentPath: f.deploymentPath },
    broker: { port: 0 },
    store: { kind: 'sqlite', path: ':memory:' },
    anchoring: { enabled: false },
    registry: { pollIntervalMs: 200 },
    api: { port: 0, clients: [{ name: 'dso', role: 'dso', apiKeyHash: secretHash(API_KEY) }] },
    dashboard: { enabled: false },
    log: { level: 'warn' },
  }, f.dir);
  bal = await startBal(config);
  const rows = doc(await fleet(['status', ...g, '--bal', bal.endpoints.api, '--api-key', API_KEY, '--json']));
  assert.ok(Array.isArray(rows));
  const row = rows.find((x) => x.pod === 'IT001E81000010');
  assert.ok(row, 'an imported PoD is listed');
  assert.ok((row!.flags as string[]).includes('never-seen'));
});

test('bundle (device and cli keys), flash, keystore-new: JSON only on stdout, the human lines on stderr', async () => {
  const out = join(f.dir, 'json-bundle');
  const dev = doc(await fleet(['bundle', ...g, '--pod', 'IT001E81000020', '--out', out, '--broker', 'mqtt://127.0.0.1:1883', '--scrypt-n', '1024', ...agentArgs, '--json'], env));
  assert.equal([dev.ok, dev.keyMode, dev.built, dev.registration], [true, 'device', 1, null]);
  assert.is((dev.bundles as Doc[])[0]!.pod, 'IT001E81000020');
  const cliOut = join(f.dir, 'json-bundles-cli');
  const cli = doc(await fleet(['bundle', ...g, '--pod', 'IT001E81000021', '--out', cliOut, '--key-mode', 'cli', '--broker', 'mqtt://127.0.0.1:1883', '--scrypt-n', '1024', ...agentArgs, '--json'], env));
  assert.equal([cli.ok, cli.keyMode, (cli.registration as Doc).registered], [true, 'cli', 1]);
  assert.match(String((cli.bundles as Doc[])[0]!.address), /^0x[0-9a-f]{40}$/);

  const target = join(f.dir, 'json-rootfs');
  mkdirSync(target);
  const fl = doc(await fleet(['flash', '--bundle', out, '--target', target, '--json']));
  assert.equal([fl.ok, fl.pod, fl.dryRun], [true, 'IT001E81000020', false]);
  assert.ok((fl.installed as string[]).length > 0);

  // issue 17 #7: bundle outputs and the flashed data folder are the owner's only; the unit says UMask=0077
  const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
  assert.equal([mode(out), mode(join(out, 'manifest.json')), mode(join(out, 'broker')), mode(join(out, 'broker', 'mosquitto.acl')), mode(join(out, 'broker', 'mosquitto.passwd'))], ['700', '600', '700', '600', '600']);
  assert.equal([mode(cliOut), mode(join(cliOut, 'manifest.json'))], ['700', '600']);
  assert.is(mode(join(target, 'var/lib/lightnode')), '700');
  assert.match(readFileSync(join(target, 'etc/systemd/system/lightnode.service'), 'utf8'), /^UMask=0077$/m);

  const ks = join(f.dir, 'json-dso.keystore');
  const k = doc(await fleet(['keystore-new', '--out', ks, '--scrypt-n', '1024', '--json'], { FLEET_KEYSTORE_PASSWORD: 'pw-json-test' }));
  assert.equal([k.ok, k.keystore], [true, ks]);
  assert.match(String(k.address), /^0x[0-9a-f]{40}$/);
});

test.run();
