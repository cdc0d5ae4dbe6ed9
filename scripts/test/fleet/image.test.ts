// fleet image on a synthetic Raspberry Pi OS image (sfdisk + mkfs.vfat + mkfs.ext4, no root):
// one image per PoD from a CSV with CLI-made keys registered on anvil; every file, owner, mode
// and hash read back with debugfs and mtools (not with the code that wrote them) and compared
// with the manifest; the image's own hash; --dry-run and .img.xz; and the bad inputs — not
// Raspberry Pi OS, a full partition, runtime for another CPU, no runtime, a PoD without a
// registered device, a missing keystore password — each a coded error with nothing written.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { decryptKeystore } from '@lightnode/edge/provisioning';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { fleet } from '@lightnode/test-kit/fleet-cli';
import { makeRpiImage } from '@lightnode/test-kit/rpi-image';
import type { ImageManifest } from '../../src/fleet/image.js';

const EDGE = fileURLToPath(new URL('../../../edge/', import.meta.url));
const env = { FLEET_PRIVATE_KEY: ANVIL_PRIVATE_KEYS[0] };
const pods = ['IT001E71000001', 'IT001E71000002'];
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MT = { ...process.env, MTOOLS_SKIP_CHECK: '1' };

let f: ChainFixture;
let g: string[];
let stock: string;
let common: string[];
let fakeNode: string;

/** Files, dirs and symlinks of a tree, relative, with their lstat. */
function listTree(root: string, rel = ''): Map<string, ReturnType<typeof lstatSync>> {
  const out = new Map<string, ReturnType<typeof lstatSync>>();
  for (const name of readdirSync(join(root, rel))) {
    const r = rel ? `${rel}/${name}` : name;
    const st = lstatSync(join(root, r));
    out.set(r, st);
    if (st.isDirectory()) for (const [k, v] of listTree(root, r)) out.set(k, v);
  }
  return out;
}

/** Unpack an image's partitions with debugfs (root, owners and modes kept: we run as root) and mtools (boot). */
function unpack(image: string, m: ImageManifest, into: string): { root: string; boot: string } {
  const root = join(into, 'root'); const boot = join(into, 'boot');
  rmSync(into, { recursive: true, force: true });
  mkdirSync(root, { recursive: true }); mkdirSync(boot);
  execFileSync('debugfs', ['-R', `rdump / ${root}`, `${image}?offset=${m.partitions.root.start}`], { stdio: 'ignore' });
  execFileSync('mcopy', ['-s', '-n', '-i', `${image}@@${m.partitions.boot.start}`, '::/', boot], { env: MT });
  return { root, boot };
}

test.before(async () => {
  f = await startChain();
  g = ['--deployment', f.deploymentPath];
  stock = makeRpiImage({ dir: f.dir, rootMiB: 64 }).path;
  // any x86-64 ELF stands in for the node binary here (its CPU is what fleet checks); the e2e
  // test (test-kit/test/e2e/image-rootfs.test.ts) runs the real node from an image
  fakeNode = join(f.dir, 'node');
  copyFileSync('/usr/bin/env', fakeNode);
  common = ['--runtime-dir', EDGE, '--node', fakeNode, '--broker', 'mqtts://mqtt.dso.example:8883', '--template', 'lab-simulators', '--scrypt-n', '1024'];
});
test.after(async () => { await f?.stop(); });

test('--dry-run (from .img.xz): lists every root and boot entry, writes nothing', async () => {
  const xz = join(f.dir, 'raspios-lite.img.xz');
  writeFileSync(xz, execFileSync('xz', ['-0', '-T1', '-c', stock], { maxBuffer: 512 * 1024 * 1024 }));
  const out = join(f.dir, 'dry');
  const r = await fleet(['image', ...g, '--image', xz, '--pod', pods[0]!, '--out', out, ...common, '--dry-run'], env);
  assert.is(r.code, 0, r.err + r.out);
  assert.match(r.out, /\[dry run\] would build 1 bundle\(s\) and write 1 image\(s\) \(x64\)/);
  assert.not.ok(existsSync(out), 'nothing written');
  // with an existing bundle the plan lists each entry
  const bundles = join(f.dir, 'dry-bundle');
  assert.is((await fleet(['bundle', ...g, '--pod', pods[0]!, '--out', bundles, '--broker', 'mqtt://127.0.0.1:1883', '--template', 'lab-simulators'], env)).code, 0);
  const plan = await fleet(['image', ...g, '--image', xz, '--pod', pods[0]!, '--out', out, '--bundles', bundles, '--runtime-dir', EDGE, '--node', fakeNode, '--dry-run'], env);
  assert.is(plan.code, 0, plan.err);
  assert.match(plan.out, /root \/opt\/lightnode\/lightnode\.cjs 0755 0:0/);
  assert.match(plan.out, /root \/opt\/lightnode\/node_modules\/better-sqlite3\/build\/Release\/better_sqlite3\.node 0755 0:0/);
  assert.match(plan.out, /root \/etc\/systemd\/system\/multi-user\.target\.wants\/lightnode-firstboot\.service/);
  assert.match(plan.out, /boot \/lightnode\/config\.json \d+ B/);
  assert.not.ok(existsSync(out), 'nothing written');
});

test('from pods.csv, key mode cli: one image per PoD; every entry read back with debugfs/mtools matches the manifest', async () => {
  const csv = join(f.dir, 'pods.csv');
  writeFileSync(csv, `pod,address,site\n${pods[0]},,\n${pods[1]},,\n`);
  writeFileSync(join(f.dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n');
  const out = join(f.dir, 'images');
  const r = await fleet(['image', ...g, '--image', stock, '--from', csv, '--out', out, '--key-mode', 'cli', '--ca', join(f.dir, 'ca.pem'), ...common], env);
  assert.is(r.code, 0, r.err + r.out);
  assert.match(r.out, /wrote 2 image\(s\), kept 0 existing \(x64/);
  assert.equal(readdirSync(out).filter((n) => n.includes('partial')), [], 'no partial files left');
  const manifests: ImageManifest[] = [];
  for (const pod of pods) {
    const img = join(out, `${pod}.img`);
    const m = JSON.parse(readFileSync(`${img}.json`, 'utf8')) as ImageManifest;
    manifests.push(m);
    assert.is(m.pod, pod);
    assert.is(m.arch, 'x64');
    assert.is(m.image.sha256, sha(readFileSync(img)), 'image hash');
    assert.is(m.stock.sha256, sha(readFileSync(stock)), 'stock hash');
    assert.is(String(await f.registry.getFunction('deviceOf')(pod)).toLowerCase(), m.address);
    const { root, boot } = unpack(img, m, join(f.dir, `unpacked-${pod}`));
    for (const e of m.entries) {
      const p = e.partition === 'root' ? join(root, e.path) : join(boot, e.path);
      const st = lstatSync(p);
      if (e.type === 'symlink') { assert.ok(st.isSymbolicLink(), e.path); assert.is(readlinkSync(p), e.target); continue; }
      if (e.type === 'dir') assert.ok(st.isDirectory(), e.path);
      if (e.type === 'file') { assert.ok(st.isFile(), e.path); assert.is(sha(readFileSync(p)), e.sha256, e.path); assert.is(st.size, e.bytes, e.path); }
      if (e.partition === 'root') {
        assert.is(st.mode & 0o7777, e.mode, `${e.path} mode`);
        assert.equal([st.uid, st.gid], [e.uid, e.gid], `${e.path} owner`);
      }
    }
    // nothing under /opt/lightnode, and nothing on the boot partition's lightnode/, that the manifest does not list
    const listed = new Set(m.entries.map((e) => `${e.partition}:${e.path}`));
    for (const [rel] of listTree(join(root, 'opt/lightnode'))) assert.ok(listed.has(`root:/opt/lightnode/${rel}`), `unlisted /opt/lightnode/${rel}`);
    for (const [rel] of listTree(join(boot, 'lightnode'))) assert.ok(listed.has(`boot:/lightnode/${rel}`), `unlisted boot /lightnode/${rel}`);
    // the stock files are still there
    assert.ok(existsSync(join(boot, 'config.txt')) && existsSync(join(root, 'etc/rpi-issue')));
    // the per-PoD part is on the boot partition only: key + password open, config for this PoD, CA
    const cfg = JSON.parse(readFileSync(join(boot, 'lightnode/config.json'), 'utf8'));
    assert.is(cfg.pod, pod);
    assert.is(cfg.mqtt.tls.caFile, '../../../etc/lightnode/ca.pem');
    const key = await decryptKeystore(JSON.parse(readFileSync(join(boot, 'lightnode/keystore.json'), 'utf8')), readFileSync(join(boot, 'lightnode/keystore.password'), 'utf8'));
    assert.is(key.address.toLowerCase(), m.address);
    assert.is(readFileSync(join(boot, 'lightnode/ca.pem'), 'utf8'), readFileSync(join(f.dir, 'ca.pem'), 'utf8'));
    assert.not.ok(existsSync(join(root, 'etc/lightnode')), 'no per-PoD file in the root partition');
    // the sums the first boot checks
    for (const line of readFileSync(join(boot, 'lightnode/SHA256SUMS'), 'utf8').trim().split('\n')) {
      const [h, name] = line.split(/\s+/);
      assert.is(sha(readFileSync(join(boot, 'lightnode', name!))), h, name);
    }
    // the units: the agent under the watchdog with the shipped node; the first-boot unit enabled
    const unit = readFileSync(join(root, 'etc/systemd/system/lightnode.service'), 'utf8');
    assert.match(unit, /^Type=notify$/m);
    assert.match(unit, /^WatchdogSec=30s$/m);
    assert.match(unit, /^ExecStart=\/opt\/lightnode\/bin\/node --max-semi-space-size=1 --single-threaded \/opt\/lightnode\/lightnode\.cjs run --config \/etc\/lightnode\/config\.json$/m);
    assert.is(readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/lightnode-firstboot.service')), '/etc/systemd/system/lightnode-firstboot.service');
    assert.not.ok(existsSync(join(root, 'etc/systemd/system/multi-user.target.wants/lightnode.service')), 'the agent is enabled by the first boot');
    assert.is(sha(readFileSync(join(root, 'opt/lightnode/bin/node'))), sha(readFileSync(fakeNode)));
  }
  // the root partition is the same for every PoD; the boot part differs
  const rootOf = (m: ImageManifest) => JSON.stringify(m.entries.filter((e) => e.partition === 'root'));
  assert.is(rootOf(manifests[0]!), rootOf(manifests[1]!));
  assert.is.not(manifests[0]!.entries.find((e) => e.path === '/lightnode/keystore.json')!.sha256, manifests[1]!.entries.find((e) => e.path === '/lightnode/keystore.json')!.sha256);
  // a re-run keeps the images (and the bundles, and registers nothing)
  const again = await fleet(['image', ...g, '--image', stock, '--from', csv, '--out', out, '--key-mode', 'cli', '--ca', join(f.dir, 'ca.pem'), ...common], env);
  assert.is(again.code, 0, again.err);
  assert.match(again.out, /wrote 0 image\(s\), kept 2 existing/);
});

/** Run a failing `fleet image` and check its code, message, and that `out` holds no image. */
async function refused(args: string[], code: string, reason: RegExp, out: string): Promise<void> {
  const r = await fleet(['image', ...g, ...args, '--out', out], env);
  assert.ok(r.code !== 0, `${code}: exit 0\n${r.out}`);
  const last = r.err.trim().split('\n').filter((l) => /^[A-Z_]+: /.test(l)).pop() ?? r.err; // bundle progress comes first
  assert.match(last, new RegExp(`^${code}: `), r.err);
  assert.match(last, reason, r.err);
  assert.not.match(r.err, /unexpected error|\n\s+at /);
  const left = existsSync(out) ? readdirSync(out).filter((n) => n.endsWith('.img') || n.includes('partial') || n.endsWith('.json')) : [];
  assert.equal(left, [], `${code}: nothing written`);
}

test('bad inputs: each a coded error, nothing written', async () => {
  const pod = ['--pod', pods[0]!];
  // not Raspberry Pi OS: a Debian image (no /etc/rpi-issue), and a file without a partition table
  const debian = makeRpiImage({ dir: f.dir, name: 'debian', notRaspberryPiOs: true }).path;
  await refused(['--image', debian, ...pod, ...common], 'FLEET_IMAGE_NOT_RPI_OS', /root partition has no \/etc\/rpi-issue/, join(f.dir, 'o1'));
  const junk = join(f.dir, 'junk.img');
  writeFileSync(junk, Buffer.alloc(4 * 1024 * 1024, 7));
  await refused(['--image', junk, ...pod, ...common], 'FLEET_IMAGE_NOT_RPI_OS', /partition/, join(f.dir, 'o2'));
  // a full root partition
  const full = makeRpiImage({ dir: f.dir, name: 'full', rootMiB: 64, fillBytes: 52 * 1024 * 1024 }).path;
  await refused(['--image', full, ...pod, ...common], 'FLEET_IMAGE_PARTITION_FULL', /root partition: [\d.]+ MiB and \d+ inodes needed, [\d.]+ MiB/, join(f.dir, 'o3'));
  // an arm64 image with the x86-64 runtime of this machine: better-sqlite3 has no arm64 build
  const arm = makeRpiImage({ dir: f.dir, name: 'arm64', arch: 'arm64' }).path;
  await refused(['--image', arm, ...pod, ...common], 'FLEET_IMAGE_ARCH_MISMATCH', /the image is arm64, .*better_sqlite3\.node \(x64\).*node_modules\/better-sqlite3 \(no arm64 build or prebuild\).*--node .* \(x64\)/, join(f.dir, 'o4'));
  // a write that fails half-way (the stock root has a file where the units' folder goes): coded, and no partial image left
  const odd = makeRpiImage({ dir: f.dir, name: 'odd' });
  const dev = `${odd.path}?offset=${odd.rootOffset}`;
  execFileSync('debugfs', ['-w', '-R', 'rmdir /etc/systemd/system/multi-user.target.wants', dev], { stdio: 'ignore' });
  execFileSync('debugfs', ['-w', '-R', 'rmdir /etc/systemd/system', dev], { stdio: 'ignore' });
  execFileSync('debugfs', ['-w', '-R', `write ${join(f.dir, 'ca.pem')} /etc/systemd/system`, dev], { stdio: 'ignore' });
  await refused(['--image', odd.path, ...pod, ...common], 'FLEET_IMAGE_WRITE_FAILED', /root partition: debugfs reported \d+ error\(s\)/, join(f.dir, 'o9'));
  // no runtime for the image
  await refused(['--image', stock, ...pod, ...common.slice(2), '--runtime-dir', join(f.dir, 'nowhere')], 'FLEET_IMAGE_RUNTIME_MISSING', /no node_modules folder. There is no offline source of x64 builds/, join(f.dir, 'o5'));
  await refused(['--image', stock, ...pod, '--runtime-dir', EDGE, '--broker', 'mqtt://x:1'], 'FLEET_IMAGE_RUNTIME_MISSING', /has no \/usr\/bin\/node .*pass --node FILE/, join(f.dir, 'o6'));

  // a CLI-key bundle whose PoD has no registered device (revoked since), and one without its password
  const other = join(f.dir, 'other-bundle');
  const pod3 = 'IT001E71000003';
  assert.is((await fleet(['bundle', ...g, '--pod', pod3, '--out', other, '--key-mode', 'cli', '--broker', 'mqtt://127.0.0.1:1883', '--scrypt-n', '1024', '--template', 'lab-simulators'], env)).code, 0);
  assert.is((await fleet(['revoke', ...g, '--pod', pod3], env)).code, 0);
  await refused(['--image', stock, '--pod', pod3, '--bundles', other, ...common], 'FLEET_POD_NOT_REGISTERED', new RegExp(`${pod3} has no registered device`), join(f.dir, 'o7'));
  const nopw = join(f.dir, 'nopw-bundle');
  cpSync(join(f.dir, 'images', 'bundles', pods[0]!), nopw, { recursive: true });
  rmSync(join(nopw, 'secrets'), { recursive: true });
  await refused(['--image', stock, ...pod, '--bundles', nopw, ...common], 'FLEET_KEYSTORE_PASSWORD_MISSING', /encrypted device key but .*keystore\.password is missing/, join(f.dir, 'o8'));
});

test.run();
