/**
 * A small synthetic Raspberry Pi OS image for tests, made the way the real one is laid out and
 * without root or loop devices: an MBR (sfdisk) with a FAT boot partition (mkfs.vfat --offset,
 * filled with mtools: config.txt, cmdline.txt, issue.txt) and an ext4 root (mkfs.ext4 -E offset
 * -d from a folder: /etc/os-release, /etc/rpi-issue, passwd/group, the usr-merged /bin → usr/bin
 * links, and an ELF /usr/bin/dpkg whose machine tells the image's CPU). The root is also a
 * usable chroot once the host's /usr/bin, /usr/sbin and libraries are bind-mounted over it.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RpiImageOptions {
  /** Scratch folder; the image is `<dir>/<name>.img`. */
  dir: string;
  name?: string;
  /** 'host': /usr/bin/dpkg is the host's (x86-64 here); 'arm64'/'armhf': an ELF header for that CPU. */
  arch?: 'host' | 'arm64' | 'armhf';
  bootMiB?: number;
  rootMiB?: number;
  /** Bytes of filler in the root partition (to make it full). */
  fillBytes?: number;
  /** Copy this machine's node to /usr/bin/node (an image with Node.js installed, e.g. from the nodejs package). */
  withNode?: boolean;
  /** Leave out /etc/rpi-issue (a Debian image, not Raspberry Pi OS). */
  notRaspberryPiOs?: boolean;
}

const SECTOR = 512;

function elfHeader(machine: number): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; b[5] = 1; b[6] = 1;              // 64-bit, little-endian, version 1
  b.writeUInt16LE(2, 16);                     // ET_EXEC
  b.writeUInt16LE(machine, 18);
  return b;
}

/** Build the image; returns its path and the partitions' byte offsets. */
export function makeRpiImage(o: RpiImageOptions): { path: string; bootOffset: number; rootOffset: number; rootBytes: number } {
  const name = o.name ?? 'raspios-lite';
  const bootMiB = o.bootMiB ?? 16;
  const rootMiB = o.rootMiB ?? 64;
  const path = join(o.dir, `${name}.img`);
  const tree = join(o.dir, `${name}.root`);
  rmSync(tree, { recursive: true, force: true });
  for (const d of ['usr/bin', 'usr/sbin', 'usr/lib/x86_64-linux-gnu', 'usr/lib64', 'usr/lib/sysusers.d', 'usr/lib/systemd', 'usr/share', 'etc/alternatives', 'etc/systemd/system/multi-user.target.wants', 'opt', 'var/lib', 'var/log', 'tmp', 'dev', 'proc', 'run', 'boot/firmware', 'root', 'home']) mkdirSync(join(tree, d), { recursive: true });
  for (const [l, t] of [['bin', 'usr/bin'], ['sbin', 'usr/sbin'], ['lib', 'usr/lib'], ['lib64', 'usr/lib64']]) symlinkSync(t!, join(tree, l!));
  const arch = o.arch ?? 'host';
  if (arch === 'host') copyFileSync('/usr/bin/dpkg', join(tree, 'usr/bin/dpkg'));
  else writeFileSync(join(tree, 'usr/bin/dpkg'), elfHeader(arch === 'arm64' ? 0xb7 : 0x28), { mode: 0o755 });
  writeFileSync(join(tree, 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n');
  if (!o.notRaspberryPiOs) writeFileSync(join(tree, 'etc/rpi-issue'), 'Raspberry Pi reference 2024-11-19\nGenerated using pi-gen, https://github.com/RPi-Distro/pi-gen, stage2\n');
  writeFileSync(join(tree, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
  writeFileSync(join(tree, 'etc/group'), 'root:x:0:\ndialout:x:20:\nnogroup:x:65534:\n');
  writeFileSync(join(tree, 'etc/shadow'), 'root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(join(tree, 'etc/gshadow'), 'root:*::\ndialout:*::\nnogroup:*::\n', { mode: 0o640 });
  writeFileSync(join(tree, 'etc/hosts'), '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n');
  writeFileSync(join(tree, 'etc/hostname'), 'raspberrypi\n');
  writeFileSync(join(tree, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n');
  if (o.withNode) copyFileSync(process.execPath, join(tree, 'usr/bin/node'));
  if (o.fillBytes) writeFileSync(join(tree, 'var/filler'), Buffer.alloc(o.fillBytes, 0xa5));

  const bootStart = 8192; // 4 MiB, as Raspberry Pi OS
  const bootSectors = bootMiB * 2048;
  const rootStart = bootStart + bootSectors;
  const rootSectors = rootMiB * 2048;
  rmSync(path, { force: true });
  writeFileSync(path, '');
  execFileSync('truncate', ['-s', String((rootStart + rootSectors) * SECTOR), path]);
  execFileSync('sfdisk', ['-q', path], { input: `label: dos\nstart=${bootStart}, size=${bootSectors}, type=c\nstart=${rootStart}, size=${rootSectors}, type=83\n` });
  execFileSync('mkfs.vfat', ['-n', 'bootfs', '--offset', String(bootStart), path, String(bootSectors / 2)], { stdio: 'ignore' });
  const bootFiles = join(o.dir, `${name}.boot`);
  rmSync(bootFiles, { recursive: true, force: true });
  mkdirSync(bootFiles);
  writeFileSync(join(bootFiles, 'config.txt'), '# http://rpf.io/configtxt\ndtparam=audio=on\ncamera_auto_detect=1\ndisplay_auto_detect=1\nauto_initramfs=1\ndtoverlay=vc4-kms-v3d\narm_64bit=1\n');
  writeFileSync(join(bootFiles, 'cmdline.txt'), 'console=serial0,115200 console=tty1 root=PARTUUID=12345678-02 rootfstype=ext4 fsck.repair=yes rootwait\n');
  writeFileSync(join(bootFiles, 'issue.txt'), 'Raspberry Pi reference 2024-11-19\n');
  execFileSync('mcopy', ['-i', `${path}@@${bootStart * SECTOR}`, join(bootFiles, 'config.txt'), join(bootFiles, 'cmdline.txt'), join(bootFiles, 'issue.txt'), '::/'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } });
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'rootfs', '-E', `offset=${rootStart * SECTOR}`, '-d', tree, path, `${rootSectors / 2}k`], { stdio: 'ignore' });
  rmSync(tree, { recursive: true, force: true });
  rmSync(bootFiles, { recursive: true, force: true });
  return { path, bootOffset: bootStart * SECTOR, rootOffset: rootStart * SECTOR, rootBytes: rootSectors * SECTOR };
}
