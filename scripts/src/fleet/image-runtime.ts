/**
 * The runtime packages an image carries beside the agent bundle (RUNTIME_PACKAGES: the natives
 * better-sqlite3 and serialport, and the pure-JS packages only some configurations load), and
 * the CPU they are built for.
 *
 * `--runtime-dir DIR` names a folder whose node_modules resolves those packages for the image's
 * CPU — a flat `npm install` tree made on a Pi or an arm builder, or a pnpm workspace on a
 * machine of the same CPU. Their dependency closure is resolved the way Node resolves it (from
 * each package's real path) and laid out flat under /opt/lightnode/node_modules, with a
 * conflicting version nested under the package that needs it. Every `.node` file (and the node
 * binary, when one is shipped) is an ELF file whose machine must be the image's: a mismatch is
 * FLEET_IMAGE_ARCH_MISMATCH, never a device that fails at first boot. There is no offline source
 * of arm builds of better-sqlite3, so the command cannot make them itself.
 */
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Stats } from 'node:fs';
import { FleetCode, FleetError } from './errors.js';

/** CPU names as Node's process.arch (armhf is `arm`). */
export type Arch = 'arm64' | 'arm' | 'x64' | 'ia32' | 'riscv64';

const ELF_MACHINES: Record<number, Arch> = { 0xb7: 'arm64', 0x28: 'arm', 0x3e: 'x64', 0x03: 'ia32', 0xf3: 'riscv64' };

/** Human name of an arch (Raspberry Pi OS names its 32-bit build armhf). */
export const archLabel = (a: Arch | null): string => (a === 'arm' ? 'armhf' : a ?? 'unknown');

/** The CPU an ELF file's header names, or null when the bytes are not ELF. */
export function elfArch(head: Buffer): Arch | null {
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return null;
  const little = head[5] === 1;
  const machine = little ? head.readUInt16LE(18) : head.readUInt16BE(18);
  return ELF_MACHINES[machine] ?? null;
}

export function fileElfArch(path: string): Arch | null {
  const fd = openSync(path, 'r');
  try { const b = Buffer.alloc(20); readSync(fd, b, 0, 20, 0); return elfArch(b); } finally { closeSync(fd); }
}

export interface RuntimeFile { rel: string; src: string; mode: number; bytes: number }
export interface Runtime {
  files: RuntimeFile[];
  dirs: string[];
  packages: { name: string; version: string; at: string }[];
  /** Install paths of the packages with a native addon (binding.gyp). */
  natives: string[];
}

/** Files of a package that are build intermediates, never loaded at run time. */
function skipped(rel: string, isNativePackage: boolean): boolean {
  const parts = rel.split('/');
  if (parts[0] === 'node_modules') return true; // nested deps are resolved separately
  if (parts[0] === 'build' && parts.some((p) => p === 'obj' || p === 'obj.target' || p === '.deps')) return true;
  if (/\.(o|a|mk|gypi?|cc|cpp|h|c)$/.test(rel) && isNativePackage) return true;
  if (isNativePackage && (parts[0] === 'deps' || parts[0] === 'src') && parts.length > 1) return true;
  return /(^|\/)Makefile$/.test(rel);
}

/**
 * node-gyp-build prebuilds (`prebuilds/<platform>-<arch>[+<arch>]/`) for other systems: not
 * carried (serialport ships them for Windows, macOS, Android and every Linux CPU).
 */
function otherPrebuild(rel: string, arch: Arch): boolean {
  const m = /^prebuilds\/([^/]+)/.exec(rel);
  if (!m) return false;
  const [platform, archs = ''] = m[1]!.split(/-(.*)/s);
  return platform !== 'linux' || !archs.split('+').includes(arch);
}

function resolvePackage(name: string, fromDir: string): string | null {
  for (let d = fromDir; ; d = dirname(d)) {
    const p = join(d, 'node_modules', name);
    if (existsSync(join(p, 'package.json'))) return realpathSync(p);
    if (dirname(d) === d) return null;
  }
}

/**
 * Resolve `packages` and their dependency closure from `runtimeDir` into a flat node_modules
 * layout (paths relative to the agent folder). FLEET_IMAGE_RUNTIME_MISSING when one is missing.
 */
export function collectRuntime(runtimeDir: string, packages: readonly string[], arch: Arch): Runtime {
  const placed = new Map<string, { version: string; real: string }>(); // install path → package
  const out: Runtime = { files: [], dirs: [], packages: [], natives: [] };
  const queue: { name: string; from: string; parentAt: string | null; required: boolean }[] = packages.map((name) => ({ name, from: runtimeDir, parentAt: null, required: true }));
  const missing: string[] = [];
  while (queue.length) {
    const { name, from, parentAt, required } = queue.shift()!;
    const real = resolvePackage(name, from);
    if (!real) { if (required) missing.push(name); continue; }
    const pkg = JSON.parse(readFileSync(join(real, 'package.json'), 'utf8')) as { version?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; gypfile?: boolean };
    const version = pkg.version ?? '0.0.0';
    let at = `node_modules/${name}`;
    const top = placed.get(at);
    if (top && top.real === real) continue;
    if (top) {
      if (!parentAt) continue;
      at = `${parentAt}/node_modules/${name}`;
      if (placed.has(at)) continue;
    }
    placed.set(at, { version, real });
    out.packages.push({ name, version, at });
    const native = pkg.gypfile === true || existsSync(join(real, 'binding.gyp'));
    if (native) out.natives.push(at);
    walk(real, '', (rel, abs, st) => {
      if (skipped(rel, native) || otherPrebuild(rel, arch)) return;
      if (st.isSymbolicLink()) return; // bin links and the like: not needed to load a package
      if (st.isDirectory()) { out.dirs.push(`${at}/${rel}`); return; }
      out.files.push({ rel: `${at}/${rel}`, src: abs, mode: st.mode & 0o111 ? 0o755 : 0o644, bytes: st.size });
    });
    out.dirs.push(at);
    for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: real, parentAt: at, required: true });
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) queue.push({ name: dep, from: real, parentAt: at, required: false });
  }
  if (missing.length) {
    throw new FleetError(FleetCode.IMAGE_RUNTIME_MISSING, `--runtime-dir ${runtimeDir}: node_modules does not resolve ${[...new Set(missing)].join(', ')}`);
  }
  // every parent directory of what is written, shortest first
  const dirs = new Set<string>(['node_modules']);
  for (const d of out.dirs) for (let p = d; p && p !== '.'; p = dirname(p)) dirs.add(p);
  for (const f of out.files) for (let p = dirname(f.rel); p && p !== '.'; p = dirname(p)) dirs.add(p);
  out.dirs = [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
  out.files.sort((a, b) => a.rel.localeCompare(b.rel));
  return out;
}

function walk(root: string, rel: string, visit: (rel: string, abs: string, st: Stats) => void): void {
  for (const name of readdirSync(join(root, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const abs = join(root, r);
    const st = lstatSync(abs);
    visit(r, abs, st);
    if (st.isDirectory() && !skipped(r, false) && name !== 'node_modules') walk(root, r, visit);
  }
}

/** Every `.node` addon of the runtime with the CPU its ELF header names. */
export function nativeFiles(rt: Runtime): { rel: string; arch: Arch | null }[] {
  return rt.files.filter((f) => f.rel.endsWith('.node')).map((f) => ({ rel: f.rel, arch: fileElfArch(f.src) }));
}

/**
 * FLEET_IMAGE_ARCH_MISMATCH unless every addon (and the node binary) is built for `arch` and
 * every native package has one: a device must never find out at first boot.
 */
export function checkArch(arch: Arch, rt: Runtime | null, nodeBinary: string | null): void {
  const wrong: string[] = [];
  const addons = rt ? nativeFiles(rt) : [];
  for (const n of addons) if (n.arch !== arch) wrong.push(`${n.rel} (${archLabel(n.arch)})`);
  for (const pkg of rt?.natives ?? []) {
    if (!addons.some((a) => a.rel.startsWith(`${pkg}/`) && a.arch === arch)) wrong.push(`${pkg} (no ${archLabel(arch)} build or prebuild)`);
  }
  if (nodeBinary) {
    const a = fileElfArch(nodeBinary);
    if (a !== arch) wrong.push(`--node ${nodeBinary} (${archLabel(a)})`);
  }
  if (wrong.length) {
    throw new FleetError(FleetCode.IMAGE_ARCH_MISMATCH, `the image is ${archLabel(arch)}, but ${wrong.length} native file(s) are not: ${wrong.slice(0, 5).join(', ')}${wrong.length > 5 ? ', …' : ''}. No ${archLabel(arch)} prebuild is reachable offline: build the runtime on a ${archLabel(arch)} machine (npm install --omit=dev in a copy of a bundle's rootfs/opt/lightnode) and pass that folder with --runtime-dir`, { arch, wrong });
  }
}

/** Total bytes of a runtime (for the space check). */
export function runtimeBytes(rt: Runtime): number { return rt.files.reduce((n, f) => n + f.bytes, 0); }

