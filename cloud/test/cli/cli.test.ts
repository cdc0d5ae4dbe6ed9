import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { startChain } from '@lightnode/test-kit/chain';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyPassword } from '../../src/broker/password-hash.js';
import { secretHash } from '../../src/api/auth.js';
import { main } from '../../src/cli.js';

/** Run the CLI in-process with captured output and temporary env vars. */
async function runCli(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const code = await main(args, { out: (l) => { stdout += l + '\n'; }, err: (t) => { stderr += t; }, ...(stdin !== undefined ? { stdin: async () => stdin } : {}) });
    return { code, stdout, stderr };
  } finally {
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bal-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('api-key prints a secret and the config entry holding only its hash', async () => {
  const r = await runCli(['api-key', '--name', 'dso-tp-sync']);
  assert.is(r.code, 0, r.stderr);
  const o = JSON.parse(r.stdout);
  assert.match(o.apiKey, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(o.configEntry, { name: 'dso-tp-sync', role: 'dso', apiKeyHash: secretHash(o.apiKey) });
  const t = JSON.parse((await runCli(['api-key', '--name', 'ops', '--role', 'dso', '--token'])).stdout);
  assert.is(t.configEntry.tokenHash, secretHash(t.token));
  // Consumers are data users now: the old form says where to go instead.
  const bad = await runCli(['api-key', '--name', 'x', '--role', 'consumer', '--pods', 'IT001E00000001']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /bal users add <name> --role consumer/);
  assert.is((await runCli(['api-key', '--name', 'x', '--pods', 'IT001E00000001'])).code, 2);
});

test('passwd writes mosquitto-compatible hashes into the credentials file', async () => {
  const file = join(dir, 'creds.json');
  const a = await runCli(['passwd', '--credentials', file, '--user', 'IT001E00000001', '--role', 'device']);
  assert.is(a.code, 0, a.stderr);
  const generated = JSON.parse(a.stdout).password as string;
  assert.ok(generated.length >= 20);
  assert.is((await runCli(['passwd', '--credentials', file, '--user', 'bal', '--role', 'bal', '--password', 'bal-pw'])).code, 0);
  const creds = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(creds.accounts.map((x: { username: string }) => x.username), ['IT001E00000001', 'bal']);
  assert.ok(await verifyPassword(generated, creds.accounts[0].passwordHash));
  assert.ok(await verifyPassword('bal-pw', creds.accounts[1].passwordHash));
  const notPod = await runCli(['passwd', '--credentials', file, '--user', 'not-a-pod', '--role', 'device']);
  assert.is(notPod.code, 2);
  assert.match(notPod.stderr, /PoD code/);
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).accounts.length, 2, 'file unchanged after a refused account');

  const m = await runCli(['mosquitto-config', '--credentials', file, '--out', join(dir, 'mosq'), '--port', '1884', '--tls-port', '8884', '--cert', '/etc/c.pem', '--key', '/etc/k.pem']);
  assert.is(m.code, 0, m.stderr);
  const paths = JSON.parse(m.stdout);
  const conf = readFileSync(paths.configPath, 'utf8');
  assert.match(conf, /^listener 1884 127\.0\.0\.1$/m, "an explicit plain port stays on loopback unless --host says otherwise");
  assert.match(conf, /^listener 8884$/m);
  // Client ids bound to accounts (issue 17): every listener names each connection by its username.
  assert.match(conf, /^listener 1884\nuse_username_as_clientid true$/m);
  assert.match(conf, /^listener 8884\nuse_username_as_clientid true$/m);
  assert.match(conf, /^certfile \/etc\/c\.pem$/m);
  assert.match(readFileSync(paths.aclPath, 'utf8'), /^user bal\ntopic write ln\/v1\/\+\/ack$/m);
  assert.match(readFileSync(paths.passwordPath, 'utf8'), /^IT001E00000001:\$7\$/m);
  assert.is(paths.dynsecPath, null);

  const plugin = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
  const d = await runCli(['mosquitto-config', '--credentials', file, '--out', join(dir, 'dynsec'), '--dynsec', plugin]);
  assert.is(d.code, 0, d.stderr);
  const dp = JSON.parse(d.stdout);
  const dconf = readFileSync(dp.configPath, 'utf8');
  assert.match(dconf, new RegExp(`^plugin ${plugin}$`, 'm'));
  assert.match(dconf, new RegExp(`^plugin_opt_config_file ${dp.dynsecPath}$`, 'm'));
  assert.not.match(dconf, /password_file|acl_file|use_username_as_clientid/);
  const dyn = JSON.parse(readFileSync(dp.dynsecPath, 'utf8'));
  const [salt, hash] = creds.accounts[0].passwordHash.split('$').slice(3);
  assert.equal(dyn.clients[0], { username: 'IT001E00000001', clientid: 'IT001E00000001', textname: 'device', roles: [{ rolename: 'lightnode-device-IT001E00000001' }], password: hash, salt, iterations: Number(creds.accounts[0].passwordHash.split('$')[2]) });

  // The BAL's run-time dynsec admin: a generated password printed once, its hash in the plugin's file with only the $CONTROL role.
  const da = await runCli(['mosquitto-config', '--credentials', file, '--out', join(dir, 'dynsec-admin'), '--dynsec', plugin, '--dynsec-admin', 'bal-dynsec']);
  assert.is(da.code, 0, da.stderr);
  const dap = JSON.parse(da.stdout);
  assert.is(dap.dynsecAdmin.username, 'bal-dynsec');
  assert.match(dap.dynsecAdmin.password, /^[A-Za-z0-9_-]{24}$/);
  const admin = JSON.parse(readFileSync(dap.dynsecPath, 'utf8')).clients.find((c: { username: string }) => c.username === 'bal-dynsec');
  assert.ok(admin, 'admin client in dynamic-security.json');
  assert.not.ok(readFileSync(dap.dynsecPath, 'utf8').includes(dap.dynsecAdmin.password), 'only the hash is written');
  const fromEnv = await runCli(['mosquitto-config', '--credentials', file, '--out', join(dir, 'dynsec-admin-env'), '--dynsec', plugin, '--dynsec-admin', 'bal-dynsec'], { BAL_BROKER_DYNSEC_PASSWORD: 'given-by-the-operator' });
  assert.is(JSON.parse(fromEnv.stdout).dynsecAdmin.password, undefined, 'a given password is not echoed');
  assert.is((await runCli(['mosquitto-config', '--credentials', file, '--out', join(dir, 'x'), '--dynsec-admin', 'bal-dynsec'])).code, 2);

  // A legacy $6$ hash cannot be carried into the plugin: refused, naming the account, nothing guessed.
  const legacy = join(dir, 'legacy.json');
  writeFileSync(legacy, JSON.stringify({ v: 1, accounts: [...creds.accounts, { username: 'old-ops', role: 'operator', passwordHash: '$6$c2FsdA==$aGFzaA==' }] }));
  const l = await runCli(['mosquitto-config', '--credentials', legacy, '--out', join(dir, 'dynsec-legacy'), '--dynsec', plugin]);
  assert.is(l.code, 2);
  assert.match(l.stderr, /BAL_BROKER_DYNSEC_HASH.*accounts\[2\]\.passwordHash/);
  assert.not.ok(existsSync(join(dir, 'dynsec-legacy')), 'nothing written');
});

test('check-config: names the bad field, missing files, and accepts a good config', async () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ chain: { deploymentPath: 'dep.json' }, api: { port: 70000 } }));
  const r1 = await runCli(['check-config', '--config', bad]);
  assert.is(r1.code, 2);
  assert.match(r1.stderr, /CONFIG_INVALID.*api\.port: expected integer 0\.\.65535, found number 70000/);
  const typo = join(dir, 'typo.json');
  writeFileSync(typo, JSON.stringify({ chain: { deploymentPath: 'dep.json' }, store: { kind: 'sqlite', pth: 'x' } }));
  assert.match((await runCli(['check-config', '--config', typo])).stderr, /store\.pth/);
  const env = await runCli(['check-config', '--config', bad], { BAL_API_PORT: '8081' });
  assert.match(env.stderr, /chain\.deploymentPath: file not found/, 'env override fixed the port; now the file is missing');
  const good = join(dir, 'good.json');
  writeFileSync(join(dir, 'dep.json'), JSON.stringify({ rpcUrl: 'http://127.0.0.1:8545', chainId: 31337, podRegistry: `0x${'11'.repeat(20)}`, readingAnchor: `0x${'22'.repeat(20)}`, deployBlock: 0, admin: `0x${'33'.repeat(20)}` }));
  writeFileSync(good, JSON.stringify({ chain: { deploymentPath: 'dep.json' }, broker: { credentialsPath: 'creds.json' }, anchoring: { enabled: false } }));
  const r2 = await runCli(['check-config', '--config', good]);
  assert.is(r2.code, 0, r2.stderr);
  assert.equal(JSON.parse(r2.stdout), { ok: true, store: 'sqlite', broker: 'embedded', chain: 'deployment', apiClients: 0 });
  writeFileSync(good, JSON.stringify({ chain: { deploymentPath: 'dep.json' } }));
  const noKey = await runCli(['check-config', '--config', good]);
  assert.is(noKey.code, 2);
  assert.match(noKey.stderr, /anchoring is enabled but no key/);
  assert.is((await runCli(['check-config', '--config', good], { BAL_ANCHOR_KEY: '0x' + '01'.repeat(32) })).code, 0);
  assert.not.ok(existsSync(join(dir, 'data')), 'check-config opens no store');
});

test('users and subscriptions: add (own wallet, custodial, producer on chain), list, passwd, disable; passwords never on argv', async () => {
  const chain = await startChain();
  try {
    const cfg = join(dir, 'access.json');
    const cfgKey = join(dir, 'keys', 'wallet-master.key');
    writeFileSync(cfg, JSON.stringify({ chain: { deploymentPath: chain.deploymentPath }, store: { kind: 'sqlite', path: join(dir, 'access.db') }, dataAccess: { walletKeyPath: cfgKey } }));
    const pwFile = join(dir, 'pw.txt');
    writeFileSync(pwFile, 'a long enough password\n');
    const key = join(dir, 'wallet.key');
    const env = { BAL_RELAY_KEY: ANVIL_PRIVATE_KEYS[0]! }; // the fixture's wallets[0] holds TOPIC_ADMIN_ROLE
    const byo = await runCli(['users', 'add', 'byo', '--config', cfg, '--role', 'consumer', '--wallet', `0x${'ab'.repeat(20)}`, '--password-file', pwFile]);
    assert.is(byo.code, 0, byo.stderr);
    assert.equal(JSON.parse(byo.stdout).custody, 'external');
    const cons = await runCli(['users', 'add', 'cons', '--config', cfg, '--role', 'consumer'], {}, 'from stdin password\n');
    assert.is(cons.code, 0, cons.stderr);
    assert.is(JSON.parse(cons.stdout).custody, 'custodial');
    assert.is(statSync(cfgKey).mode & 0o777, 0o600, 'the config\'s master key (dataAccess.walletKeyPath) created 0600');
    const noRelay = await runCli(['users', 'add', 'prod', '--config', cfg, '--role', 'producer', '--pod', 'IT001E00000001', '--wallet-key', key], { BAL_USER_PASSWORD: 'env var password' });
    assert.is(noRelay.code, 2);
    assert.match(noRelay.stderr, /BAL_RELAY_KEY/);
    const prod = await runCli(['users', 'add', 'prod', '--config', cfg, '--role', 'producer', '--pod', 'IT001E00000001', '--pod', 'IT001E00000002', '--wallet-key', key], { ...env, BAL_USER_PASSWORD: 'env var password' });
    assert.is(prod.code, 0, prod.stderr);
    assert.is(statSync(key).mode & 0o777, 0o600, '--wallet-key created 0600');
    const p = JSON.parse(prod.stdout);
    assert.equal(p.pods, ['IT001E00000001', 'IT001E00000002']);
    assert.is(String(await chain.subscriptions.getFunction('topicProviderOf')('certified/v1/IT001E00000001/readings')).toLowerCase(), p.wallet);
    const list = await runCli(['users', 'list', '--config', cfg]);
    assert.is(list.code, 0, list.stderr);
    assert.equal(JSON.parse(list.stdout).users.map((x: { username: string }) => x.username), ['byo', 'cons', 'prod']);
    assert.not.match(list.stdout, /passwordHash|encryptedKey|scrypt/);
    assert.is((await runCli(['users', 'passwd', 'cons', '--config', cfg], { BAL_USER_PASSWORD: 'the new password' })).code, 0);
    const dis = await runCli(['users', 'disable', 'cons', '--config', cfg]);
    assert.is(JSON.parse(dis.stdout).enabled, false);
    const subs = await runCli(['subscriptions', 'list', '--config', cfg, '--status', 'accepted']);
    assert.is(subs.code, 0, subs.stderr);
    assert.equal(JSON.parse(subs.stdout), { subscriptions: [] });
    // Usage errors: exit 2 with BAL_USAGE-style messages; nothing created.
    for (const [args, re] of [
      [['users', 'add', 'x1', '--config', cfg, '--role', 'consumer', '--wallet-key', key, '--password', 'on-argv'], /Unknown option '--password'/],
      [['users', 'add', 'x2', '--config', cfg, '--wallet-key', key], /--role/],
      [['users', 'add', '--config', cfg, '--role', 'consumer'], /users add <username>/],
      [['users', 'frob', '--config', cfg], /expected add \| list/],
      [['users', 'list'], /--config/],
      [['subscriptions', 'list', '--config', cfg, '--status', 'bogus'], /--status/],
      [['users', 'add', 'Bad Name', '--config', cfg, '--role', 'consumer', '--wallet-key', key, '--password-file', pwFile], /BAL_ACCESS_USER_INVALID/],
    ] as [string[], RegExp][]) {
      const r = await runCli(args, {}, '');
      assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    const noPw = await runCli(['users', 'add', 'x4', '--config', cfg, '--role', 'consumer', '--wallet-key', key]);
    assert.is(noPw.code, 2);
    assert.match(noPw.stderr, /BAL_USER_PASSWORD or stdin/);
    const dup = await runCli(['users', 'add', 'cons', '--config', cfg, '--role', 'consumer', '--wallet-key', key, '--password-file', pwFile]);
    assert.is(dup.code, 1);
    assert.match(dup.stderr, /BAL_ACCESS_USER_EXISTS/);
    assert.equal(JSON.parse((await runCli(['users', 'list', '--config', cfg])).stdout).users.length, 3);
  } finally { await chain.stop(); }
});

test('usage errors exit 2', async () => {
  assert.is((await runCli([])).code, 2);
  assert.is((await runCli(['frobnicate'])).code, 2);
  assert.is((await runCli(['run'])).code, 2);
  assert.is((await runCli(['run', '--config', '/nonexistent/bal.json'])).code, 2);
  assert.is((await runCli(['check-config', '--bogus', 'x'])).code, 2);
  assert.is((await runCli(['--help'])).code, 0);
});

test.run();
