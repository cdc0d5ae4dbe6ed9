/**
 * Reading and writing the partitions of a disk image file without root and without loop
 * devices: the partition table with `sfdisk --json`, the FAT boot partition with mtools
 * (`-i image@@offset`), the ext4 root partition with e2fsprogs' `debugfs` (`image?offset=N`,
 * `-w` to write, owners and modes set with `set_inode_field`). debugfs exits 0 even when a
 * command fails, so every run's stderr is checked and every write is read back by the caller.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetCode, FleetError } from './errors.js';

export interface Partition { index: number; start: number; size: number; type: string }

/** Run a tool; a missing binary is FLEET_IMAGE_TOOL_MISSING, a failure FLEET_IMAGE_WRITE_FAILED (or `failCode`). */
export function tool(cmd: string, args: string[], opts: { input?: string; failCode?: string; env?: Record<string, string> } = {}): { stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env }, ...(opts.input !== undefined ? { input: opts.input } : {}) });
    return { stdout, stderr: '' };
  } catch (err) {
    const e = err as { code?: string; stderr?: string; stdout?: string; message: string };
    if (e.code === 'ENOENT') throw new FleetError(FleetCode.IMAGE_TOOL_MISSING, `${cmd} is not installed (Debian packages: fdisk, mtools, e2fsprogs, xz-utils)`, { tool: cmd });
    throw new FleetError((opts.failCode ?? FleetCode.IMAGE_WRITE_FAILED) as never, `${cmd} ${args.slice(0, 3).join(' ')}…: ${(e.stderr || e.message).trim().split('\n').slice(-3).join(' | ')}`);
  }
}

/** The image's partitions (MBR or GPT), offsets and sizes in bytes. FLEET_IMAGE_NOT_RPI_OS when there is no table. */
export function readPartitions(image: string): Partition[] {
  const { stdout } = tool('sfdisk', ['--json', image], { failCode: FleetCode.IMAGE_NOT_RPI_OS });
  let table: { partitiontable?: { sectorsize?: number; partitions?: { start: number; size: number; type: string }[] } };
  try { table = JSON.parse(stdout) as typeof table; } catch { throw new FleetError(FleetCode.IMAGE_NOT_RPI_OS, `${image}: sfdisk found no partition table`); }
  const sector = table.partitiontable?.sectorsize ?? 512;
  return (table.partitiontable?.partitions ?? []).map((p, i) => ({ index: i + 1, start: p.start * sector, size: p.size * sector, type: String(p.type).toLowerCase() }));
}

// ---------------------------------------------------------------- FAT (mtools)

/** A FAT partition inside an image file. Paths are absolute inside the partition (`/lightnode/config.json`). */
export class FatPartition {
  constructor(readonly image: string, readonly offset: number) {}
  private get dev(): string { return `${this.image}@@${this.offset}`; }
  private run(cmd: string, args: string[], failCode?: string): string {
    // MTOOLS_SKIP_CHECK: accept the geometry image tools write (no floppy-style sanity checks)
    return tool(cmd, ['-i', this.dev, ...args], { env: { MTOOLS_SKIP_CHECK: '1' }, ...(failCode ? { failCode } : {}) }).stdout;
  }
  /** Names in the partition's root directory (lower-case), or FLEET_IMAGE_NOT_RPI_OS when it is not FAT. */
  rootNames(): string[] {
    const out = this.run('mdir', ['-b', '::/'], FleetCode.IMAGE_NOT_RPI_OS);
    return out.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => l.replace(/^::\//, '').toLowerCase());
  }
  exists(path: string): boolean {
    try { this.run('mdir', ['-b', `::${path}`]); return true; } catch { return false; }
  }
  /** Free bytes and cluster size. */
  space(): { free: number; cluster: number } {
    const dir = this.run('mdir', ['::/']);
    const free = Number(/([\d ]+) bytes free/.exec(dir)?.[1]?.replace(/ /g, '') ?? NaN);
    const info = this.run('minfo', ['::']);
    const spc = Number(/cluster size: (\d+) sectors/.exec(info)?.[1] ?? 1);
    const ss = Number(/sector size: (\d+) bytes/.exec(info)?.[1] ?? 512);
    return { free, cluster: spc * ss };
  }
  read(path: string): Buffer {
    const dir = mkdtempSync(join(tmpdir(), 'ln-fat-'));
    try {
      this.run('mcopy', ['-n', `::${path}`, join(dir, 'f')]);
      return readFileSync(join(dir, 'f'));
    } finally { rmSync(dir, { recursive: true, force: true }); }
  }
  mkdir(path: string): void { if (!this.exists(path)) this.run('mmd', [`::${path}`]); }
  /** Write (or replace) one file. */
  write(path: string, data: Buffer | string): void {
    const dir = mkdtempSync(join(tmpdir(), 'ln-fat-'));
    try {
      writeFileSync(join(dir, 'f'), data);
      this.run('mcopy', ['-o', '-D', 'o', join(dir, 'f'), `::${path}`]);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  }
}

// ---------------------------------------------------------------- ext4 (debugfs)

export interface ExtStat { type: 'file' | 'dir' | 'symlink' | 'other'; mode: number; uid: number; gid: number; size: number }

/** An ext2/3/4 partition inside an image file. */
export class ExtPartition {
  constructor(readonly image: string, readonly offset: number) {}
  private get dev(): string { return `${this.image}?offset=${this.offset}`; }

  /** Run debugfs commands (one per line), failing on any error debugfs reports (it prints them on stderr and still exits 0). */
  runChecked(commands: string[], write: boolean, what: string): string {
    const res = this.runRaw(commands, write);
    const errors = res.stderr.split('\n').filter((l) => l.trim() && !/^debugfs \d/.test(l));
    if (res.status !== 0 || errors.length) {
      const full = /Could not allocate|No free space|ENOSPC|No space left/i.test(errors.join('\n'));
      throw new FleetError(full ? FleetCode.IMAGE_PARTITION_FULL : FleetCode.IMAGE_WRITE_FAILED, `${what}: debugfs reported ${errors.length} error(s): ${errors.slice(0, 3).join(' | ')}`);
    }
    return res.stdout;
  }

  /** Run debugfs commands from a command file; stdout (each command echoed as `debugfs: …`) and stderr. */
  runRaw(commands: string[], write = false): { status: number; stdout: string; stderr: string } {
    const dir = mkdtempSync(join(tmpdir(), 'ln-debugfs-'));
    try {
      const file = join(dir, 'cmds');
      writeFileSync(file, `${commands.join('\n')}\n`);
      return spawnDebugfs([...(write ? ['-w'] : []), '-f', file, this.dev]);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  }

  /** Block size, free blocks and free inodes (superblock). FLEET_IMAGE_NOT_RPI_OS when it is not ext2/3/4. */
  space(): { blockSize: number; freeBlocks: number; freeInodes: number } {
    const res = spawnDebugfs(['-R', 'stats', this.dev]);
    const n = (re: RegExp) => Number(re.exec(res.stdout)?.[1] ?? NaN);
    const s = { blockSize: n(/Block size:\s+(\d+)/), freeBlocks: n(/Free blocks:\s+(\d+)/), freeInodes: n(/Free inodes:\s+(\d+)/) };
    if (!Number.isFinite(s.blockSize)) throw new FleetError(FleetCode.IMAGE_NOT_RPI_OS, `${this.image}: the root partition is not an ext4 file system (${res.stderr.split('\n').filter((l) => !/^debugfs \d/.test(l)).join(' ').trim()})`);
    return s;
  }

  /** Type, mode (permission bits), owner and size of each path; null when absent. One debugfs run. */
  statMany(paths: string[]): Map<string, ExtStat | null> {
    const out = new Map<string, ExtStat | null>();
    if (!paths.length) return out;
    const res = this.runRaw(paths.map((p) => `stat ${quote(p)}`));
    // debugfs echoes each command as "debugfs: stat …" on stdout; split on that
    const chunks = res.stdout.split(/^debugfs: /m).slice(1);
    const missing = new Set<string>();
    for (const l of res.stderr.split('\n')) { const m = /^(.*): File not found by ext2_lookup/.exec(l.trim()); if (m) missing.add(unquote(m[1]!)); }
    for (const chunk of chunks) {
      const cmd = chunk.split('\n')[0]!;
      const path = unquote(cmd.replace(/^stat /, ''));
      const t = /Type: (\w+)\s+Mode:\s+(\d+)/.exec(chunk);
      const u = /User:\s+(\d+)\s+Group:\s+(\d+)/.exec(chunk);
      const sz = /Size: (\d+)/.exec(chunk);
      if (!t || !u) { out.set(path, null); continue; }
      const type = t[1] === 'regular' ? 'file' : t[1] === 'directory' ? 'dir' : t[1] === 'symlink' ? 'symlink' : 'other';
      out.set(path, { type, mode: parseInt(t[2]!, 8) & 0o7777, uid: Number(u[1]), gid: Number(u[2]), size: Number(sz?.[1] ?? 0) });
    }
    for (const p of paths) if (!out.has(p) || missing.has(p)) out.set(p, missing.has(p) ? null : out.get(p) ?? null);
    return out;
  }

  /** Contents of files (one debugfs run). */
  readMany(paths: string[]): Map<string, Buffer> {
    const dir = mkdtempSync(join(tmpdir(), 'ln-dump-'));
    try {
      this.runChecked(paths.map((p, i) => `dump ${quote(p)} ${join(dir, String(i))}`), false, 'read back');
      return new Map(paths.map((p, i) => [p, readFileSync(join(dir, String(i)))]));
    } finally { rmSync(dir, { recursive: true, force: true }); }
  }

  /** Symlink target. */
  readlink(path: string): string {
    const res = spawnDebugfs(['-R', `stat ${quote(path)}`, this.dev]);
    return /Fast link dest: "(.*)"/.exec(res.stdout)?.[1] ?? '';
  }
}

function spawnDebugfs(args: string[]): { status: number; stdout: string; stderr: string } {
  const res = spawnSync('debugfs', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  if ((res.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new FleetError(FleetCode.IMAGE_TOOL_MISSING, 'debugfs is not installed (Debian package e2fsprogs)', { tool: 'debugfs' });
  return { status: res.status ?? 1, stdout: res.stdout ?? '', stderr: res.stderr ?? String(res.error ?? '') };
}

/** debugfs argument quoting (paths of the layout have no spaces; quote anyway). */
export function quote(p: string): string { return /[\s"]/.test(p) ? `"${p.replace(/"/g, '\\"')}"` : p; }
function unquote(p: string): string { return p.startsWith('"') ? p.slice(1, -1).replace(/\\"/g, '"') : p; }
