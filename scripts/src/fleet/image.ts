/**
 * `fleet image`: one flashable Raspberry Pi OS image per PoD, from a stock image and the PoD's
 * bundle (bundle.ts). The root partition gets what every PoD shares — the agent, its runtime
 * packages for the image's CPU, the watchdog unit, the first-boot unit (enabled) — and the boot
 * partition gets the PoD's own part in lightnode/ (config, CA, keystore + password), where
 * Raspberry Pi Imager puts its first-boot customisation. No root, no loop device: debugfs writes
 * the ext4 root, mtools the FAT boot partition, both inside the image file. Everything written
 * is read back and checked against its hash; an image is built as `.<pod>.img.partial` and
 * renamed only when complete, so a failure leaves nothing that looks like an image.
 */
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, createReadStream, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { SYSUSERS, TARGET, systemdUnit, NODE_PATH } from './bundle-layout.js';
import { sha256, type BundleManifest } from './bundle-manifest.js';
import { BOOT_DIR, FIRSTBOOT_UNIT, FIRSTBOOT_UNIT_NAME, IMAGE_FIRST_BOOT } from './device-scripts.js';
import { FleetCode, FleetError } from './errors.js';
import { ExtPartition, FatPartition, readPartitions, type Partition } from './image-fs.js';
import { elfArch, type Arch, type Runtime } from './image-runtime.js';

/** One entry written into an image: root (ext4, with owner and mode) or boot (FAT: no owners or modes). */
export interface ImageEntry {
  partition: 'root' | 'boot';
  path: string;                       // absolute inside the partition
  type: 'file' | 'dir' | 'symlink';
  mode: number | null;
  uid: number | null;
  gid: number | null;
  sha256?: string;
  bytes?: number;
  target?: string;                    // symlink
}

export interface ImageManifest {
  v: 1;
  pod: string;
  keyMode: BundleManifest['keyMode'];
  address: string | null;
  agentVersion: string;
  arch: string;
  stock: { file: string; sha256: string };
  image: { file: string; sha256: string; bytes: number };
  partitions: { boot: Partition; root: Partition };
  createdAt: string;
  entries: ImageEntry[];
}

export interface StockInfo { path: string; boot: Partition; root: Partition; arch: Arch; hasNode: boolean; rootDirs: Set<string> }

const FAT_TYPES = new Set(['b', 'c', 'e', '6', 'ef', 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b', 'ebd0a0a2-b9e5-4433-87c0-68b6b7261599']);
const LINUX_TYPES = new Set(['83', '0fc63daf-8483-4772-8e79-3d69d8477de4']);
const ARCH_PROBES = ['/usr/bin/dpkg', '/usr/bin/ls', '/usr/bin/env', '/bin/ls'];

/** Check the stock image is Raspberry Pi OS and learn its CPU. FLEET_IMAGE_NOT_RPI_OS otherwise. */
export function inspectStock(path: string, extraRootDirs: string[] = []): StockInfo {
  const parts = readPartitions(path);
  const boot = parts.find((p) => FAT_TYPES.has(p.type));
  const root = parts.find((p) => LINUX_TYPES.has(p.type));
  if (!boot || !root) throw new FleetError(FleetCode.IMAGE_NOT_RPI_OS, `${path}: expected a FAT boot and a Linux root partition, found ${parts.map((p) => `#${p.index} type ${p.type}`).join(', ') || 'none'}`);
  const names = new FatPartition(path, boot.start).rootNames();
  const missingBoot = ['config.txt', 'cmdline.txt'].filter((n) => !names.includes(n));
  if (missingBoot.length) throw new FleetError(FleetCode.IMAGE_NOT_RPI_OS, `${path}: the boot partition has no ${missingBoot.join(' or ')} (not a Raspberry Pi boot partition)`);
  const ext = new ExtPartition(path, root.start);
  ext.space(); // throws NOT_RPI_OS when it is not ext4
  const probe = ['/etc/rpi-issue', '/etc/os-release', NODE_PATH, ...ARCH_PROBES, ...extraRootDirs];
  const st = ext.statMany(probe);
  const missingRoot = ['/etc/rpi-issue', '/etc/os-release'].filter((p) => !st.get(p));
  if (missingRoot.length) throw new FleetError(FleetCode.IMAGE_NOT_RPI_OS, `${path}: the root partition has no ${missingRoot.join(' or ')} (not Raspberry Pi OS)`);
  const probeFile = ARCH_PROBES.find((p) => st.get(p)?.type === 'file');
  const arch = probeFile ? elfArch(ext.readMany([probeFile]).get(probeFile)!) : null;
  if (!arch) throw new FleetError(FleetCode.IMAGE_NOT_RPI_OS, `${path}: cannot tell the image's CPU (no ELF ${ARCH_PROBES.join(', ')} in the root partition)`);
  const rootDirs = new Set(extraRootDirs.filter((d) => st.get(d)?.type === 'dir'));
  return { path, boot, root, arch, hasNode: st.get(NODE_PATH)?.type === 'file', rootDirs };
}

/** A file to write, with its bytes in memory or in a local file. */
interface Source { entry: ImageEntry; data?: Buffer; src?: string }

/** Dirs the root part creates or needs: every parent, shortest first. */
function parents(paths: string[]): string[] {
  const set = new Set<string>();
  for (const p of paths) for (let d = dirname(p); d !== '/' && d !== '.'; d = dirname(d)) set.add(d);
  return [...set].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}

export interface RootPlanInput {
  bundleDir: string;
  manifest: BundleManifest;
  runtime: Runtime | null;
  nodeBinary: string | null;
}

/** What every PoD's image carries in its root partition (the same for all PoDs). */
export function rootPlan(i: RootPlanInput): Source[] {
  const out: Source[] = [];
  const file = (path: string, mode: number, from: { data?: Buffer; src?: string; bytes?: number; sha?: string }): void => {
    const data = from.data;
    const bytes = data ? data.length : from.bytes!;
    out.push({ entry: { partition: 'root', path, type: 'file', mode, uid: 0, gid: 0, sha256: data ? sha256(data) : from.sha!, bytes }, ...(data ? { data } : { src: from.src! }) });
  };
  const perPod = new Set<string>([TARGET.config, TARGET.ca, TARGET.keystore, TARGET.keystorePassword, TARGET.unit, TARGET.sysusers]);
  for (const f of i.manifest.files) {
    if (perPod.has(f.path) || f.path.startsWith(`${TARGET.etcDir}/`)) continue;
    file(`/${f.path}`, f.mode, { data: readFileSync(join(i.bundleDir, 'rootfs', f.path)) });
  }
  const node = i.nodeBinary ? `/${TARGET.optDir}/bin/node` : NODE_PATH;
  file(`/${TARGET.unit}`, 0o644, { data: Buffer.from(systemdUnit(null, node)) });
  file(`/etc/systemd/system/${FIRSTBOOT_UNIT_NAME}`, 0o644, { data: Buffer.from(FIRSTBOOT_UNIT) });
  file(`/${TARGET.optDir}/image-first-boot.sh`, 0o755, { data: Buffer.from(IMAGE_FIRST_BOOT) });
  file(`/${TARGET.sysusers}`, 0o644, { data: Buffer.from(SYSUSERS) });
  if (i.nodeBinary) file(`/${TARGET.optDir}/bin/node`, 0o755, { data: readFileSync(i.nodeBinary) });
  for (const f of i.runtime?.files ?? []) file(`/${TARGET.optDir}/${f.rel}`, f.mode, { src: f.src, bytes: f.bytes, sha: sha256(readFileSync(f.src)) });
  out.push({ entry: { partition: 'root', path: `/etc/systemd/system/multi-user.target.wants/${FIRSTBOOT_UNIT_NAME}`, type: 'symlink', mode: 0o777, uid: 0, gid: 0, target: `/etc/systemd/system/${FIRSTBOOT_UNIT_NAME}` } });
  return out;
}

/** The PoD's part on the boot partition: lightnode/ with config, CA, keystore + password, SHA256SUMS, README.txt. */
export function bootPlan(bundleDir: string, manifest: BundleManifest, password: Buffer | null): Source[] {
  const files: [string, Buffer][] = [];
  const rel = (p: string) => p.slice(`${TARGET.etcDir}/`.length);
  for (const f of manifest.files) {
    if (f.path === TARGET.config || f.path === TARGET.ca || f.path === TARGET.keystore) files.push([rel(f.path), readFileSync(join(bundleDir, 'rootfs', f.path))]);
  }
  if (password) files.push(['keystore.password', password]);
  files.push(['SHA256SUMS', Buffer.from(files.map(([n, d]) => `${sha256(d)}  ${n}\n`).join(''))]);
  files.push(['README.txt', Buffer.from(`Light Node identity of PoD ${manifest.pod}.\r\nAt first boot lightnode-firstboot.service moves these files into /etc/lightnode\r\n(owner lightnode, secrets 0600), then overwrites and deletes them here.\r\nKeep this card safe until then: it holds the device key and its password.\r\n`)]);
  return files.map(([n, data]) => ({ entry: { partition: 'boot', path: `/${BOOT_DIR}/${n}`, type: 'file', mode: null, uid: null, gid: null, sha256: sha256(data), bytes: data.length }, data }));
}

/** FLEET_IMAGE_PARTITION_FULL unless both parts fit (checked before anything is copied or written). */
export function checkSpace(stock: StockInfo, root: Source[], boot: Source[]): void {
  const ext = new ExtPartition(stock.path, stock.root.start).space();
  const files = root.filter((s) => s.entry.type === 'file');
  const dirs = parents(root.map((s) => s.entry.path)).filter((d) => !stock.rootDirs.has(d));
  const blocks = files.reduce((n, s) => n + Math.ceil((s.entry.bytes ?? 0) / ext.blockSize) + 1, 0) + dirs.length + Math.ceil(files.length / 64) + 64;
  const inodes = root.length + dirs.length;
  if (blocks > ext.freeBlocks || inodes > ext.freeInodes) {
    throw new FleetError(FleetCode.IMAGE_PARTITION_FULL, `root partition: ${(blocks * ext.blockSize / 1048576).toFixed(1)} MiB and ${inodes} inodes needed, ${(ext.freeBlocks * ext.blockSize / 1048576).toFixed(1)} MiB and ${ext.freeInodes} free`, { neededBlocks: blocks, freeBlocks: ext.freeBlocks });
  }
  const fat = new FatPartition(stock.path, stock.boot.start).space();
  const need = boot.reduce((n, s) => n + Math.ceil(Math.max(1, s.entry.bytes ?? 0) / fat.cluster) * fat.cluster, 0) + 2 * fat.cluster;
  if (need > fat.free) throw new FleetError(FleetCode.IMAGE_PARTITION_FULL, `boot partition: ${need} bytes needed, ${fat.free} free`, { need, free: fat.free });
}

/** debugfs commands that create the root part's directories, files and symlinks with owners and modes. */
function rootCommands(root: Source[], existingDirs: Set<string>, staging: string): { commands: string[]; dirEntries: ImageEntry[] } {
  const commands: string[] = [];
  const dirEntries: ImageEntry[] = [];
  const own = (p: string, mode: number) => commands.push(`sif ${p} mode 0${mode.toString(8)}`, `sif ${p} uid 0`, `sif ${p} gid 0`);
  for (const d of parents(root.map((s) => s.entry.path))) {
    if (existingDirs.has(d)) continue;
    commands.push(`mkdir ${d}`);
    own(d, 0o040755);
    dirEntries.push({ partition: 'root', path: d, type: 'dir', mode: 0o755, uid: 0, gid: 0 });
  }
  root.forEach((s, n) => {
    const e = s.entry;
    if (e.type === 'symlink') { commands.push(`symlink ${e.path} ${e.target}`, `sif ${e.path} uid 0`, `sif ${e.path} gid 0`); return; }
    let src = s.src;
    if (!src) { src = join(staging, String(n)); writeFileSync(src, s.data!); }
    commands.push(`write ${src} ${e.path}`);
    own(e.path, 0o100000 | e.mode!);
  });
  return { commands, dirEntries };
}

/** Read every entry back from the image and compare type, owner, mode and hash. FLEET_IMAGE_WRITE_FAILED on a difference. */
export function verifyEntries(image: string, parts: { boot: Partition; root: Partition }, entries: ImageEntry[]): void {
  const ext = new ExtPartition(image, parts.root.start);
  const rootEntries = entries.filter((e) => e.partition === 'root');
  const st = ext.statMany(rootEntries.map((e) => e.path));
  const contents = ext.readMany(rootEntries.filter((e) => e.type === 'file').map((e) => e.path));
  const bad: string[] = [];
  for (const e of rootEntries) {
    const s = st.get(e.path);
    if (!s || s.type !== e.type) { bad.push(`${e.path}: ${s ? s.type : 'missing'}`); continue; }
    if (e.type !== 'symlink' && s.mode !== e.mode) bad.push(`${e.path}: mode ${s.mode.toString(8)}`);
    if (s.uid !== e.uid || s.gid !== e.gid) bad.push(`${e.path}: owner ${s.uid}:${s.gid}`);
    if (e.type === 'file' && sha256(contents.get(e.path)!) !== e.sha256) bad.push(`${e.path}: content differs`);
    if (e.type === 'symlink' && ext.readlink(e.path) !== e.target) bad.push(`${e.path}: link target differs`);
  }
  const fat = new FatPartition(image, parts.boot.start);
  for (const e of entries.filter((x) => x.partition === 'boot')) {
    let data: Buffer | null = null;
    try { data = fat.read(e.path); } catch { /* reported below */ }
    if (!data || sha256(data) !== e.sha256) bad.push(`boot:${e.path}: ${data ? 'content differs' : 'missing'}`);
  }
  if (bad.length) throw new FleetError(FleetCode.IMAGE_WRITE_FAILED, `${image}: ${bad.length} entr(ies) read back wrong: ${bad.slice(0, 5).join('; ')}`, { bad });
}

/** Write the root part into `image` (a private copy of the stock image). Returns the entries, directories included. */
export function writeRoot(image: string, stock: StockInfo, root: Source[]): ImageEntry[] {
  const staging = mkdtempSync(join(tmpdir(), 'ln-image-'));
  try {
    const ext = new ExtPartition(image, stock.root.start);
    const dirs = parents(root.map((s) => s.entry.path));
    const st = ext.statMany(dirs);
    const existing = new Set(dirs.filter((d) => st.get(d)?.type === 'dir'));
    if (existing.has(`/${TARGET.optDir}`)) throw new FleetError(FleetCode.USAGE, `${stock.path} already carries /${TARGET.optDir}: start from a stock Raspberry Pi OS image`);
    const { commands, dirEntries } = rootCommands(root, existing, staging);
    ext.runChecked(commands, true, 'root partition');
    return [...dirEntries, ...root.map((s) => s.entry)];
  } finally { rmSync(staging, { recursive: true, force: true }); }
}

/** Write the PoD's part into the boot partition. */
export function writeBoot(image: string, stock: StockInfo, boot: Source[]): ImageEntry[] {
  const fat = new FatPartition(image, stock.boot.start);
  fat.mkdir(`/${BOOT_DIR}`);
  for (const s of boot) fat.write(s.entry.path, s.data!);
  return boot.map((s) => s.entry);
}

/** SHA-256 of a (large) file, streamed. */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Copy or decompress (.xz) the stock image to `dst`. */
export function materialise(stockPath: string, dst: string): void {
  if (stockPath.endsWith('.xz')) {
    const fd = openSync(dst, 'w');
    try {
      const r = spawnSync('xz', ['-dc', stockPath], { stdio: ['ignore', fd, 'pipe'] });
      if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new FleetError(FleetCode.IMAGE_TOOL_MISSING, 'xz is not installed (Debian package xz-utils)');
      if (r.status !== 0) throw new FleetError(FleetCode.IMAGE_NOT_RPI_OS, `${stockPath}: xz cannot decompress it (${String(r.stderr).trim()})`);
    } finally { closeSync(fd); }
    return;
  }
  copyFileSync(stockPath, dst);
}

