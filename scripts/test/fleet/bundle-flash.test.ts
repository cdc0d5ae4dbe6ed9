// fleet bundle + flash: bundles per PoD from CSV with CLI-made keys (registered on anvil,
// resumable), a device-key bundle, flashing into a scratch rootfs (files, modes, enabled
// unit), refusal of tampered bundles, and the bundled agent JS running from the rootfs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { decryptKeystore } from '@lightnode/edge/provisioning';
import type { BundleManifest } from '../../src/fleet/bundle-manifest.js';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { fleet } from '@lightnode/test-kit/fleet-cli';

const EDGE = fileURLToPath(new URL('../../../edge/', import.meta.url));
/** edge/src/cli.ts when the agent CLI exists, else the agent module itself (bundling still proves the build). */
const AGENT_ENTRY = existsSync(join(EDGE, 'src/cli.ts')) ? null : join(EDGE, 'src/agent.ts');

let f: ChainFixture;
let g: string[];
let agentArgs: string[] = [];
const env = { FLEET_PRIVATE_KEY: ANVIL_PRIVATE_KEYS[0] };
const pods = ['IT001E70000001', 'IT001E70000002', 'IT001E70000003'];
const mode = (p: string) => statSync(p).mode & 0o777;

test.before(async () => {
  f = await startChain();
  g = ['--deployment', f.deploymentPath];
  if (AGENT_ENTRY) {
    const { buildAgent } = await import('../../src/fleet/agent-build.js');
    const a = await buildAgent(AGENT_ENTRY);
    writeFileSync(join(f.dir, 'agent.cjs'), a.code);
    agentArgs = ['--agent', join(f.dir, 'agent.cjs')];
  }
});
test.after(async () => { await f?.stop(); });

test('bundle --from pods.csv --key-mode cli: one bundle per PoD, keys encrypted, addresses registered', async () => {
  const csv = join(f.dir, 'pods.csv');
  writeFileSync(csv, `pod,address,site\n${pods[0]},,lab-simulators\n${pods[1]},,\n${pods[2]},,residential-sdm120\n`);
  const out = join(f.dir, 'bundles');
  const r = await fleet(['bundle', ...g, '--from', csv, '--out', out, '--key-mode', 'cli', '--broker', 'mqtt://127.0.0.1:1883', '--template', 'lab-simulators', '--scrypt-n', '1024', ...agentArgs], env);
  assert.is(r.code, 0, r.err + r.out);
  assert.match(r.out, /built 3 bundle\(s\), kept 0 existing, key mode cli/);
  assert.match(r.out, /registered 3 PoD\(s\) in 1 transaction/);
  for (const pod of pods) {
    const dir = join(out, pod);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as BundleManifest;
    assert.is(m.pod, pod);
    assert.ok(/^0x[0-9a-f]{40}$/.test(m.address!));
    assert.is(String(await f.registry.getFunction('deviceOf')(pod)).toLowerCase(), m.address);
    const ks = readFileSync(join(dir, 'rootfs/etc/lightnode/keystore.json'), 'utf8');
    assert.not.match(ks, /privateKey/);
    const password = readFileSync(join(dir, 'secrets/keystore.password'), 'utf8');
    // the edge's own keystore reader opens what the CLI wrote (ethers): same v3 format
    const key = await decryptKeystore(JSON.parse(ks), password);
    assert.is(key.address.toLowerCase(), m.address);
    assert.is((await Wallet.fromEncryptedJson(ks, password)).address.toLowerCase(), m.address);
    const cfg = JSON.parse(readFileSync(join(dir, 'rootfs/etc/lightnode/config.json'), 'utf8'));
    assert.is(cfg.pod, pod);
    assert.is(cfg.chain.podRegistry, f.deployment.podRegistry);
    assert.is(cfg.chain.chainId, f.deployment.chainId);
    assert.is(cfg.mqtt.url, 'mqtt://127.0.0.1:1883');
    assert.is(cfg.mqtt.username, pod);
    assert.ok(cfg.mqtt.password.length >= 32);
    assert.ok(m.files.some((x) => x.path === 'opt/lightnode/lightnode.cjs'));
    assert.ok(m.files.some((x) => x.path === 'etc/systemd/system/lightnode.service'));
    assert.ok(existsSync(join(dir, 'install.sh')));
  }
  // the site column picks the template; an unknown/empty one falls back to --template
  const cfg3 = JSON.parse(readFileSync(join(out, pods[2]!, 'rootfs/etc/lightnode/config.json'), 'utf8'));
  assert.is(cfg3.meters[0].link.kind, 'rtu');
  const cfg2 = JSON.parse(readFileSync(join(out, pods[1]!, 'rootfs/etc/lightnode/config.json'), 'utf8'));
  assert.is(cfg2.meters[0].link.kind, 'tcp');
  const passwd = readFileSync(join(out, 'broker/mosquitto.passwd'), 'utf8').trim().split('\n');
  assert.is(passwd.length, 3);
  assert.match(passwd[0]!, /^IT001E70000001:\$7\$101\$/);
  assert.match(readFileSync(join(out, 'broker/mosquitto.acl'), 'utf8'), /user IT001E70000002\ntopic write ln\/v1\/IT001E70000002\/readings/);

  // re-run: bundles kept, nothing registered twice
  const again = await fleet(['bundle', ...g, '--from', csv, '--out', out, '--key-mode', 'cli', '--broker', 'mqtt://127.0.0.1:1883', '--scrypt-n', '1024', ...agentArgs], env);
  assert.is(again.code, 0, again.err);
  assert.match(again.out, /built 0 bundle\(s\), kept 3 existing/);
  assert.match(again.out, /registered 0 PoD\(s\) in 0 transaction\(s\), 3 already registered/);

  // a new CLI key for a PoD that is already bound could never be registered: refused before anything is built
  const elsewhere = join(f.dir, 'bundles-2');
  const bound = await fleet(['bundle', ...g, '--pod', pods[0]!, '--out', elsewhere, '--key-mode', 'cli', '--broker', 'mqtt://127.0.0.1:1883', '--scrypt-n', '1024', ...agentArgs], env);
  assert.is(bound.code, 1);
  assert.match(bound.err, /^FLEET_POD_ALREADY_BOUND: 1 PoD\(s\) already bound/);
  assert.not.ok(existsSync(elsewhere));
});

test('bundle --pod --key-mode device: no key in the bundle, nothing on chain; --dry-run writes nothing', async () => {
  const out = join(f.dir, 'dev-bundle');
  const dry = await fleet(['bundle', ...g, '--pod', 'IT001E70000009', '--out', out, '--broker', 'mqtt://127.0.0.1:1883', '--dry-run', ...agentArgs], env);
  assert.is(dry.code, 0, dry.err);
  assert.not.ok(existsSync(join(out, 'manifest.json')));
  const r = await fleet(['bundle', ...g, '--pod', 'IT001E70000009', '--out', out, '--broker', 'mqtt://127.0.0.1:1883', ...agentArgs], {});
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /fleet enroll/);
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as BundleManifest;
  assert.equal([m.keyMode, m.address], ['device', null]);
  assert.not.ok(existsSync(join(out, 'rootfs/etc/lightnode/keystore.json')));
  assert.is(String(await f.registry.getFunction('deviceOf')('IT001E70000009')), '0x0000000000000000000000000000000000000000');
  const bad = await fleet(['bundle', ...g, '--pod', 'IT001E7', '--out', out, '--broker', 'mqtt://x:1'], {});
  assert.match(bad.err, /^FLEET_POD_INVALID/);
});

test('flash installs into a scratch rootfs: files, 0600 secrets, unit enabled; --dry-run and tampering', async () => {
  const bundle = join(f.dir, 'bundles', pods[0]!);
  const target = join(f.dir, 'rootfs-a');
  mkdirSync(target);
  const dry = await fleet(['flash', '--bundle', bundle, '--target', target, '--dry-run']);
  assert.is(dry.code, 0, dry.err);
  assert.not.ok(existsSync(join(target, 'opt')));
  const r = await fleet(['flash', '--bundle', bundle, '--target', target]);
  assert.is(r.code, 0, r.err);
  for (const p of ['etc/lightnode/config.json', 'etc/lightnode/keystore.json', 'etc/lightnode/keystore.password']) assert.is(mode(join(target, p)), 0o600, p);
  assert.is(mode(join(target, 'etc/lightnode')), 0o700);
  assert.is(mode(join(target, 'opt/lightnode/lightnode.cjs')), 0o755);
  assert.is(mode(join(target, 'opt/lightnode/first-boot.sh')), 0o755);
  const wants = join(target, 'etc/systemd/system/multi-user.target.wants/lightnode.service');
  assert.ok(lstatSync(wants).isSymbolicLink());
  assert.is(readlinkSync(wants), '/etc/systemd/system/lightnode.service');
  const unit = readFileSync(join(target, 'etc/systemd/system/lightnode.service'), 'utf8');
  // the agent runs with the V8 flags its benchmarks were measured with (edge/tools/agent-bundle.ts)
  assert.match(unit, /ExecStart=\/usr\/bin\/node --max-semi-space-size=1 --single-threaded \/opt\/lightnode\/lightnode\.cjs run --config \/etc\/lightnode\/config\.json/);
  // the device package lists every package the bundle loads at run time, with edge's versions
  const devicePkg = JSON.parse(readFileSync(join(target, 'opt/lightnode/package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const edgePkg = JSON.parse(readFileSync(join(EDGE, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  assert.equal(Object.keys(devicePkg.dependencies).sort(), ['better-sqlite3', 'modbus-serial', 'node-cron', 'serialport', 'ws']);
  for (const [n, v] of Object.entries(devicePkg.dependencies)) assert.is(v, edgePkg.dependencies[n], n);
  assert.match(unit, /WantedBy=multi-user\.target/);
  assert.ok(existsSync(join(target, 'var/lib/lightnode')));
  assert.ok(existsSync(join(target, 'usr/lib/sysusers.d/lightnode.conf')));
  for (const script of [join(target, 'opt/lightnode/first-boot.sh'), join(bundle, 'install.sh')]) {
    execFileSync('/bin/sh', ['-n', script]); // POSIX sh syntax (dash): throws on a parse error
  }
  assert.is(readFileSync(join(target, 'etc/lightnode/keystore.password'), 'utf8'), readFileSync(join(bundle, 'secrets/keystore.password'), 'utf8'));
  // flashing twice is fine (re-image)
  assert.is((await fleet(['flash', '--bundle', bundle, '--target', target])).code, 0);

  const tampered = join(f.dir, 'bundles', pods[1]!);
  appendFileSync(join(tampered, 'rootfs/etc/lightnode/config.json'), ' ');
  const t = await fleet(['flash', '--bundle', tampered, '--target', target]);
  assert.is(t.code, 1);
  assert.match(t.err, /^FLEET_BUNDLE_INVALID: .*config\.json does not match its manifest hash/);
  const nodir = await fleet(['flash', '--bundle', bundle, '--target', join(f.dir, 'nope')]);
  assert.match(nodir.err, /^FLEET_USAGE/);
  // a wrong --password-file is refused before anything is written (no half-flashed tree)
  const fresh = join(f.dir, 'rootfs-fresh');
  mkdirSync(fresh);
  const nopw = await fleet(['flash', '--bundle', bundle, '--target', fresh, '--password-file', join(f.dir, 'no-such-password')]);
  assert.is(nopw.code, 2, nopw.err);
  assert.match(nopw.err, /^FLEET_USAGE: --password-file .*no-such-password: cannot read \(ENOENT/);
  assert.equal(readdirSync(fresh), [], 'nothing written');
});

test('bundle: unreadable --ca / --agent files and a bad --scrypt-n are usage errors naming the option, no stack', async () => {
  const out = join(f.dir, 'bundle-errors');
  const base = ['bundle', ...g, '--pod', 'IT001E70000008', '--out', out, '--broker', 'mqtt://127.0.0.1:1883'];
  const cases: [string[], RegExp][] = [
    [[...base, '--ca', join(f.dir, 'no-ca.pem'), ...agentArgs], /^FLEET_USAGE: --ca .*no-ca\.pem: cannot read \(ENOENT/],
    [[...base, '--agent', join(f.dir, 'no-agent.mjs')], /^FLEET_USAGE: --agent .*no-agent\.mjs: cannot read \(ENOENT/],
    [[...base, '--scrypt-n', '3000', ...agentArgs], /^FLEET_USAGE: --scrypt-n: expected a power of two >= 1024, found 3000/],
  ];
  for (const [args, reason] of cases) {
    const r = await fleet(args, env);
    assert.is(r.code, 2, r.err);
    assert.match(r.err, reason);
    assert.not.match(r.err, /unexpected error|\n\s+at /);
  }
  assert.not.ok(existsSync(join(out, 'manifest.json')), 'no bundle written');
});

test('the bundled agent runs from the flashed rootfs with only node: it opens the CLI-made key', async () => {
  const bundle = join(f.dir, 'bundles', pods[0]!);
  const target = join(f.dir, 'rootfs-b');
  mkdirSync(target);
  const r = await fleet(['flash', '--bundle', bundle, '--target', target, '--node-modules-from', EDGE]);
  assert.is(r.code, 0, r.err);
  for (const d of ['better-sqlite3', 'serialport', 'modbus-serial', 'ws', 'node-cron']) assert.ok(lstatSync(join(target, 'opt/lightnode/node_modules', d)).isSymbolicLink(), d);
  const agent = join(target, 'opt/lightnode/lightnode.cjs');
  assert.match(readFileSync(agent, 'utf8').split('\n')[0]!, /^#!\/usr\/bin\/env node$/);
  if (AGENT_ENTRY) {
    // no agent CLI yet: the bundled module must at least load with its natives resolved from the rootfs
    const outText = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(agent)}); console.log(typeof m.startAgent, m.AGENT_VERSION);`], { cwd: target, encoding: 'utf8' });
    assert.match(outText, /^function \d+\.\d+\.\d+/);
    return;
  }
  const m = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8')) as BundleManifest;
  const help = spawnSync(process.execPath, [agent, '--help'], { cwd: target, encoding: 'utf8' });
  assert.is(help.status, 0);
  assert.match(help.stdout + help.stderr, /lightnode keygen/);
  assert.not.match(help.stdout + help.stderr, /__commonJS|createRequire/);
  const addr = execFileSync(process.execPath, [agent, 'address', '--config', join(target, 'etc/lightnode/config.json')], { cwd: target, encoding: 'utf8' }).trim();
  assert.is(addr.toLowerCase(), m.address);
});

test('enrolment: device-key bundle → flash → first boot makes the key and shows the address → fleet enroll registers it', async () => {
  if (AGENT_ENTRY) return; // needs the agent CLI (keygen, address)
  const pod = 'IT001E70000042';
  const bundle = join(f.dir, 'enrol-bundle');
  const b = await fleet(['bundle', ...g, '--pod', pod, '--out', bundle, '--broker', 'mqtt://127.0.0.1:1883', '--template', 'lab-simulators', '--scrypt-n', '1024'], {});
  assert.is(b.code, 0, b.err);
  const target = join(f.dir, 'rootfs-c');
  mkdirSync(target);
  assert.is((await fleet(['flash', '--bundle', bundle, '--target', target, '--node-modules-from', EDGE])).code, 0);
  assert.not.ok(existsSync(join(target, 'etc/lightnode/keystore.json')));
  const boot = execFileSync('/bin/sh', [join(target, 'opt/lightnode/first-boot.sh')], { env: { PATH: process.env.PATH ?? '', LIGHTNODE_ROOT: target, NODE: process.execPath }, encoding: 'utf8' });
  const shown = /Light Node device address: (0x[0-9a-fA-F]{40})/.exec(boot)?.[1];
  assert.ok(shown, boot);
  assert.is(readFileSync(join(target, 'etc/lightnode/address'), 'utf8').trim(), shown);
  assert.is(mode(join(target, 'etc/lightnode/keystore.json')), 0o600);
  assert.is(mode(join(target, 'etc/lightnode/keystore.password')), 0o600);
  // first boot is idempotent: the key survives a restart
  const boot2 = execFileSync('/bin/sh', [join(target, 'opt/lightnode/first-boot.sh')], { env: { PATH: process.env.PATH ?? '', LIGHTNODE_ROOT: target, NODE: process.execPath }, encoding: 'utf8' });
  assert.match(boot2, new RegExp(shown!));
  const wrongBundle = await fleet(['enroll', ...g, '--pod', pod, '--address', shown!, '--bundle', join(f.dir, 'bundles', pods[0]!)], env);
  assert.match(wrongBundle.err, /^FLEET_BUNDLE_INVALID/);
  const e = await fleet(['enroll', ...g, '--pod', pod, '--address', shown!, '--bundle', bundle], env);
  assert.is(e.code, 0, e.err);
  assert.is(String(await f.registry.getFunction('deviceOf')(pod)).toLowerCase(), shown!.toLowerCase());
});

test.run();
