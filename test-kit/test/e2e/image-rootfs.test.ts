// End to end from a flashable image: `fleet image` writes a per-PoD image from a synthetic
// Raspberry Pi OS image (CLI-made key registered on anvil, broker CA, runtime packages); its
// root partition is unpacked with debugfs and its boot partition with mtools into a root
// filesystem tree, and everything the device would run runs there for real, in a chroot
// (unshare -m: private bind mounts of this machine's /usr/bin, libraries and systemd units):
// the first-boot script, `systemd-analyze verify` of the units, the agent as user lightnode
// against the SDM630 simulator and a BAL (readings stored), then install.sh upgrading in place
// (key and spool kept) and rolling back an agent that fails its health check; and install.sh
// with PREFIX into a second tree from outside.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Contract, Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { loadArtifact } from '@lightnode/contracts/artifacts';
import { AGENT_NODE_FLAGS } from '@lightnode/edge/agent-bundle';
import { parseConfig } from '@lightnode/cloud/config';
import { startBal, type RunningBal } from '@lightnode/cloud/bal';
import { secretHash } from '@lightnode/cloud/operator';
import { loadTemplate as loadSimTemplate } from '@lightnode/hardware-sim/devices/template';
import { SimMeter } from '@lightnode/hardware-sim/devices/sim-meter';
import { ModbusTcpServer } from '@lightnode/hardware-sim/modbus/tcp-server';
import { SimClock } from '@lightnode/hardware-sim/physics/clock';
import type { ImageManifest } from '@lightnode/scripts/fleet/image';
import { freePort } from '../../src/free-port.js';
import { makeTestCa } from '../../src/tls-ca.js';
import { makeRpiImage } from '../../src/rpi-image.js';
import { startChain, type ChainFixture } from '../../src/chain.js';
import { fleet } from '../../src/fleet-cli.js';

const EDGE = fileURLToPath(new URL('../../../edge/', import.meta.url));
const POD = 'IT001E89000001';
const API_KEY = 'fleet-image-e2e-api-key-0123456789';
const env = { FLEET_PRIVATE_KEY: ANVIL_PRIVATE_KEYS[0] };
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const MT = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
/** Host folders bind-mounted (read-only) over the tree: the userland a Raspberry Pi OS root has. */
const HOST_DIRS = ['usr/bin', 'usr/sbin', 'usr/lib/x86_64-linux-gnu', 'usr/lib/aarch64-linux-gnu', 'usr/lib64', 'usr/lib/systemd', 'usr/libexec', 'etc/alternatives'].filter((d) => existsSync(`/${d}`));
const CHROOT_SH = `set -e
T=$1; shift
for d in ${HOST_DIRS.join(' ')}; do mkdir -p "$T/$d"; mount --bind "/$d" "$T/$d"; mount -o remount,bind,ro "$T/$d"; done
mount --bind /dev "$T/dev"
mount -t proc proc "$T/proc"
mount -t tmpfs tmpfs "$T/tmp"
exec chroot "$@"
`;

let f: ChainFixture;
let g: string[];
let sim: ModbusTcpServer;
let bal: RunningBal | null = null;
let agent: ChildProcess | null = null;
let agentLog = '';
let tree = '';
let chrootSh = '';
let manifest: ImageManifest;
let out = '';
let skip = '';
let ln = { uid: -1, gid: -1 };

/** Run a command in a chroot of `root` (private mount namespace); `user` runs it as lightnode. */
function inChroot(root: string, cmd: string[], user = false): { status: number; out: string } {
  const as = user ? [`--userspec=${ln.uid}:${ln.gid}`, '--groups=20'] : [];
  const r = spawnSync('unshare', ['-m', 'sh', chrootSh, root, ...as, root, '/usr/bin/env', '-i', 'PATH=/usr/bin:/usr/sbin', 'HOME=/root', ...cmd], { encoding: 'utf8' });
  return { status: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

function unpackInto(root: string): void {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  execFileSync('debugfs', ['-R', `rdump / ${root}`, `${join(out, `${POD}.img`)}?offset=${manifest.partitions.root.start}`], { stdio: 'ignore' });
  execFileSync('mcopy', ['-s', '-n', '-i', `${join(out, `${POD}.img`)}@@${manifest.partitions.boot.start}`, '::/*', join(root, 'boot/firmware')], { env: MT });
}

async function api<T>(path: string): Promise<{ status: number; body: T }> {
  // after a long pause (an install in the chroot) a kept-alive socket may have been closed by the server: retry
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${bal!.endpoints.api}${path}`, { headers: { 'x-api-key': API_KEY } });
      return { status: res.status, body: (await res.json()) as T };
    } catch (err) {
      if (attempt >= 3) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
interface NodeView { pod: string; readings: number; rejected: number; lastStoredSeq: number | null }
async function node(): Promise<NodeView | null> {
  const r = await api<{ items: NodeView[] }>('/api/nodes');
  return r.body.items.find((n) => n.pod === POD) ?? null;
}
async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n--- agent log ---\n${agentLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function startAgent(): void {
  agentLog = '';
  agent = spawn('unshare', ['-m', 'sh', chrootSh, tree, `--userspec=${ln.uid}:${ln.gid}`, '--groups=20', tree, '/usr/bin/env', '-i', 'PATH=/usr/bin', 'HOME=/var/lib/lightnode',
    '/usr/bin/node', ...AGENT_NODE_FLAGS, '/opt/lightnode/lightnode.cjs', 'run', '--config', '/etc/lightnode/config.json'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  agent.stdout!.on('data', (d) => (agentLog += d));
  agent.stderr!.on('data', (d) => (agentLog += d));
}
async function stopAgent(): Promise<void> {
  const a = agent;
  agent = null;
  if (!a || a.exitCode !== null) return;
  const exited = new Promise((r) => a.once('exit', r));
  try { process.kill(-a.pid!, 'SIGTERM'); } catch { /* gone */ }
  const t = setTimeout(() => { try { process.kill(-a.pid!, 'SIGKILL'); } catch { /* gone */ } }, 10_000);
  await exited;
  clearTimeout(t);
}

test.before(async () => {
  if (process.getuid?.() !== 0 || spawnSync('unshare', ['-m', 'true']).status !== 0) {
    skip = 'needs root for unshare -m + chroot (private bind mounts)';
    return;
  }
  f = await startChain();
  g = ['--deployment', f.deploymentPath];
  chrootSh = join(f.dir, 'chroot.sh');
  writeFileSync(chrootSh, CHROOT_SH);
  const anchorAdmin = new Contract(f.deployment.readingAnchor, loadArtifact('ReadingAnchor').abi as never, f.dso);
  await (await anchorAdmin.getFunction('grantRole')(await anchorAdmin.getFunction('BAL_ROLE')(), new Wallet(ANVIL_PRIVATE_KEYS[1]).address)).wait();

  const clock = new SimClock({});
  const meter = new SimMeter({ id: 'm630', template: loadSimTemplate('sdm630'), clock, profile: { kind: 'constant', powerW: 2300 }, initialImportWh: 1_234_000 });
  sim = new ModbusTcpServer({ devices: new Map([[1, meter]]) });
  const { port: simPort } = await sim.start();
  const site = JSON.parse(readFileSync(fileURLToPath(new URL('../../../scripts/templates/lab-simulators.json', import.meta.url)), 'utf8'));
  site.meters[0].link.port = simPort;
  site.meters[0].intervalMs = 500;
  writeFileSync(join(f.dir, 'site.json'), JSON.stringify(site));
  const tlsDir = join(f.dir, 'tls');
  makeTestCa(tlsDir);
  const brokerPort = await freePort();

  // a stock image with Node.js installed (Raspberry Pi OS Lite + the nodejs package)
  const stock = makeRpiImage({ dir: f.dir, rootMiB: 200, withNode: true }).path;
  out = join(f.dir, 'images');
  const r = await fleet(['image', ...g, '--image', stock, '--pod', POD, '--out', out, '--key-mode', 'cli', '--broker', `mqtts://localhost:${brokerPort}`, '--ca', join(tlsDir, 'ca.pem'), '--template', join(f.dir, 'site.json'), '--scrypt-n', '1024', '--runtime-dir', EDGE], env);
  assert.is(r.code, 0, r.err + r.out);
  manifest = JSON.parse(readFileSync(join(out, `${POD}.img.json`), 'utf8')) as ImageManifest;

  bal = await startBal(parseConfig({
    chain: { deploymentPath: f.deploymentPath },
    broker: { port: null, tls: { certPath: join(tlsDir, 'server.pem'), keyPath: join(tlsDir, 'server.key'), port: brokerPort }, credentialsPath: join(out, 'bundles/broker/bal-credentials.json') },
    store: { kind: 'sqlite', path: ':memory:' },
    anchoring: { enabled: false },
    registry: { pollIntervalMs: 200 },
    api: { port: 0, clients: [{ name: 'dso', role: 'dso', apiKeyHash: secretHash(API_KEY) }] },
    log: { level: 'warn' },
  }, f.dir, { BAL_ANCHOR_KEY: ANVIL_PRIVATE_KEYS[1] }));

  tree = join(f.dir, 'tree');
  unpackInto(tree);
});

test.after(async () => {
  await stopAgent();
  await bal?.stop();
  await sim?.stop();
  await f?.stop();
});

test('first boot in a chroot of the image: files in place (owner lightnode, secrets 0600), agent enabled, boot copies wiped, enrolment reported', async () => {
  if (skip) { console.warn(`SKIPPED: ${skip}`); return; }
  assert.ok(existsSync(join(tree, 'boot/firmware/lightnode/keystore.json')));
  const boot = inChroot(tree, ['/opt/lightnode/image-first-boot.sh']);
  assert.is(boot.status, 0, boot.out);
  assert.match(boot.out, new RegExp(`PoD ${POD}, device address ${manifest.address}: registered when the image was built`));
  const pw = readFileSync(join(tree, 'etc/passwd'), 'utf8');
  const m = /^lightnode:x:(\d+):(\d+):/m.exec(pw);
  assert.ok(m, pw);
  ln = { uid: Number(m![1]), gid: Number(m![2]) };
  assert.ok(ln.uid > 0 && ln.uid < 1000, 'a system user');
  assert.match(readFileSync(join(tree, 'etc/group'), 'utf8'), /^dialout:x:20:lightnode$/m);
  const want: [string, number][] = [['etc/lightnode', 0o700], ['etc/lightnode/config.json', 0o600], ['etc/lightnode/keystore.json', 0o600], ['etc/lightnode/keystore.password', 0o600], ['etc/lightnode/ca.pem', 0o644], ['var/lib/lightnode', 0o700]];
  for (const [p, mode] of want) {
    const st = statSync(join(tree, p));
    assert.is(st.mode & 0o7777, mode, p);
    assert.equal([st.uid, st.gid], [ln.uid, ln.gid], `${p} owner`);
  }
  // what the image carried on the boot partition is what is installed
  const bootEntry = (n: string) => manifest.entries.find((e) => e.partition === 'boot' && e.path === `/lightnode/${n}`)!;
  for (const n of ['config.json', 'keystore.json', 'keystore.password', 'ca.pem']) assert.is(sha(join(tree, 'etc/lightnode', n)), bootEntry(n).sha256, n);
  assert.not.ok(existsSync(join(tree, 'boot/firmware/lightnode')), 'boot partition copies wiped');
  const report = readFileSync(join(tree, 'boot/firmware/lightnode-enrolment.txt'), 'utf8');
  assert.match(report, new RegExp(`^pod=${POD}$`, 'm'));
  assert.match(report, new RegExp(`^address=${manifest.address}$`, 'm'));
  assert.not.match(report, /password|BEGIN|crypto/i);
  const wants = join(tree, 'etc/systemd/system/multi-user.target.wants');
  assert.is(readlinkSync(join(wants, 'lightnode.service')), '/etc/systemd/system/lightnode.service');
  assert.not.ok(existsSync(join(wants, 'lightnode-firstboot.service')), 'first boot disabled itself');
  // a second run has nothing to do and changes nothing
  const before = sha(join(tree, 'etc/lightnode/keystore.json'));
  const again = inChroot(tree, ['/opt/lightnode/image-first-boot.sh']);
  assert.is(again.status, 0, again.out);
  assert.match(again.out, /nothing to do/);
  assert.is(sha(join(tree, 'etc/lightnode/keystore.json')), before);
});

test('the units pass systemd-analyze verify in the image root (and a broken copy does not)', () => {
  if (skip) return;
  const v = inChroot(tree, ['systemd-analyze', 'verify', '/etc/systemd/system/lightnode.service', '/etc/systemd/system/lightnode-firstboot.service']);
  assert.is(v.status, 0, v.out);
  writeFileSync(join(tree, 'etc/systemd/system/broken.service'), readFileSync(join(tree, 'etc/systemd/system/lightnode.service'), 'utf8').replace('/opt/lightnode/lightnode.cjs', '/opt/lightnode/lightnode.cjs').replace('ExecStart=/usr/bin/node', 'ExecStart=/usr/bin/no-such-node'));
  const bad = inChroot(tree, ['systemd-analyze', 'verify', '/etc/systemd/system/broken.service']);
  rmSync(join(tree, 'etc/systemd/system/broken.service'));
  assert.is.not(bad.status, 0);
  assert.match(bad.out, /no-such-node is not executable/);
});

test('the installed agent runs in the chroot as lightnode against the simulator and the BAL: readings stored', async () => {
  if (skip) return;
  startAgent();
  const n = await until('readings stored', async () => { const x = await node(); return x && x.readings >= 3 ? x : null; });
  assert.is(n.rejected, 0);
  assert.match(agentLog, new RegExp(`"address":"${manifest.address}"`));
});

test('install.sh upgrades the running device in place: same key, spool kept, runtime reused', async () => {
  if (skip) return;
  await stopAgent();
  const keyBefore = sha(join(tree, 'etc/lightnode/keystore.json'));
  const spool = join(tree, 'var/lib/lightnode/spool.db');
  assert.ok(existsSync(spool));
  const spoolIno = statSync(spool).ino;
  const seqBefore = (await node())!.lastStoredSeq!;
  cpSync(join(out, 'bundles', POD), join(tree, 'root/bundle'), { recursive: true });
  const r = inChroot(tree, ['/bin/sh', '/root/bundle/install.sh']);
  assert.is(r.status, 0, r.out);
  assert.match(r.out, new RegExp(`installed agent \\d+\\.\\d+\\.\\d+ \\(device ${manifest.address}\\)`));
  assert.is(sha(join(tree, 'etc/lightnode/keystore.json')), keyBefore, 'key kept');
  assert.is(statSync(spool).ino, spoolIno, 'spool kept');
  assert.ok(lstatSync(join(tree, 'opt/lightnode/node_modules/better-sqlite3')).isDirectory(), 'runtime reused');
  assert.not.ok(existsSync(join(tree, 'opt/lightnode.prev')));
  // idempotent
  assert.is(inChroot(tree, ['/bin/sh', '/root/bundle/install.sh']).status, 0);
  startAgent();
  await until('readings after the upgrade', async () => { const x = await node(); return x && x.lastStoredSeq! > seqBefore + 2 ? x : null; });
});

test('install.sh rolls back an agent that fails its health check: previous agent, key and spool in place, readings go on', async () => {
  if (skip) return;
  await stopAgent();
  const agentBefore = sha(join(tree, 'opt/lightnode/lightnode.cjs'));
  const keyBefore = sha(join(tree, 'etc/lightnode/keystore.json'));
  writeFileSync(join(f.dir, 'broken-agent.cjs'), '#!/usr/bin/env node\nprocess.stderr.write("broken build\\n");\nprocess.exit(3);\n');
  const b = await fleet(['bundle', ...g, '--pod', POD, '--out', join(f.dir, 'broken-bundle'), '--broker', 'mqtts://localhost:1', '--template', join(f.dir, 'site.json'), '--agent', join(f.dir, 'broken-agent.cjs')], env);
  assert.is(b.code, 0, b.err);
  cpSync(join(f.dir, 'broken-bundle'), join(tree, 'root/broken'), { recursive: true });
  const r = inChroot(tree, ['/bin/sh', '/root/broken/install.sh']);
  assert.is(r.status, 1, r.out);
  assert.match(r.out, /failed its health check: rolled back to the previous version/);
  assert.is(sha(join(tree, 'opt/lightnode/lightnode.cjs')), agentBefore, 'previous agent back');
  assert.match(readFileSync(join(tree, 'opt/lightnode.failed/lightnode.cjs'), 'utf8'), /broken build/);
  assert.is(sha(join(tree, 'etc/lightnode/keystore.json')), keyBefore);
  assert.match(readFileSync(join(tree, 'etc/lightnode/config.json'), 'utf8'), /mqtts:\/\/localhost:(?!1")\d+/, 'previous config back');
  const seq = (await node())!.lastStoredSeq!;
  startAgent();
  await until('readings after the rollback', async () => { const x = await node(); return x && x.lastStoredSeq! > seq + 2 ? x : null; });
  // a bundle whose files were changed is refused before anything changes
  writeFileSync(join(tree, 'root/broken/rootfs/opt/lightnode/lightnode.cjs'), 'tampered');
  const t = inChroot(tree, ['/bin/sh', '/root/broken/install.sh']);
  assert.is(t.status, 1);
  assert.match(t.out, /do not match SHA256SUMS .*nothing installed/);
  assert.is(sha(join(tree, 'opt/lightnode/lightnode.cjs')), agentBefore);
});

test('install.sh with PREFIX installs a bundle into a root filesystem tree from outside (first install)', async () => {
  if (skip) return;
  const t2 = join(f.dir, 'tree2');
  unpackInto(t2);
  chmodSync(f.dir, 0o755); // the health check runs the agent as lightnode, which must reach the tree
  const r = spawnSync('/bin/sh', [join(out, 'bundles', POD, 'install.sh')], { env: { PATH: process.env.PATH ?? '/usr/bin', PREFIX: t2, NODE: process.execPath }, encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
  const uid = Number(/^lightnode:x:(\d+):/m.exec(readFileSync(join(t2, 'etc/passwd'), 'utf8'))![1]);
  for (const p of ['etc/lightnode/config.json', 'etc/lightnode/keystore.json', 'etc/lightnode/keystore.password']) {
    const st = statSync(join(t2, p));
    assert.is(st.mode & 0o777, 0o600, p);
    assert.is(st.uid, uid, p);
  }
  assert.is(readFileSync(join(t2, 'etc/lightnode/keystore.password'), 'utf8'), readFileSync(join(out, 'bundles', POD, 'secrets/keystore.password'), 'utf8'));
  assert.is(readlinkSync(join(t2, 'etc/systemd/system/multi-user.target.wants/lightnode.service')), '/etc/systemd/system/lightnode.service');
  assert.ok(existsSync(join(t2, 'var/lib/lightnode/spool.db')), 'the health check opened the spool');
  assert.not.ok(existsSync('/etc/lightnode/config.json') && readFileSync('/etc/lightnode/config.json', 'utf8').includes(POD), 'nothing written outside the prefix');
});

test.run();
