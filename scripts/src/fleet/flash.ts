/**
 * `fleet flash`: installs a bundle into a Raspberry Pi OS root filesystem tree (a mounted SD
 * card image, or a scratch directory in tests) the way install.sh would on the Pi itself:
 * files with their modes (secrets 0600, /etc/lightnode 0700), the unit enabled through the
 * multi-user.target.wants symlink systemctl would make, the data dir created. Refuses bundles
 * whose files do not match their manifest.
 */
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TARGET } from './bundle-layout.js';
import { readManifest, type BundleManifest } from './bundle-manifest.js';
import { FleetCode, FleetError } from './errors.js';

export interface FlashOptions {
  bundleDir: string;
  target: string;
  /** Keystore password to install; default the bundle's secrets/keystore.password when present. */
  passwordFile?: string;
  /**
   * Directory whose node_modules already hold the agent's native packages built for the
   * target (e.g. an arm64 `npm install` tree). Linked into /opt/lightnode/node_modules;
   * without it, first boot installs them with npm.
   */
  nodeModulesFrom?: string;
  dryRun?: boolean;
}

export interface FlashResult { manifest: BundleManifest; installed: { path: string; mode: number }[]; unitEnabled: string; dryRun: boolean }

const UNIT_ABS = `/${TARGET.unit}`;

/** Install a bundle into `target`. Throws FLEET_BUNDLE_INVALID / FLEET_USAGE. */
export function flashBundle(o: FlashOptions): FlashResult {
  const manifest = readManifest(o.bundleDir, true);
  const target = resolve(o.target);
  if (!existsSync(target) || !lstatSync(target).isDirectory()) throw new FleetError(FleetCode.USAGE, `--target ${o.target}: not a directory (mount the image's root filesystem first)`);
  const installed: { path: string; mode: number }[] = [];
  const passwordSrc = o.passwordFile ?? (existsSync(join(o.bundleDir, 'secrets', 'keystore.password')) ? join(o.bundleDir, 'secrets', 'keystore.password') : null);
  if (manifest.keyMode === 'cli' && !passwordSrc) {
    throw new FleetError(FleetCode.USAGE, `bundle for ${manifest.pod} carries an encrypted key but no password: pass --password-file`);
  }
  // read before anything is written: a wrong path must not leave a half-flashed tree
  let password: Buffer | null = null;
  if (passwordSrc) {
    try { password = readFileSync(passwordSrc); } catch (err) {
      throw new FleetError(FleetCode.USAGE, `--password-file ${passwordSrc}: cannot read (${(err as Error).message})`);
    }
  }
  if (o.dryRun) {
    return { manifest, installed: manifest.files.map((f) => ({ path: f.path, mode: f.mode })), unitEnabled: TARGET.unitWants, dryRun: true };
  }
  for (const dir of [TARGET.optDir, 'etc/systemd/system/multi-user.target.wants']) mkdirSync(join(target, dir), { recursive: true });
  mkdirSync(join(target, TARGET.dataDir), { recursive: true, mode: 0o700 }); // the spool and signer cache: the agent's only
  mkdirSync(join(target, TARGET.etcDir), { recursive: true, mode: 0o700 });
  chmodSync(join(target, TARGET.etcDir), 0o700);
  for (const f of manifest.files) {
    const dst = join(target, f.path);
    mkdirSync(dirname(dst), { recursive: true });
    copyFileSync(join(o.bundleDir, 'rootfs', f.path), dst);
    chmodSync(dst, f.mode);
    installed.push({ path: f.path, mode: f.mode });
  }
  if (password) {
    const dst = join(target, TARGET.keystorePassword);
    writeFileSync(dst, password, { mode: 0o600 });
    chmodSync(dst, 0o600);
    installed.push({ path: TARGET.keystorePassword, mode: 0o600 });
  }
  // systemctl enable = a symlink in the wants directory, pointing at the unit's path on the Pi.
  const wants = join(target, TARGET.unitWants);
  if (existsSync(wants) || isSymlink(wants)) unlinkSync(wants);
  symlinkSync(UNIT_ABS, wants);
  if (o.nodeModulesFrom) linkNatives(o.nodeModulesFrom, join(target, TARGET.optDir), join(target, TARGET.agentPackage));
  return { manifest, installed, unitEnabled: TARGET.unitWants, dryRun: false };
}

function isSymlink(p: string): boolean {
  try { return lstatSync(p).isSymbolicLink(); } catch { return false; }
}

/** Link each native dependency of the agent package from `from`/node_modules (real paths, so their own dependencies resolve). */
function linkNatives(from: string, optDir: string, agentPackage: string): void {
  const deps = Object.keys((JSON.parse(readFileSync(agentPackage, 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {});
  mkdirSync(join(optDir, 'node_modules'), { recursive: true });
  for (const d of deps) {
    const src = join(from, 'node_modules', d);
    if (!existsSync(src)) throw new FleetError(FleetCode.USAGE, `--node-modules-from ${from}: no node_modules/${d}`);
    const dst = join(optDir, 'node_modules', d);
    mkdirSync(dirname(dst), { recursive: true });
    if (isSymlink(dst) || existsSync(dst)) unlinkSync(dst);
    symlinkSync(realpathSync(src), dst);
  }
}
